import { describe, expect, it } from "vitest";
import { computeUserStats as windowedStats } from "#commons/carbon-stats.ts";
import type { CarbonEntry, Goal } from "#schemas/carbon.ts";
import { computeUserStats } from "../../../bench/recompute-baseline/carbon-stats.ts";

/** One entry a day for 400 days from 2024-01-01 (to 2025-02-03): 1.5 kg on even days, 7 kg on odd. */
function history(): CarbonEntry[] {
  return Array.from({ length: 400 }, (_, i) => ({
    userId: "u1",
    timestamp: new Date(Date.UTC(2024, 0, 1 + i, 8)).toISOString(),
    category: "transport",
    activity: "commute",
    kgCO2e: i % 2 === 0 ? "1.5" : "7",
  }));
}

/** A daily goal of 5 kg and a monthly one of 129 kg, both set before the history began. */
const goals: Goal[] = (["daily", "monthly"] as const).map((period) => ({
  userId: "u1",
  goalId: period,
  title: `Within budget, ${period}`,
  period,
  targetKgCO2e: period === "daily" ? "5" : "129",
  status: "active",
  createdAt: "2023-12-01T00:00:00.000Z",
}));

describe("the recompute-everything baseline of the carbon-history bench", () => {
  it("keeps every day and month of the history and counts goal periods met over all of them", () => {
    // Act
    const stats = computeUserStats(history(), goals);

    // Assert
    expect(stats.lastEntryDate).toBe("2025-02-03");
    expect(Object.keys(stats.byDay)).toHaveLength(400);
    expect(Object.keys(stats.byMonth)).toHaveLength(14);
    expect(stats.byMonth["2024-01"]).toBe("129");
    // Every even day; and every month but May, August and December 2024 (134.5 kg), before February 2025.
    expect(stats.goals?.map((g) => g.metPeriods)).toEqual([200, 10]);
  });

  it("agrees with ripple's statistics on everything but how far back they reach", () => {
    // Arrange
    const ripple = windowedStats(history(), goals);

    // Act
    const stats = computeUserStats(history(), goals);

    // Assert
    const within = (all: Record<string, string>, window: Record<string, string>) =>
      Object.fromEntries(Object.keys(window).map((key) => [key, all[key]]));
    const withoutMet = (progress: typeof stats.goals) =>
      (progress ?? []).map(({ metPeriods: _met, ...rest }) => rest);
    expect({
      ...stats,
      byDay: within(stats.byDay, ripple.byDay),
      byMonth: within(stats.byMonth, ripple.byMonth),
      goals: withoutMet(stats.goals),
    }).toEqual({ ...ripple, goals: withoutMet(ripple.goals) });
  });
});
