// Baseline for bench/consumers.ts: ripple's recompute-everything achievements consumer as it was
// before day and month cells (commit ddc0694): every event reads the user's achievements and whole
// history. Not product code. The rules and the read of a user's achievements are ripple's own,
// imported; the rest is the old design's.
import { ConditionalCheckFailedException, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { type ApplyEvent, type ConsumerDeps, originOf, type WriteOutcome } from "#commons/consumer.ts";
import type { Achievement } from "#schemas/carbon.ts";
import type { RippleOrigin } from "#schemas/common.ts";
import { unlockedAchievementIds } from "../../functions/achievements/apply.ts";
import { ACHIEVEMENT_RULES, metRules } from "../../functions/achievements/rules.ts";
import { computeUserStats, loadCarbonSources } from "./carbon-stats.ts";

/** Name the consumer stamps in `rippleOrigin`. */
export const CONSUMER = "achievements";

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
