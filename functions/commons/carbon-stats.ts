import type { CarbonEntry, Goal, GoalProgress, UserStats } from "#schemas/carbon.ts";
import { addDecimals, compareDecimals, subtractDecimals } from "./decimal.ts";

/**
 * CarbonTrack statistics, shared by the carbon-stats and achievements consumers and the audit.
 *
 * Everything is derived from the user's entries and goals, never from the wall clock, so the same
 * entries always give the same statistics. The consumers keep them without reading a user's
 * history: they add each entry's change to per-day and per-month cells and to all-time totals
 * (`functions/commons/carbon-aggregate.ts`), and derive the statistics from those with
 * {@link statsFromCells} — the same function {@link computeUserStats} uses on a full history, so
 * the two cannot disagree.
 *
 * All-time: total, entry count, by category, last entry date, current and longest streak.
 * Within the declared window ({@link STATS_WINDOW}, counted back from the latest entry's day):
 * `byDay`, `byMonth` and goal progress (periods met). A window keeps the statistics item — and
 * what one event costs to write — the same size whatever the length of the history.
 */

/** Statistics without the write time. */
export type ComputedUserStats = Omit<UserStats, "updatedAt">;

/** How far back from the latest entry's day the windowed statistics reach. */
export const STATS_WINDOW = {
  /** `byDay` and daily goals: the latest entry's day and the 30 before it. */
  days: 31,
  /** `byMonth` and monthly goals: the latest entry's month and the 12 before it. */
  months: 13,
} as const;

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

/** The day `n` days after `day` (negative: before). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The first day and month of the window that ends on `lastDay`. */
export function windowStart(lastDay: string): { day: string; month: string } {
  let month = lastDay.slice(0, 7);
  for (let i = 1; i < STATS_WINDOW.months; i++) month = previousMonth(month);
  return { day: addDays(lastDay, 1 - STATS_WINDOW.days), month };
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

/** The last day with entries and the daily streaks, all-time. */
export interface DayRuns {
  /** The latest day with an entry; absent without entries. */
  readonly lastDay?: string;
  /** The run of consecutive days that ends on `lastDay`. */
  readonly current: number;
  /** The longest run of consecutive days. */
  readonly longest: number;
}

/** The runs of a collection of days with entries (any order, repeats allowed). */
export function runsOfDays(days: Iterable<string>): DayRuns {
  const sorted = [...new Set(days)].sort();
  const lastDay = sorted[sorted.length - 1];
  return { ...(lastDay === undefined ? {} : { lastDay }), ...streaks(sorted) };
}

/** What a set of entries adds up to: one day's, one month's or a whole history's. */
export interface Cell {
  readonly totalKgCO2e: string;
  readonly entryCount: number;
  readonly byCategory: Readonly<Record<string, string>>;
  /** Entries per category, so a category is dropped exactly when its last entry goes. */
  readonly countByCategory: Readonly<Record<string, number>>;
}

/** A cell with nothing in it. */
export const EMPTY_CELL: Cell = { totalKgCO2e: "0", entryCount: 0, byCategory: {}, countByCategory: {} };

/** What one entry contributes to a cell. */
export type Contribution = Pick<CarbonEntry, "kgCO2e" | "category">;

/** The cell of a set of contributions. */
export function cellOf(contributions: Iterable<Contribution>): Cell {
  let cell = EMPTY_CELL;
  for (const c of contributions) cell = addCell(cell, { ...EMPTY_CELL, ...single(c) });
  return cell;
}

function single(c: Contribution): Cell {
  return {
    totalKgCO2e: c.kgCO2e,
    entryCount: 1,
    byCategory: { [c.category]: c.kgCO2e },
    countByCategory: { [c.category]: 1 },
  };
}

/** `cell + add - remove`, exact; categories without entries are dropped. */
export function addCell(cell: Cell, add: Cell, remove: Cell = EMPTY_CELL): Cell {
  const byCategory: Record<string, string> = {};
  const countByCategory: Record<string, number> = {};
  const categories = new Set([
    ...Object.keys(cell.countByCategory),
    ...Object.keys(add.countByCategory),
    ...Object.keys(remove.countByCategory),
  ]);
  for (const category of [...categories].sort()) {
    const count =
      (cell.countByCategory[category] ?? 0) +
      (add.countByCategory[category] ?? 0) -
      (remove.countByCategory[category] ?? 0);
    if (count <= 0) continue;
    countByCategory[category] = count;
    byCategory[category] = subtractDecimals(
      addDecimals(cell.byCategory[category] ?? "0", add.byCategory[category] ?? "0"),
      remove.byCategory[category] ?? "0",
    );
  }
  const entryCount = cell.entryCount + add.entryCount - remove.entryCount;
  return {
    totalKgCO2e:
      entryCount === 0
        ? "0"
        : subtractDecimals(addDecimals(cell.totalKgCO2e, add.totalKgCO2e), remove.totalKgCO2e),
    entryCount,
    byCategory,
    countByCategory,
  };
}

/** What the statistics are derived from; the cells outside the window may be left out. */
export interface StatsSources {
  /** All-time totals. */
  readonly totals: Cell;
  /** The days with entries, as their last day and runs ({@link runsOfDays}, `runsOf` for a day set). */
  readonly days: DayRuns;
  /** Cells of the days with entries (at least those in the window). */
  readonly dayCells: Readonly<Record<string, Cell>>;
  /** Cells of the months with entries (at least those in the window). */
  readonly monthCells: Readonly<Record<string, Cell>>;
  readonly goals: readonly Goal[];
}

function periodOf(period: Goal["period"], day: string): string {
  return period === "daily" ? day : day.slice(0, 7);
}

function countedKgCO2e(goal: Goal, cell: Cell | undefined): string {
  if (cell === undefined) return "0";
  return goal.category === undefined ? cell.totalKgCO2e : (cell.byCategory[goal.category] ?? "0");
}

/** Progress towards one goal from the cells in the window (see `GoalProgressSchema`). */
export function goalProgress(
  goal: Goal,
  cells: Readonly<Record<string, Cell>>,
  lastEntryDate: string | undefined,
): GoalProgress {
  const current = lastEntryDate === undefined ? undefined : periodOf(goal.period, lastEntryDate);
  const since = periodOf(goal.period, dayOf(goal.createdAt));
  const used = current === undefined ? "0" : countedKgCO2e(goal, cells[current]);
  const metPeriods = Object.entries(cells).filter(
    ([period, cell]) =>
      current !== undefined &&
      period < current &&
      period >= since &&
      cell.entryCount > 0 &&
      compareDecimals(countedKgCO2e(goal, cell), goal.targetKgCO2e) <= 0,
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

function withinWindow(
  cells: Readonly<Record<string, Cell>>,
  from: string | undefined,
  to: string | undefined,
): Record<string, Cell> {
  if (from === undefined || to === undefined) return {};
  return Object.fromEntries(
    Object.entries(cells).filter(([key, cell]) => key >= from && key <= to && cell.entryCount > 0),
  );
}

/** The statistics from all-time totals, the days with entries and the cells of the window. */
export function statsFromCells(sources: StatsSources): ComputedUserStats {
  const lastEntryDate = sources.days.lastDay;
  const start = lastEntryDate === undefined ? undefined : windowStart(lastEntryDate);
  const dayCells = withinWindow(sources.dayCells, start?.day, lastEntryDate);
  const monthCells = withinWindow(sources.monthCells, start?.month, lastEntryDate?.slice(0, 7));
  const totalsOf = (cells: Record<string, Cell>) =>
    Object.fromEntries(
      Object.keys(cells)
        .sort()
        .map((key) => [key, cells[key]!.totalKgCO2e]),
    );
  const { current, longest } = sources.days;
  return {
    totalKgCO2e: sources.totals.totalKgCO2e,
    entryCount: sources.totals.entryCount,
    byCategory: { ...sources.totals.byCategory },
    byDay: totalsOf(dayCells),
    byMonth: totalsOf(monthCells),
    currentStreakDays: current,
    longestStreakDays: longest,
    ...(lastEntryDate === undefined ? {} : { lastEntryDate }),
    goals: sources.goals
      .filter((g) => g.status !== "cancelled")
      .sort((a, b) => (a.goalId < b.goalId ? -1 : a.goalId > b.goalId ? 1 : 0))
      .map((g) => goalProgress(g, g.period === "daily" ? dayCells : monthCells, lastEntryDate)),
  };
}

/** A user's statistics from all of their entries and goals (what the consumers keep, recomputed). */
export function computeUserStats(entries: readonly CarbonEntry[], goals: readonly Goal[]): ComputedUserStats {
  const byDay = new Map<string, Contribution[]>();
  const byMonth = new Map<string, Contribution[]>();
  for (const entry of entries) {
    const day = dayOf(entry.timestamp);
    byDay.set(day, [...(byDay.get(day) ?? []), entry]);
    byMonth.set(day.slice(0, 7), [...(byMonth.get(day.slice(0, 7)) ?? []), entry]);
  }
  const cells = (groups: Map<string, Contribution[]>) =>
    Object.fromEntries([...groups].map(([key, group]) => [key, cellOf(group)]));
  return statsFromCells({
    totals: cellOf(entries),
    days: runsOfDays(byDay.keys()),
    dayCells: cells(byDay),
    monthCells: cells(byMonth),
    goals,
  });
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
