import * as z from "zod";
import {
  AggregateDecimalSchema,
  IsoDateSchema,
  IsoTimestampSchema,
  KeyStringSchema,
  NonNegativeDecimalSchema,
  NonNegativeIntegerSchema,
  NonNegativeStoredDecimalSchema,
  RippleOriginSchema,
} from "./common.ts";

export const EmissionCategorySchema = z.enum(["transport", "energy", "food", "shopping", "waste", "other"]);
export type EmissionCategory = z.infer<typeof EmissionCategorySchema>;

/** Aggregated statistics kept on the user's profile item by the carbon-stats consumer. */
export const UserStatsSchema = z.object({
  totalKgCO2e: AggregateDecimalSchema,
  entryCount: NonNegativeIntegerSchema,
  byCategory: z.record(z.string(), AggregateDecimalSchema),
  byDay: z.record(z.string(), AggregateDecimalSchema),
  byMonth: z.record(z.string(), AggregateDecimalSchema),
  currentStreakDays: NonNegativeIntegerSchema,
  longestStreakDays: NonNegativeIntegerSchema,
  lastEntryDate: IsoDateSchema.optional(),
  /** Progress towards each goal that is not cancelled (see {@link GoalProgressSchema}). */
  goals: z.lazy(() => z.array(GoalProgressSchema)).optional(),
  updatedAt: IsoTimestampSchema,
});
export type UserStats = z.infer<typeof UserStatsSchema>;

/** carbontrack-users: profile plus aggregated statistics, keyed by `userId`. */
export const UserSchema = z.object({
  userId: KeyStringSchema,
  name: z.string().min(1).max(200),
  email: z.email().max(320).optional(),
  createdAt: IsoTimestampSchema,
  stats: UserStatsSchema.optional(),
  rippleOrigin: RippleOriginSchema.optional(),
});
export type User = z.infer<typeof UserSchema>;
/**
 * The seal carbon-stats keeps on a profile beside its statistics (`functions/commons/seal.ts`):
 * a profile rewritten with them erased or altered is published as `UserStatsAltered`.
 */
export const USER_STATS_SEAL = { attribute: "statsSeal", covers: ["stats", "statsVersion"] } as const;

/** The profile part of a user, as published in `UserRegistered`. */
export const UserProfileSchema = UserSchema.omit({ stats: true, rippleOrigin: true });

/** carbontrack-entries: one footprint entry, keyed by `userId` + `timestamp`. */
export const CarbonEntrySchema = z.object({
  userId: KeyStringSchema,
  timestamp: IsoTimestampSchema,
  category: EmissionCategorySchema,
  activity: z.string().min(1).max(200),
  kgCO2e: NonNegativeStoredDecimalSchema,
  note: z.string().max(1000).optional(),
  ttl: NonNegativeIntegerSchema.optional(),
});
export type CarbonEntry = z.infer<typeof CarbonEntrySchema>;
export const CarbonEntryKeySchema = CarbonEntrySchema.pick({ userId: true, timestamp: true });

export const GoalPeriodSchema = z.enum(["daily", "monthly"]);
export const GoalStatusSchema = z.enum(["active", "achieved", "cancelled"]);

/** carbontrack-goals: a reduction goal, keyed by `userId` + `goalId`: stay at or under a budget per period. */
export const GoalSchema = z.object({
  userId: KeyStringSchema,
  goalId: KeyStringSchema,
  title: z.string().min(1).max(200),
  period: GoalPeriodSchema,
  targetKgCO2e: NonNegativeDecimalSchema,
  category: EmissionCategorySchema.optional(),
  status: GoalStatusSchema,
  createdAt: IsoTimestampSchema,
});
export type Goal = z.infer<typeof GoalSchema>;
export const GoalKeySchema = GoalSchema.pick({ userId: true, goalId: true });

/**
 * Where a user stands against one goal, kept in `stats.goals` by the carbon-stats consumer.
 * Periods are those of the user's entries: the current period is the one of the latest entry;
 * a past period since the goal was created counts as met when it had entries and stayed within
 * the budget.
 */
export const GoalProgressSchema = GoalSchema.pick({
  goalId: true,
  title: true,
  period: true,
  targetKgCO2e: true,
  category: true,
  status: true,
}).extend({
  /** Day ("2025-11-30") or month ("2025-11") of the latest entry; absent before any entry. */
  currentPeriod: z.string().optional(),
  usedKgCO2e: AggregateDecimalSchema,
  /** Budget left in the current period; negative when over. */
  remainingKgCO2e: AggregateDecimalSchema,
  withinBudget: z.boolean(),
  metPeriods: NonNegativeIntegerSchema,
});
export type GoalProgress = z.infer<typeof GoalProgressSchema>;

/** carbontrack-achievements: an unlocked achievement, keyed by `userId` + `achievementId`. */
export const AchievementSchema = z.object({
  userId: KeyStringSchema,
  achievementId: KeyStringSchema,
  title: z.string().min(1).max(200),
  unlockedAt: IsoTimestampSchema,
  rippleOrigin: RippleOriginSchema.optional(),
});
export type Achievement = z.infer<typeof AchievementSchema>;
export const AchievementKeySchema = AchievementSchema.pick({ userId: true, achievementId: true });
