import { describe, expect, it } from "vitest";
import {
  computeUserStats,
  hasMonthUnderPrevious,
  previousMonth,
  sameStats,
  streaks,
} from "#commons/carbon-stats.ts";
import type { CarbonEntry, Goal } from "#schemas/carbon.ts";

function entry(
  timestamp: string,
  kgCO2e: string,
  category: CarbonEntry["category"] = "transport",
): CarbonEntry {
  return { userId: "u1", timestamp, category, activity: "commute", kgCO2e };
}

function goal(overrides: Partial<Goal> = {}): Goal {
  return {
    userId: "u1",
    goalId: "g1",
    title: "Under 5 kg a day",
    period: "daily",
    targetKgCO2e: "5",
    status: "active",
    createdAt: "2025-11-01T00:00:00.000Z",
    ...overrides,
  };
}

describe("streaks", () => {
  it.each([
    { description: "are zero without entries", days: [], current: 0, longest: 0 },
    { description: "count one day", days: ["2025-11-01"], current: 1, longest: 1 },
    {
      description: "count consecutive days across a month end",
      days: ["2025-10-30", "2025-10-31", "2025-11-01"],
      current: 3,
      longest: 3,
    },
    {
      description: "restart after a gap, keeping the longest",
      days: ["2025-11-01", "2025-11-02", "2025-11-03", "2025-11-05"],
      current: 1,
      longest: 3,
    },
    {
      description: "ignore repeated days and input order",
      days: ["2025-11-03", "2025-11-02", "2025-11-02", "2025-11-01"],
      current: 3,
      longest: 3,
    },
    {
      description: "count across a leap day",
      days: ["2024-02-28", "2024-02-29", "2024-03-01"],
      current: 3,
      longest: 3,
    },
  ])("$description", ({ days, current, longest }) => {
    // Arrange, Act
    const result = streaks(days);

    // Assert
    expect(result).toEqual({ current, longest });
  });
});

describe("hasMonthUnderPrevious", () => {
  it.each<{ description: string; byMonth: Record<string, string>; current: string; met: boolean }>([
    {
      description: "is met when a finished month is under the one before",
      byMonth: { "2025-09": "40", "2025-10": "30.5", "2025-11": "1" },
      current: "2025-11",
      met: true,
    },
    {
      description: "is not met by the month still running",
      byMonth: { "2025-10": "40", "2025-11": "1" },
      current: "2025-11",
      met: false,
    },
    {
      description: "is not met when the month is higher",
      byMonth: { "2025-09": "30", "2025-10": "30.01", "2025-11": "1" },
      current: "2025-11",
      met: false,
    },
    {
      description: "is not met across a month without entries",
      byMonth: { "2025-08": "40", "2025-10": "30", "2025-11": "1" },
      current: "2025-11",
      met: false,
    },
    {
      description: "compares December with January across the year end",
      byMonth: { "2024-12": "50", "2025-01": "49.99", "2025-02": "1" },
      current: "2025-02",
      met: true,
    },
  ])("$description", ({ byMonth, current, met }) => {
    // Arrange, Act, Assert
    expect(hasMonthUnderPrevious(byMonth, current)).toBe(met);
  });

  it("knows the month before January", () => {
    // Arrange, Act, Assert
    expect(previousMonth("2025-01")).toBe("2024-12");
  });
});

describe("computeUserStats", () => {
  it("sums amounts exactly by category, day and month", () => {
    // Arrange
    const entries = [
      entry("2025-11-01T08:00:00.000Z", "0.1"),
      entry("2025-11-01T18:00:00.000Z", "0.2", "energy"),
      entry("2025-11-02T08:00:00+02:00", "1.15", "energy"),
      entry("2025-12-01T08:00:00.000Z", "3"),
    ];

    // Act
    const stats = computeUserStats(entries, []);

    // Assert
    expect(stats).toMatchObject({
      totalKgCO2e: "4.45",
      entryCount: 4,
      byCategory: { transport: "3.1", energy: "1.35" },
      byDay: { "2025-11-01": "0.3", "2025-11-02": "1.15", "2025-12-01": "3" },
      byMonth: { "2025-11": "1.45", "2025-12": "3" },
      currentStreakDays: 1,
      longestStreakDays: 2,
      lastEntryDate: "2025-12-01",
    });
  });

  it("gives the same statistics whatever the order of the entries", () => {
    // Arrange
    const entries = [
      entry("2025-11-03T08:00:00.000Z", "2.5"),
      entry("2025-11-01T08:00:00.000Z", "1"),
      entry("2025-11-02T08:00:00.000Z", "0.25"),
    ];

    // Act
    const forwards = computeUserStats(entries, [goal()]);
    const backwards = computeUserStats([...entries].reverse(), [goal()]);

    // Assert
    expect(sameStats(forwards, backwards)).toBe(true);
  });

  it("reports goal progress in the latest entry's period and counts periods met", () => {
    // Arrange
    const entries = [
      entry("2025-11-01T08:00:00.000Z", "4"),
      entry("2025-11-02T08:00:00.000Z", "6"),
      entry("2025-11-03T08:00:00.000Z", "2.5"),
      entry("2025-11-03T09:00:00.000Z", "1", "food"),
    ];

    // Act
    const stats = computeUserStats(entries, [
      goal(),
      goal({ goalId: "g2", category: "food", status: "cancelled" }),
    ]);

    // Assert
    expect(stats.goals).toEqual([
      {
        goalId: "g1",
        title: "Under 5 kg a day",
        period: "daily",
        targetKgCO2e: "5",
        status: "active",
        currentPeriod: "2025-11-03",
        usedKgCO2e: "3.5",
        remainingKgCO2e: "1.5",
        withinBudget: true,
        metPeriods: 1,
      },
    ]);
  });
});
