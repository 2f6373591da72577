import { type TransactWriteItem, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys } from "#commons/aggregates.ts";
import {
  type AggregateLocation,
  applyCarbonChange,
  type CarbonChange,
  lostRace,
  readSummary,
  summaryWrite,
  USER_CONTENTION_FIX,
} from "#commons/carbon-aggregate.ts";
import type { ComputedUserStats } from "#commons/carbon-stats.ts";
import {
  type ApplyEvent,
  type ConsumedEvent,
  type ConsumerDeps,
  contentionLimit,
  LostRaces,
  originOf,
  tombstonePolicy,
  type WriteOutcome,
} from "#commons/consumer.ts";
import type { RippleOrigin } from "#schemas/common.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "carbon-stats";

/** Attribute of the profile item holding the version of the summary its `stats` come from. */
export const STATS_VERSION = "statsVersion";

/** Where carbon-stats keeps a user's aggregate: the summary at `AggregateKeys.carbonStats`. */
export function carbonStatsLocation(userId: string): AggregateLocation {
  return { summaryKey: AggregateKeys.carbonStats(userId), cellsPk: `carbon-stats#${userId}` };
}

/** The profile update that mirrors the statistics onto an existing profile. */
function profileUpdate(
  tableName: string,
  userId: string,
  stats: ComputedUserStats,
  version: number,
  origin: RippleOrigin,
): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: marshall({ userId }),
      UpdateExpression: "SET stats = :stats, rippleOrigin = :origin, #v = :version",
      ConditionExpression: "attribute_exists(userId)",
      ExpressionAttributeNames: { "#v": STATS_VERSION },
      ExpressionAttributeValues: marshall(
        {
          ":stats": { ...stats, updatedAt: new Date().toISOString() },
          ":origin": origin,
          ":version": version,
        },
        { removeUndefinedValues: true },
      ),
    },
  };
}

/**
 * Applies an entry or goal change to the user's aggregate and keeps the statistics where readers
 * find them: on the profile when it exists (seed 001's `carbontrack-users`), otherwise on the
 * summary item (`stats`), until the user registers.
 */
export async function updateUserStats(
  deps: ConsumerDeps,
  userId: string,
  change: CarbonChange,
  origin: RippleOrigin,
): Promise<WriteOutcome> {
  const users = deps.tables.carbonUsers!;
  return applyCarbonChange(deps, {
    location: carbonStatsLocation(userId),
    userId,
    change,
    policy: tombstonePolicy(deps),
    alsoRead: { tableName: users, key: { userId } },
    beside: ({ stats, summary, version, alsoRead }) => {
      const { stats: _standIn, ...rest } = summary.extra;
      if (alsoRead === undefined) {
        return {
          extra: { ...rest, stats: { ...stats, updatedAt: new Date().toISOString() }, rippleOrigin: origin },
        };
      }
      return { extra: rest, items: [profileUpdate(users, userId, stats, version, origin)] };
    },
  });
}

/**
 * Moves the statistics of a user who had entries or goals before their profile existed onto the
 * new profile, and clears them from the summary item — in one transaction conditional on the
 * summary's version. Without a summary, or with statistics already moved, it writes nothing.
 */
export async function moveStatsToProfile(
  deps: ConsumerDeps,
  userId: string,
  origin: RippleOrigin,
  maxAttempts = 8,
): Promise<WriteOutcome> {
  const location = carbonStatsLocation(userId);
  const races = new LostRaces(
    { ...contentionLimit(deps), maxAttempts },
    () => `the statistics kept for user ${JSON.stringify(userId)} before they registered`,
    USER_CONTENTION_FIX,
  );
  for (;;) {
    races.attemptStarts();
    const read = await readSummary(deps, location);
    const standIn = read?.summary.extra.stats as ComputedUserStats | undefined;
    if (read === undefined || standIn === undefined) return "unchanged";
    const { stats: _moved, rippleOrigin: _origin, ...rest } = read.summary.extra;
    try {
      await deps.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            summaryWrite(deps.tables.aggregates!, location, { ...read.summary, extra: rest }, read.version),
            profileUpdate(deps.tables.carbonUsers!, userId, standIn, read.version + 1, origin),
          ],
        }),
      );
      return "written";
    } catch (error) {
      if (!lostRace(error)) throw error;
      await races.lost();
    }
  }
}

/** The aggregate change an entry or goal event describes. */
export function carbonChangeOf(event: ConsumedEvent): CarbonChange | undefined {
  const { metadata } = event.detail;
  const at = { sequenceNumber: metadata.sequenceNumber, changedAt: metadata.changedAt };
  switch (event.detailType) {
    case "CarbonEntryRecorded":
      return { kind: "entry", timestamp: event.detail.data.timestamp, entry: event.detail.data, ...at };
    case "CarbonEntryRemoved":
      return { kind: "entry", timestamp: event.detail.data.timestamp, ...at };
    case "GoalSet":
      return { kind: "goal", goalId: event.detail.data.goalId, goal: event.detail.data, ...at };
    case "GoalRemoved":
      return { kind: "goal", goalId: event.detail.data.goalId, ...at };
    default:
      return undefined;
  }
}

/** Applies a CarbonTrack entry, goal or registration event to the user's statistics. */
export const applyCarbonEvent: ApplyEvent = async (deps, event) => {
  const origin = originOf(CONSUMER, event.detail);
  if (event.detailType === "UserRegistered") {
    return moveStatsToProfile(deps, event.detail.data.userId, origin);
  }
  const change = carbonChangeOf(event);
  if (change === undefined) return "unchanged";
  const { userId } = event.detail.data as { userId: string };
  return updateUserStats(deps, userId, change, origin);
};
