// Baseline for bench/consumers.ts: ripple's recompute-everything CarbonTrack consumers as they were
// before day and month cells (commit ddc0694). Not product code. What that design shares with
// ripple today (day arithmetic, streaks, cells, goal progress, comparing statistics, paged reads)
// is imported from the product; what is its own is kept here: every event reads the user's whole
// history, and the statistics it writes reach over the whole history, not the window.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  type Cell,
  type ComputedUserStats,
  cellOf,
  dayOf,
  goalProgress,
  runsOfDays,
} from "#commons/carbon-stats.ts";
import { addDecimals } from "#commons/decimal.ts";
import { queryPartition } from "#commons/pages.ts";
import {
  type CarbonEntry,
  CarbonEntrySchema,
  type Goal,
  type GoalProgress,
  GoalSchema,
} from "#schemas/carbon.ts";

/** The cells of the entries grouped by `periodOf` their day (the day itself, or its month). */
function cellsBy(entries: readonly CarbonEntry[], periodOf: (day: string) => string): Record<string, Cell> {
  const groups = new Map<string, CarbonEntry[]>();
  for (const entry of entries) {
    const period = periodOf(dayOf(entry.timestamp));
    const group = groups.get(period);
    if (group === undefined) groups.set(period, [entry]);
    else group.push(entry);
  }
  return Object.fromEntries([...groups].map(([period, group]) => [period, cellOf(group)]));
}

/**
 * Progress towards each goal but the cancelled ones, by goal id, over every day or month of the
 * history: each goal reads all the entries again, as the old design's did.
 */
function goalsOverHistory(
  goals: readonly Goal[],
  entries: readonly CarbonEntry[],
  lastEntryDate: string | undefined,
): GoalProgress[] {
  return goals
    .filter((g) => g.status !== "cancelled")
    .sort((a, b) => a.goalId.localeCompare(b.goalId))
    .map((g) => {
      const periods = cellsBy(entries, g.period === "daily" ? (day) => day : (day) => day.slice(0, 7));
      return goalProgress(g, periods, lastEntryDate);
    });
}

/**
 * A user's statistics from all of their entries and goals as the old design kept them: `byDay`,
 * `byMonth` and goal progress reach over the whole history, not the window (`STATS_WINDOW`), so
 * the item grows with the history.
 */
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
  const { lastDay, current, longest } = runsOfDays(Object.keys(byDay));
  return {
    totalKgCO2e: addDecimals(...entries.map((e) => e.kgCO2e)),
    entryCount: entries.length,
    byCategory,
    byDay,
    byMonth,
    currentStreakDays: current,
    longestStreakDays: longest,
    ...(lastDay === undefined ? {} : { lastEntryDate: lastDay }),
    goals: goalsOverHistory(goals, entries, lastDay),
  };
}

/** One user's entries and goals, read strongly consistently so the triggering write is seen. */
export async function loadCarbonSources(
  client: DynamoDBClient,
  tables: { readonly entries: string; readonly goals: string },
  userId: string,
): Promise<{ entries: CarbonEntry[]; goals: Goal[] }> {
  const [entries, goals] = await Promise.all([
    queryPartition(client, tables.entries, "userId", userId),
    queryPartition(client, tables.goals, "userId", userId),
  ]);
  return {
    entries: entries.map((item) => CarbonEntrySchema.parse(unmarshall(item))),
    goals: goals.map((item) => GoalSchema.parse(unmarshall(item))),
  };
}
