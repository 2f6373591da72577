// Baseline for bench/consumers.ts: ripple's recompute-everything carbon-stats consumer as it was
// before day and month cells (commit ddc0694): every event reads the user's whole history, and the
// statistics are kept whole on the profile (or a stand-in item). Not product code. What it shares
// with ripple (comparing statistics, retrying lost races) is imported.
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys } from "#commons/aggregates.ts";
import { USER_CONTENTION_FIX } from "#commons/carbon-aggregate.ts";
import { type ComputedUserStats, sameStats } from "#commons/carbon-stats.ts";
import {
  type ApplyEvent,
  type ConsumerDeps,
  type ContentionLimit,
  LostRaces,
  originOf,
  type WriteOutcome,
} from "#commons/consumer.ts";
import { UserStatsSchema } from "#schemas/carbon.ts";
import type { RippleOrigin } from "#schemas/common.ts";
import { computeUserStats, loadCarbonSources } from "./carbon-stats.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "carbon-stats";

/**
 * How many lost races the old design's writers took before giving up: a fixed number, whatever
 * the time left of the invocation (ripple's writers now go by that time, `contentionLimit`).
 */
const ATTEMPTS: ContentionLimit = { maxAttempts: 8 };

/** Attribute of the profile item holding the version of `stats`, for optimistic concurrency. */
export const STATS_VERSION = "statsVersion";

interface StoredStats {
  /** Where the statistics live: the profile item, or the aggregates item while there is none. */
  readonly place: "profile" | "aggregates";
  readonly stats: ComputedUserStats | undefined;
  readonly version: number | undefined;
}

async function readStoredStats(deps: ConsumerDeps, userId: string): Promise<StoredStats> {
  const profile = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.carbonUsers!,
      Key: marshall({ userId }),
      ConsistentRead: true,
      ProjectionExpression: "userId, stats, #v",
      ExpressionAttributeNames: { "#v": STATS_VERSION },
    }),
  );
  const fromItem = (
    item: Record<string, unknown>,
    versionAttribute: string,
    place: StoredStats["place"],
  ) => ({
    place,
    stats: item.stats === undefined ? undefined : UserStatsSchema.parse(item.stats),
    version: item[versionAttribute] === undefined ? undefined : Number(item[versionAttribute]),
  });
  if (profile.Item !== undefined) return fromItem(unmarshall(profile.Item), STATS_VERSION, "profile");
  const fallback = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.aggregates!,
      Key: marshall(AggregateKeys.carbonStats(userId)),
      ConsistentRead: true,
    }),
  );
  if (fallback.Item === undefined) return { place: "aggregates", stats: undefined, version: undefined };
  return fromItem(unmarshall(fallback.Item), "version", "aggregates");
}

async function writeStats(
  deps: ConsumerDeps,
  userId: string,
  stored: StoredStats,
  stats: ComputedUserStats,
  origin: RippleOrigin,
): Promise<boolean> {
  const value = { ...stats, updatedAt: new Date().toISOString() };
  try {
    if (stored.place === "profile") {
      await deps.client.send(
        new UpdateItemCommand({
          TableName: deps.tables.carbonUsers!,
          Key: marshall({ userId }),
          UpdateExpression: "SET stats = :stats, rippleOrigin = :origin, #v = :next",
          ConditionExpression:
            stored.version === undefined
              ? "attribute_exists(userId) AND attribute_not_exists(#v)"
              : "attribute_exists(userId) AND #v = :version",
          ExpressionAttributeNames: { "#v": STATS_VERSION },
          ExpressionAttributeValues: marshall(
            {
              ":stats": value,
              ":origin": origin,
              ":next": (stored.version ?? 0) + 1,
              ...(stored.version === undefined ? {} : { ":version": stored.version }),
            },
            { removeUndefinedValues: true },
          ),
        }),
      );
    } else {
      await deps.client.send(
        new PutItemCommand({
          TableName: deps.tables.aggregates!,
          Item: marshall(
            {
              ...AggregateKeys.carbonStats(userId),
              userId,
              stats: value,
              rippleOrigin: origin,
              version: (stored.version ?? 0) + 1,
            },
            { removeUndefinedValues: true },
          ),
          ConditionExpression:
            stored.version === undefined ? "attribute_not_exists(pk)" : "version = :version",
          ...(stored.version === undefined
            ? {}
            : { ExpressionAttributeValues: marshall({ ":version": stored.version }) }),
        }),
      );
    }
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Recomputes the user's statistics from their entries and goals and writes them only when they
 * differ from what is stored — so a duplicate, a stale or a reordered event costs reads only.
 *
 * The stored version is read before the sources and the write is conditional on it: if another
 * invocation wrote in between (perhaps from older sources), the whole step is repeated, so the
 * last write always reflects sources read after the last change.
 */
export async function refreshUserStats(
  deps: ConsumerDeps,
  userId: string,
  origin: RippleOrigin,
): Promise<WriteOutcome> {
  const races = new LostRaces(
    ATTEMPTS,
    () => `statistics of user ${JSON.stringify(userId)}`,
    USER_CONTENTION_FIX,
  );
  for (;;) {
    races.attemptStarts();
    const stored = await readStoredStats(deps, userId);
    const sources = await loadCarbonSources(
      deps.client,
      { entries: deps.tables.carbonEntries!, goals: deps.tables.carbonGoals! },
      userId,
    );
    const stats = computeUserStats(sources.entries, sources.goals);
    if (sameStats(stored.stats, stats)) return "unchanged";
    if (await writeStats(deps, userId, stored, stats, origin)) return "written";
    await races.lost();
  }
}

/**
 * Moves the statistics of a user who had entries or goals before their profile existed onto the
 * new profile, and deletes the stand-in item in the aggregates table.
 *
 * Without a stand-in item there is nothing to move (events still to come write the profile
 * directly), so a registration usually costs one read. The deletion is conditional on the version
 * read: if a late writer updated the stand-in meanwhile, the move is repeated.
 */
export async function moveStatsToProfile(
  deps: ConsumerDeps,
  userId: string,
  origin: RippleOrigin,
): Promise<WriteOutcome> {
  const key = marshall(AggregateKeys.carbonStats(userId));
  const races = new LostRaces(
    ATTEMPTS,
    () => `the statistics kept for user ${JSON.stringify(userId)} before they registered`,
    USER_CONTENTION_FIX,
  );
  for (;;) {
    races.attemptStarts();
    const standIn = await deps.client.send(
      new GetItemCommand({ TableName: deps.tables.aggregates!, Key: key, ConsistentRead: true }),
    );
    if (standIn.Item === undefined) return "unchanged";
    const version = unmarshall(standIn.Item).version as number | undefined;
    await refreshUserStats(deps, userId, origin);
    try {
      await deps.client.send(
        new DeleteItemCommand({
          TableName: deps.tables.aggregates!,
          Key: key,
          ConditionExpression: version === undefined ? "attribute_not_exists(version)" : "version = :v",
          ...(version === undefined ? {} : { ExpressionAttributeValues: marshall({ ":v": version }) }),
        }),
      );
      return "written";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await races.lost();
    }
  }
}

/** Applies a CarbonTrack entry, goal or registration event to the user's statistics. */
export const applyCarbonEvent: ApplyEvent = async (deps, event) => {
  switch (event.detailType) {
    case "CarbonEntryRecorded":
    case "CarbonEntryRemoved":
    case "GoalSet":
    case "GoalRemoved":
      return refreshUserStats(deps, event.detail.data.userId, originOf(CONSUMER, event.detail));
    case "UserRegistered":
      return moveStatsToProfile(deps, event.detail.data.userId, originOf(CONSUMER, event.detail));
    default:
      return "unchanged";
  }
};
