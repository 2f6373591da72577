import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type KeysAndAttributes,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys } from "#commons/aggregates.ts";
import {
  type AggregateLocation,
  applyCarbonChange,
  type CarbonChange,
  decodeSummary,
  lostRace,
  readSummary,
  type Summary,
  statsOf,
  summaryWrite,
  USER_CONTENTION_FIX,
} from "#commons/carbon-aggregate.ts";
import { type ComputedUserStats, sameStats } from "#commons/carbon-stats.ts";
import {
  type ApplyEvent,
  backOff,
  type ConsumedEvent,
  type ConsumerDeps,
  contentionLimit,
  LostRaces,
  originOf,
  tombstonePolicy,
  type WriteOutcome,
} from "#commons/consumer.ts";
import { isSealed, sealOf } from "#commons/seal.ts";
import { USER_STATS_SEAL, type UserStats } from "#schemas/carbon.ts";
import type { RippleOrigin } from "#schemas/common.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "carbon-stats";

/** The attributes carbon-stats owns on a profile: its statistics, their version and their seal. */
const OWNED_ATTRIBUTES = new Set<string>([...USER_STATS_SEAL.covers, USER_STATS_SEAL.attribute]);

/** Attribute of the profile item holding the version of the summary its `stats` come from. */
export const STATS_VERSION = USER_STATS_SEAL.covers[1];

/** Where carbon-stats keeps a user's aggregate: the summary at `AggregateKeys.carbonStats`. */
export function carbonStatsLocation(userId: string): AggregateLocation {
  return { summaryKey: AggregateKeys.carbonStats(userId), cellsPk: `carbon-stats#${userId}` };
}

/**
 * The profile update that mirrors the statistics onto an existing profile, sealed
 * ({@link USER_STATS_SEAL}): the fan-out publishes no event for it, and publishes
 * `UserStatsAltered` for a later write around the API that erases or alters them.
 */
function profileUpdate(
  tableName: string,
  userId: string,
  stats: ComputedUserStats,
  version: number,
  origin: RippleOrigin,
): TransactWriteItem {
  const owned = marshall(
    { stats: { ...stats, updatedAt: new Date().toISOString() }, [STATS_VERSION]: version },
    { removeUndefinedValues: true },
  );
  return ownedUpdate(
    tableName,
    userId,
    "SET stats = :stats, rippleOrigin = :origin, #v = :version, #seal = :seal",
    {
      ":stats": owned.stats!,
      ":version": owned[STATS_VERSION]!,
      ":origin": { M: marshall(origin, { removeUndefinedValues: true }) },
      ":seal": { S: sealOf(owned, USER_STATS_SEAL.covers) },
    },
  );
}

/**
 * An update of the attributes carbon-stats owns on a profile (`#v` names their version, `#seal`
 * their seal), on condition that the profile exists: it never creates one.
 */
function ownedUpdate(
  tableName: string,
  userId: string,
  updateExpression: string,
  values?: Record<string, AttributeValue>,
): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: marshall({ userId }),
      UpdateExpression: updateExpression,
      ConditionExpression: "attribute_exists(userId)",
      ExpressionAttributeNames: { "#v": STATS_VERSION, "#seal": USER_STATS_SEAL.attribute },
      ...(values === undefined ? {} : { ExpressionAttributeValues: values }),
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

/**
 * Writes the statistics back onto a profile rewritten around the API with them erased or altered
 * (`UserStatsAltered`): the statistics of the user's summary as it is now, in one transaction
 * conditional on that summary's version, so a concurrent entry event is never overwritten with
 * older figures. It writes only when the profile's statistics differ from the summary's or their
 * seal is broken — so its own write (sealed, and published as nothing) cannot start a loop.
 * A user with no summary has no statistics: any the profile carries are removed.
 */
export async function repairProfileStats(
  deps: ConsumerDeps,
  userId: string,
  origin: RippleOrigin,
): Promise<WriteOutcome> {
  const location = carbonStatsLocation(userId);
  const users = deps.tables.carbonUsers!;
  const races = new LostRaces(
    contentionLimit(deps),
    () => `the statistics of user ${JSON.stringify(userId)}, to write them back onto the profile,`,
    USER_CONTENTION_FIX,
  );
  for (;;) {
    races.attemptStarts();
    const { summary, profile } = await readSummaryAndProfile(deps, userId);
    if (profile === undefined) return "unchanged";
    // Statistics kept for a user who had not registered yet move with UserRegistered.
    if (summary?.summary.extra.stats !== undefined) return "unchanged";
    let write: TransactWriteItem[];
    if (summary === undefined) {
      if (!Object.keys(profile).some((name) => OWNED_ATTRIBUTES.has(name))) return "unchanged";
      write = [
        {
          ConditionCheck: {
            TableName: deps.tables.aggregates!,
            Key: marshall(location.summaryKey),
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        ownedUpdate(users, userId, "REMOVE stats, #v, #seal"),
      ];
    } else {
      const stats = await statsOf(deps, location, summary.summary);
      const stored = unmarshall(profile) as { stats?: UserStats; [STATS_VERSION]?: number };
      const intact =
        isSealed(profile, USER_STATS_SEAL) &&
        Number(stored[STATS_VERSION]) === summary.version &&
        sameStats(stored.stats, stats);
      if (intact) return "unchanged";
      write = [
        {
          ConditionCheck: {
            TableName: deps.tables.aggregates!,
            Key: marshall(location.summaryKey),
            ConditionExpression: "#version = :version",
            ExpressionAttributeNames: { "#version": "version" },
            ExpressionAttributeValues: { ":version": { N: String(summary.version) } },
          },
        },
        profileUpdate(users, userId, stats, summary.version, origin),
      ];
    }
    try {
      await deps.client.send(new TransactWriteItemsCommand({ TransactItems: write }));
      return "written";
    } catch (error) {
      if (!lostRace(error)) throw error;
      await races.lost();
    }
  }
}

/** The user's carbon-stats summary and profile item (attribute values), read together, strongly consistent. */
async function readSummaryAndProfile(
  deps: ConsumerDeps,
  userId: string,
): Promise<{
  summary: { summary: Summary; version: number } | undefined;
  profile: Record<string, AttributeValue> | undefined;
}> {
  const location = carbonStatsLocation(userId);
  const aggregates = deps.tables.aggregates!;
  const users = deps.tables.carbonUsers!;
  let pending: Record<string, KeysAndAttributes> | undefined = {
    [aggregates]: { Keys: [marshall(location.summaryKey)], ConsistentRead: true },
    [users]: { Keys: [marshall({ userId })], ConsistentRead: true },
  };
  const found: Record<string, Record<string, AttributeValue>[]> = {};
  for (let attempt = 1; pending !== undefined && Object.keys(pending).length > 0; attempt++) {
    const response: BatchGetItemCommandOutput = await deps.client.send(
      new BatchGetItemCommand({ RequestItems: pending }),
    );
    for (const [name, items] of Object.entries(response.Responses ?? {})) {
      found[name] = [...(found[name] ?? []), ...items];
    }
    pending = response.UnprocessedKeys;
    if (pending !== undefined && Object.keys(pending).length > 0) await backOff(attempt);
  }
  const summaryItem = found[aggregates]?.[0];
  return {
    summary: summaryItem === undefined ? undefined : decodeSummary(unmarshall(summaryItem)),
    profile: found[users]?.[0],
  };
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
  if (event.detailType === "UserStatsAltered") {
    return repairProfileStats(deps, event.detail.data.userId, origin);
  }
  const change = carbonChangeOf(event);
  if (change === undefined) return "unchanged";
  const { userId } = event.detail.data as { userId: string };
  return updateUserStats(deps, userId, change, origin);
};
