// Baseline for bench/consumers.ts: ripple's recompute-everything CarbonTrack consumers as they were
// before day and month cells (commit ddc0694), kept verbatim but for import paths. Not product code.
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { type ApplyEvent, type ConsumerDeps, originOf, type WriteOutcome } from "#commons/consumer.ts";
import type { Achievement } from "#schemas/carbon.ts";
import type { RippleOrigin } from "#schemas/common.ts";
import { computeUserStats, loadCarbonSources } from "./carbon-stats.ts";
import { ACHIEVEMENT_RULES, metRules } from "./rules.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "achievements";

/** Ids of the achievements a user already has. */
export async function unlockedAchievementIds(
  client: DynamoDBClient,
  tableName: string,
  userId: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "userId = :u",
        ExpressionAttributeValues: { ":u": { S: userId } },
        ProjectionExpression: "achievementId",
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? [])
      if (item.achievementId?.S !== undefined) ids.add(item.achievementId.S);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}

/**
 * Unlocks every declared achievement the user now qualifies for and does not have yet.
 *
 * Already-unlocked ones are read, not written, so a duplicate event costs no write; the put is
 * conditional on the item not existing, so two concurrent deliveries make one INSERT — and one
 * `AchievementUnlocked` on the bus.
 */
export async function unlockAchievements(
  deps: ConsumerDeps,
  userId: string,
  unlockedAt: string,
  origin: RippleOrigin,
): Promise<WriteOutcome> {
  const tableName = deps.tables.carbonAchievements!;
  const unlocked = await unlockedAchievementIds(deps.client, tableName, userId);
  if (ACHIEVEMENT_RULES.every((rule) => unlocked.has(rule.achievementId))) return "unchanged";
  const sources = await loadCarbonSources(
    deps.client,
    { entries: deps.tables.carbonEntries!, goals: deps.tables.carbonGoals! },
    userId,
  );
  const due = metRules(computeUserStats(sources.entries, sources.goals)).filter(
    (rule) => !unlocked.has(rule.achievementId),
  );
  let outcome: WriteOutcome = "unchanged";
  for (const rule of due) {
    const achievement: Achievement = {
      userId,
      achievementId: rule.achievementId,
      title: rule.title,
      unlockedAt,
      rippleOrigin: origin,
    };
    try {
      await deps.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall(achievement),
          ConditionExpression: "attribute_not_exists(achievementId)",
        }),
      );
      outcome = "written";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return outcome;
}

/** Checks the user's achievements after an entry or goal event. */
export const applyAchievementEvent: ApplyEvent = async (deps, event) => {
  switch (event.detailType) {
    case "CarbonEntryRecorded":
    case "CarbonEntryRemoved":
    case "GoalSet":
      return unlockAchievements(
        deps,
        event.detail.data.userId,
        event.detail.metadata.changedAt,
        originOf(CONSUMER, event.detail),
      );
    default:
      return "unchanged";
  }
};
