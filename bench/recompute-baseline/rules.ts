// Baseline for bench/consumers.ts: ripple's recompute-everything CarbonTrack consumers as they were
// before day and month cells (commit ddc0694), kept verbatim but for import paths. Not product code.
import { type ComputedUserStats, hasMonthUnderPrevious } from "./carbon-stats.ts";

/**
 * The declared achievements: each is unlocked once per user, the first time the user's
 * statistics (recomputed from their entries and goals) satisfy its condition.
 */

export interface AchievementRule {
  /** Sort key of the achievement item; stable, never reused. */
  readonly achievementId: string;
  readonly title: string;
  readonly description: string;
  readonly isMet: (stats: ComputedUserStats) => boolean;
}

export const ACHIEVEMENT_RULES: readonly AchievementRule[] = [
  {
    achievementId: "first-entry",
    title: "First step",
    description: "Recorded a first footprint entry.",
    isMet: (s) => s.entryCount >= 1,
  },
  {
    achievementId: "streak-7-days",
    title: "Seven-day streak",
    description: "Recorded entries on seven consecutive days.",
    isMet: (s) => s.longestStreakDays >= 7,
  },
  {
    achievementId: "entries-100",
    title: "Century",
    description: "Recorded 100 entries.",
    isMet: (s) => s.entryCount >= 100,
  },
  {
    achievementId: "goal-met",
    title: "On target",
    description: "Stayed within a goal's budget for a whole day or month (or marked a goal achieved).",
    isMet: (s) => (s.goals ?? []).some((g) => g.metPeriods > 0 || g.status === "achieved"),
  },
  {
    achievementId: "month-under-previous",
    title: "Trending down",
    description: "A month's footprint came in under the month before.",
    isMet: (s) => hasMonthUnderPrevious(s.byMonth, s.lastEntryDate?.slice(0, 7)),
  },
];

/** The rules a user's statistics satisfy. */
export function metRules(
  stats: ComputedUserStats,
  rules: readonly AchievementRule[] = ACHIEVEMENT_RULES,
): AchievementRule[] {
  return rules.filter((rule) => rule.isMet(stats));
}
