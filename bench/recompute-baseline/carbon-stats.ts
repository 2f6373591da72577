// Baseline for bench/consumers.ts: ripple's recompute-everything CarbonTrack consumers as they were
// before day and month cells (commit ddc0694), kept verbatim but for import paths. Not product code.
import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { addDecimals, compareDecimals, subtractDecimals } from "#commons/decimal.ts";
import {
  type CarbonEntry,
  CarbonEntrySchema,
  type Goal,
  type GoalProgress,
  GoalSchema,
  type UserStats,
} from "#schemas/carbon.ts";

/**
 * CarbonTrack statistics recomputed from a user's entries and goals, shared by the carbon-stats
 * and achievements consumers and the audit.
 *
 * Everything is derived from the source items, never from the wall clock, so the same entries
 * always give the same statistics: duplicated or shuffled events cannot change the result.
 */

/** Statistics without the write time. */
export type ComputedUserStats = Omit<UserStats, "updatedAt">;

const DAY_MS = 24 * 60 * 60 * 1000;

/** UTC calendar day of an ISO timestamp ("2025-11-30"). */
export function dayOf(timestamp: string): string {
  return new Date(timestamp).toISOString().slice(0, 10);
}

/** Month of a day or timestamp ("2025-11"). */
export function monthOf(day: string): string {
  return dayOf(day.length === 10 ? `${day}T00:00:00Z` : day).slice(0, 7);
}

/** The month before a month ("2025-01" → "2024-12"). */
export function previousMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, "0")}`;
}

/**
 * Daily streaks over the days that have entries: the longest run of consecutive days, and the
 * current one — the run that ends on the latest day with an entry.
 */
export function streaks(days: Iterable<string>): { current: number; longest: number } {
  const sorted = [...new Set(days)].sort();
  let longest = 0;
  let run = 0;
  let previous: number | undefined;
  for (const day of sorted) {
    const t = Date.parse(`${day}T00:00:00Z`);
    run = previous !== undefined && t - previous === DAY_MS ? run + 1 : 1;
    longest = Math.max(longest, run);
    previous = t;
  }
  return { current: run, longest };
}

/**
 * True when some month's total is lower than the previous month's, both months having entries
 * and the month being over (a later month has entries).
 */
export function hasMonthUnderPrevious(
  byMonth: Readonly<Record<string, string>>,
  currentMonth: string | undefined,
): boolean {
  if (currentMonth === undefined) return false;
  return Object.entries(byMonth).some(([month, total]) => {
    const before = byMonth[previousMonth(month)];
    return month < currentMonth && before !== undefined && compareDecimals(total, before) < 0;
  });
}

function periodOf(period: Goal["period"], day: string): string {
  return period === "daily" ? day : day.slice(0, 7);
}

/** Progress towards one goal from the user's entries (see `GoalProgressSchema`). */
export function goalProgress(
  goal: Goal,
  entries: readonly CarbonEntry[],
  lastEntryDate: string | undefined,
): GoalProgress {
  const totals = new Map<string, string>();
  for (const entry of entries) {
    const period = periodOf(goal.period, dayOf(entry.timestamp));
    const counted = goal.category === undefined || goal.category === entry.category ? entry.kgCO2e : "0";
    totals.set(period, addDecimals(totals.get(period) ?? "0", counted));
  }
  const current = lastEntryDate === undefined ? undefined : periodOf(goal.period, lastEntryDate);
  const since = periodOf(goal.period, dayOf(goal.createdAt));
  const used = current === undefined ? "0" : (totals.get(current) ?? "0");
  const metPeriods = [...totals].filter(
    ([period, total]) =>
      current !== undefined &&
      period < current &&
      period >= since &&
      compareDecimals(total, goal.targetKgCO2e) <= 0,
  ).length;
  return {
    goalId: goal.goalId,
    title: goal.title,
    period: goal.period,
    targetKgCO2e: goal.targetKgCO2e,
    ...(goal.category === undefined ? {} : { category: goal.category }),
    status: goal.status,
    ...(current === undefined ? {} : { currentPeriod: current }),
    usedKgCO2e: used,
    remainingKgCO2e: subtractDecimals(goal.targetKgCO2e, used),
    withinBudget: compareDecimals(used, goal.targetKgCO2e) <= 0,
    metPeriods,
  };
}

/** A user's statistics from all of their entries and goals. */
export function computeUserStats(entries: readonly CarbonEntry[], goals: readonly Goal[]): ComputedUserStats {
  const byCategory: Record<string, string> = {};
  const byDay: Record<string, string> = {};
  const byMonth: Record<string, string> = {};
  for (const entry of entries) {
    const day = dayOf(entry.timestamp);
    const month = day.slice(0, 7);
    byCategory[entry.category] = addDecimals(byCategory[entry.category] ?? "0", entry.kgCO2e);
    byDay[day] = addDecimals(byDay[day] ?? "0", entry.kgCO2e);
    byMonth[month] = addDecimals(byMonth[month] ?? "0", entry.kgCO2e);
  }
  const days = Object.keys(byDay).sort();
  const lastEntryDate = days[days.length - 1];
  const { current, longest } = streaks(days);
  return {
    totalKgCO2e: addDecimals(...entries.map((e) => e.kgCO2e)),
    entryCount: entries.length,
    byCategory,
    byDay,
    byMonth,
    currentStreakDays: current,
    longestStreakDays: longest,
    ...(lastEntryDate === undefined ? {} : { lastEntryDate }),
    goals: goals
      .filter((g) => g.status !== "cancelled")
      .sort((a, b) => a.goalId.localeCompare(b.goalId))
      .map((g) => goalProgress(g, entries, lastEntryDate)),
  };
}

/** JSON with object keys sorted, so two equal values always serialise the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** True when two statistics say the same, whenever each was written. */
export function sameStats(
  a: Omit<UserStats, "updatedAt"> | undefined,
  b: Omit<UserStats, "updatedAt"> | undefined,
): boolean {
  const strip = (s: Omit<UserStats, "updatedAt"> | undefined) => {
    if (s === undefined) return undefined;
    const { updatedAt: _ignored, ...rest } = s as UserStats;
    return rest;
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

async function queryUser(
  client: DynamoDBClient,
  tableName: string,
  userId: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "userId = :u",
        ExpressionAttributeValues: { ":u": { S: userId } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** One user's entries and goals, read strongly consistently so the triggering write is seen. */
export async function loadCarbonSources(
  client: DynamoDBClient,
  tables: { readonly entries: string; readonly goals: string },
  userId: string,
): Promise<{ entries: CarbonEntry[]; goals: Goal[] }> {
  const [entries, goals] = await Promise.all([
    queryUser(client, tables.entries, userId),
    queryUser(client, tables.goals, userId),
  ]);
  return {
    entries: entries.map((item) => CarbonEntrySchema.parse(item)),
    goals: goals.map((item) => GoalSchema.parse(item)),
  };
}
