import { describe, expect, it } from "vitest";
import { computeUserStats } from "#commons/carbon-stats.ts";
import type { CarbonEntry, Goal } from "#schemas/carbon.ts";
import { ACHIEVEMENT_RULES, metRules } from "../../../functions/achievements/rules.ts";

function entriesOnDays(days: readonly string[], kgCO2e = "1"): CarbonEntry[] {
  return days.map((day, i) => ({
    userId: "u1",
    timestamp: `${day}T08:00:${String(i % 60).padStart(2, "0")}.000Z`,
    category: "food",
    activity: "lunch",
    kgCO2e,
  }));
}

const week = ["01", "02", "03", "04", "05", "06", "07"].map((d) => `2025-11-${d}`);
const goal: Goal = {
  userId: "u1",
  goalId: "g1",
  title: "Under 2 kg a day",
  period: "daily",
  targetKgCO2e: "2",
  status: "active",
  createdAt: "2025-10-01T00:00:00.000Z",
};

describe("achievement rules", () => {
  it.each([
    { description: "unlock nothing without entries", entries: [], goals: [], ids: [] },
    {
      description: "unlock the first entry",
      entries: entriesOnDays(["2025-11-01"], "9"),
      goals: [],
      ids: ["first-entry"],
    },
    {
      description: "unlock a seven-day streak",
      entries: entriesOnDays(week, "9"),
      goals: [],
      ids: ["first-entry", "streak-7-days"],
    },
    {
      description: "do not unlock a streak broken by a day",
      entries: entriesOnDays(
        week.filter((d) => d !== "2025-11-04"),
        "9",
      ),
      goals: [],
      ids: ["first-entry"],
    },
    {
      description: "unlock 100 entries",
      entries: entriesOnDays(
        Array.from({ length: 100 }, () => "2025-11-01"),
        "9",
      ),
      goals: [],
      ids: ["first-entry", "entries-100"],
    },
    {
      description: "unlock a goal met over a finished day",
      entries: entriesOnDays(["2025-11-01", "2025-11-03"]),
      goals: [goal],
      ids: ["first-entry", "goal-met"],
    },
    {
      description: "unlock a month under the previous one",
      entries: [
        ...entriesOnDays(["2025-09-01", "2025-09-02"], "9"),
        ...entriesOnDays(["2025-10-01"], "9"),
        ...entriesOnDays(["2025-11-01"], "9"),
      ],
      goals: [],
      ids: ["first-entry", "month-under-previous"],
    },
  ])("$description", ({ entries, goals, ids }) => {
    // Arrange
    const stats = computeUserStats(entries, goals);

    // Act
    const met = metRules(stats).map((r) => r.achievementId);

    // Assert
    expect(met).toEqual(ids);
  });

  it("declares unique achievement ids", () => {
    // Arrange
    const ids = ACHIEVEMENT_RULES.map((r) => r.achievementId);

    // Act, Assert
    expect(new Set(ids).size).toBe(ids.length);
  });
});
