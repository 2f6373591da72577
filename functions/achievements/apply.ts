import { type DynamoDBClient, paginateQuery } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { type AggregateLocation, applyCarbonChange, type Summary } from "#commons/carbon-aggregate.ts";
import { type ApplyEvent, originOf, tombstonePolicy } from "#commons/consumer.ts";
import type { Achievement } from "#schemas/carbon.ts";
import { carbonChangeOf } from "../carbon-stats/apply.ts";
import { ACHIEVEMENT_RULES, metRules } from "./rules.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "achievements";

/**
 * Where achievements keeps its own copy of a user's aggregate: it never waits for carbon-stats,
 * so the entry that meets a rule is the one whose event unlocks it.
 */
export function achievementsLocation(userId: string): AggregateLocation {
  return { summaryKey: { pk: `achievements#${userId}`, sk: "summary" }, cellsPk: `achievements#${userId}` };
}

/** Ids of the achievements a user already has (read once, when the user is first seen). */
export async function unlockedAchievementIds(
  client: DynamoDBClient,
  tableName: string,
  userId: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const pages = paginateQuery(
    { client },
    {
      TableName: tableName,
      KeyConditionExpression: "userId = :u",
      ExpressionAttributeValues: { ":u": { S: userId } },
      ProjectionExpression: "achievementId",
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? [])
      if (item.achievementId?.S !== undefined) ids.add(item.achievementId.S);
  }
  return ids;
}

const unlockedOf = (summary: Summary | undefined): string[] =>
  (summary?.extra.unlocked as string[] | undefined) ?? [];

/**
 * Applies an entry or goal event to the achievements' copy of the user's statistics and unlocks,
 * in the same transaction, every rule they now meet for the first time — `unlockedAt` being the
 * time of the entry that met it (for a goal or a removal, the change's time). The achievement put
 * is conditional on the item not existing: one INSERT per user and achievement, so one
 * `AchievementUnlocked` on the bus.
 */
export const applyAchievementEvent: ApplyEvent = async (deps, event) => {
  const change = carbonChangeOf(event);
  if (change === undefined) return "unchanged";
  const { userId } = event.detail.data as { userId: string };
  const origin = originOf(CONSUMER, event.detail);
  const achievements = deps.tables.carbonAchievements!;
  const unlockedAt =
    change.kind === "entry" && change.entry !== undefined
      ? new Date(change.timestamp).toISOString()
      : change.changedAt;
  return applyCarbonChange(deps, {
    location: achievementsLocation(userId),
    userId,
    change,
    policy: tombstonePolicy(deps),
    settled: (summary) => {
      const unlocked = new Set(unlockedOf(summary));
      return ACHIEVEMENT_RULES.every((rule) => unlocked.has(rule.achievementId));
    },
    initialExtra: async () => ({
      unlocked: [...(await unlockedAchievementIds(deps.client, achievements, userId))].sort(),
    }),
    beside: ({ stats, summary }) => {
      const unlocked = new Set(unlockedOf(summary));
      const due = metRules(stats).filter((rule) => !unlocked.has(rule.achievementId));
      return {
        extra: { ...summary.extra, unlocked: [...unlocked, ...due.map((r) => r.achievementId)].sort() },
        items: due.map((rule) => {
          const achievement: Achievement = {
            userId,
            achievementId: rule.achievementId,
            title: rule.title,
            unlockedAt,
            rippleOrigin: origin,
          };
          return {
            Put: {
              TableName: achievements,
              Item: marshall(achievement),
              ConditionExpression: "attribute_not_exists(achievementId)",
            },
          };
        }),
      };
    },
  });
};
