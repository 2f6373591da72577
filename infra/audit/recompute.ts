// What the windowed statistics mean (how far back byDay, byMonth and goal progress reach) is part
// of their definition, so the audit reads it; the arithmetic below is its own.
import { STATS_WINDOW } from "#commons/carbon-stats.ts";
import type { CarbonEntry, Goal } from "#schemas/carbon.ts";
import type { CarPark } from "#schemas/parking.ts";
import type { StoredEventStatus } from "#schemas/stored-events.ts";
import { compareExact, exact, exactText, minusExact, sumExact, sumTexts, timesExact } from "./exact.ts";

/**
 * What each aggregate should hold, recomputed from the source items by rules written here a
 * second time — not the consumers' reducers — with the audit's own arithmetic (`exact.ts`).
 * Where the two disagree, one of them is wrong, and the audit says where.
 */

/** A whole-number sum as the aggregates hold it: a number while exact, else its text. */
export function wholeOut(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

function countBy(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
}

/** Status thresholds, in percent (the declaration's `parking`). */
export interface Thresholds {
  readonly amberAtPercent: number;
  readonly redAtPercent: number;
}

/** A car park as parking-totals should keep it: available, percent full (half up, one decimal) and colour. */
export function expectedCarPark(park: CarPark, thresholds: Thresholds): CarPark {
  const capacity = BigInt(park.capacity);
  const occupied = BigInt(park.occupied);
  // Tenths of a percent, rounded half up: floor((occupied × 1000 / capacity) + 1/2).
  const tenths = capacity === 0n ? 1000n : (occupied * 2000n + capacity) / (2n * capacity);
  const percentFull = exactText({ coefficient: tenths, exponent: -1 });
  const status =
    tenths >= BigInt(thresholds.redAtPercent) * 10n
      ? "red"
      : tenths >= BigInt(thresholds.amberAtPercent) * 10n
        ? "amber"
        : "green";
  return { ...park, available: park.capacity - park.occupied, percentFull, status };
}

/** parking-totals: every car park and the sums across them. */
export function expectedParkingTotals(parks: readonly CarPark[], thresholds: Thresholds) {
  const carParks = Object.fromEntries(parks.map((p) => [p.carParkId, expectedCarPark(p, thresholds)]));
  const sum = (field: "capacity" | "occupied" | "available") =>
    wholeOut(Object.values(carParks).reduce((total, p) => total + BigInt(p[field]), 0n));
  return {
    carParks,
    totalCapacity: sum("capacity"),
    totalOccupied: sum("occupied"),
    totalAvailable: sum("available"),
    carParkCount: parks.length,
  };
}

/** store-stats pets: count, count by type, each pet's type. */
export function expectedPetStats(pets: readonly { readonly id: number; readonly type: string }[]) {
  const byId = Object.fromEntries(pets.map((p) => [String(p.id), p.type]));
  return { petCount: pets.length, byType: countBy(Object.values(byId)), pets: byId };
}

/** store-stats carts: non-empty carts, their items and exact value Σ price × quantity. */
export function expectedCartStats(
  carts: readonly {
    readonly userId: string;
    readonly cartItems: readonly { readonly price: string; readonly quantity: number }[];
  }[],
) {
  const open: Record<string, { items: number; value: string }> = {};
  for (const cart of carts) {
    if (cart.cartItems.length === 0) continue;
    open[cart.userId] = {
      items: cart.cartItems.reduce((sum, line) => sum + line.quantity, 0),
      value: exactText(
        sumExact(cart.cartItems.map((line) => timesExact(exact(line.price), BigInt(line.quantity)))),
      ),
    };
  }
  const values = Object.values(open);
  return {
    openCarts: values.length,
    totalItems: values.reduce((sum, c) => sum + c.items, 0),
    totalValue: sumTexts(values.map((c) => c.value)),
    carts: open,
  };
}

/** store-stats stored events of one user: count, count by status, each event's status. */
export function expectedStoredEventStats(
  userId: string,
  events: Readonly<Record<string, StoredEventStatus>>,
) {
  return {
    userId,
    eventCount: Object.keys(events).length,
    byStatus: countBy(Object.values(events)),
    events: { ...events },
  };
}

const DAY_MS = 86_400_000;

function utcDay(timestamp: string): string {
  return new Date(timestamp).toISOString().slice(0, 10);
}

/** The first day and month the windowed statistics reach back to from the latest entry's day. */
function windowFrom(lastDay: string): { day: string; month: string } {
  const day = new Date(Date.parse(`${lastDay}T00:00:00Z`) - (STATS_WINDOW.days - 1) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  let month = lastDay.slice(0, 7);
  for (let i = 1; i < STATS_WINDOW.months; i++) month = monthBefore(month);
  return { day, month };
}

function monthBefore(month: string): string {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, "0")}`;
}

function addTo(totals: Record<string, string>, key: string, amount: string): void {
  totals[key] = sumTexts([totals[key] ?? "0", amount]);
}

/** The longest run of consecutive days, and the run that ends on the latest day. */
function runs(days: readonly string[]): { current: number; longest: number } {
  let current = 0;
  let longest = 0;
  let previous = Number.NaN;
  for (const day of days) {
    const time = Date.parse(`${day}T00:00:00Z`);
    current = time - previous === DAY_MS ? current + 1 : 1;
    if (current > longest) longest = current;
    previous = time;
  }
  return { current, longest };
}

function expectedGoal(goal: Goal, entries: readonly CarbonEntry[], lastDay: string | undefined) {
  const periodOf = (day: string) => (goal.period === "daily" ? day : day.slice(0, 7));
  const totals: Record<string, string> = {};
  for (const entry of entries) {
    const counted = goal.category === undefined || goal.category === entry.category;
    addTo(totals, periodOf(utcDay(entry.timestamp)), counted ? entry.kgCO2e : "0");
  }
  const current = lastDay === undefined ? undefined : periodOf(lastDay);
  const since = periodOf(utcDay(goal.createdAt));
  const reach = lastDay === undefined ? undefined : windowFrom(lastDay);
  const inWindow = (period: string) =>
    reach !== undefined && period >= (goal.period === "daily" ? reach.day : reach.month);
  const target = exact(goal.targetKgCO2e);
  const used = exact(current === undefined ? "0" : (totals[current] ?? "0"));
  const metPeriods = Object.entries(totals).filter(
    ([period, total]) =>
      current !== undefined &&
      period < current &&
      period >= since &&
      inWindow(period) &&
      compareExact(exact(total), target) <= 0,
  ).length;
  return {
    goalId: goal.goalId,
    title: goal.title,
    period: goal.period,
    targetKgCO2e: goal.targetKgCO2e,
    ...(goal.category === undefined ? {} : { category: goal.category }),
    status: goal.status,
    ...(current === undefined ? {} : { currentPeriod: current }),
    usedKgCO2e: exactText(used),
    remainingKgCO2e: exactText(minusExact(target, used)),
    withinBudget: compareExact(used, target) <= 0,
    metPeriods,
  };
}

/** A CarbonTrack user's statistics from their entries and goals. */
export function expectedCarbonStats(entries: readonly CarbonEntry[], goals: readonly Goal[]) {
  const byCategory: Record<string, string> = {};
  const byDay: Record<string, string> = {};
  const byMonth: Record<string, string> = {};
  for (const entry of entries) {
    const day = utcDay(entry.timestamp);
    addTo(byCategory, entry.category, entry.kgCO2e);
    addTo(byDay, day, entry.kgCO2e);
    addTo(byMonth, day.slice(0, 7), entry.kgCO2e);
  }
  const days = Object.keys(byDay).sort();
  const lastEntryDate = days.at(-1);
  const { current, longest } = runs(days);
  const reach = lastEntryDate === undefined ? undefined : windowFrom(lastEntryDate);
  const within = (totals: Record<string, string>, from: string | undefined) =>
    Object.fromEntries(Object.entries(totals).filter(([key]) => from !== undefined && key >= from));
  return {
    totalKgCO2e: sumTexts(entries.map((e) => e.kgCO2e)),
    entryCount: entries.length,
    byCategory,
    byDay: within(byDay, reach?.day),
    byMonth: within(byMonth, reach?.month),
    currentStreakDays: current,
    longestStreakDays: longest,
    ...(lastEntryDate === undefined ? {} : { lastEntryDate }),
    goals: goals
      .filter((g) => g.status !== "cancelled")
      .sort((a, b) => a.goalId.localeCompare(b.goalId))
      .map((g) => expectedGoal(g, entries, lastEntryDate)),
  };
}
export type ExpectedCarbonStats = ReturnType<typeof expectedCarbonStats>;

/**
 * The achievements a user's statistics earn, restated from what each promises (see the
 * achievements consumer's rules): a first entry, a 7-day streak, 100 entries, a goal met, a
 * month under the month before.
 */
export function expectedAchievements(stats: ExpectedCarbonStats): string[] {
  const currentMonth = stats.lastEntryDate?.slice(0, 7);
  const monthUnder = Object.entries(stats.byMonth).some(([month, total]) => {
    const before = stats.byMonth[monthBefore(month)];
    return (
      currentMonth !== undefined &&
      month < currentMonth &&
      before !== undefined &&
      compareExact(exact(total), exact(before)) < 0
    );
  });
  const earned: [string, boolean][] = [
    ["first-entry", stats.entryCount >= 1],
    ["streak-7-days", stats.longestStreakDays >= 7],
    ["entries-100", stats.entryCount >= 100],
    ["goal-met", stats.goals.some((g) => g.metPeriods > 0 || g.status === "achieved")],
    ["month-under-previous", monthUnder],
  ];
  return earned.filter(([, met]) => met).map(([id]) => id);
}
