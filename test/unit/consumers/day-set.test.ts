import { describe, expect, it } from "vitest";
import { runsOfDays } from "#commons/carbon-stats.ts";
import { daysIn, EMPTY_DAY_SET, runsOf, withDay } from "#commons/day-set.ts";

const build = (changes: readonly [string, boolean][]) =>
  changes.reduce((set, [day, present]) => withDay(set, day, present), EMPTY_DAY_SET);

describe("day set", () => {
  it.each([
    {
      description: "keeps days in order whatever the order added",
      changes: [
        ["2025-11-03", true],
        ["2025-11-01", true],
        ["2025-11-02", true],
      ],
      days: ["2025-11-01", "2025-11-02", "2025-11-03"],
    },
    {
      description: "adds a day before the first one",
      changes: [
        ["2025-11-10", true],
        ["2024-02-29", true],
      ],
      days: ["2024-02-29", "2025-11-10"],
    },
    {
      description: "removes a day",
      changes: [
        ["2025-11-01", true],
        ["2025-11-02", true],
        ["2025-11-01", false],
      ],
      days: ["2025-11-02"],
    },
    {
      description: "ignores removing a day it does not hold",
      changes: [
        ["2025-11-01", true],
        ["2026-01-01", false],
        ["2025-10-01", false],
      ],
      days: ["2025-11-01"],
    },
    {
      description: "empties to nothing",
      changes: [
        ["2025-11-01", true],
        ["2025-11-01", false],
      ],
      days: [],
    },
    {
      description: "adds a day twice once",
      changes: [
        ["2025-11-01", true],
        ["2025-11-01", true],
      ],
      days: ["2025-11-01"],
    },
  ] as { description: string; changes: [string, boolean][]; days: string[] }[])(
    "$description",
    ({ changes, days }) => {
      // Act
      const set = build(changes);

      // Assert
      expect(daysIn(set)).toEqual(days);
    },
  );

  it("keeps ten years of days in 46 bytes a year", () => {
    // Arrange
    const days = Array.from({ length: 3_650 }, (_, i) =>
      new Date(Date.UTC(2015, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    );

    // Act
    const set = build(days.map((day) => [day, true]));

    // Assert
    expect(set.bits.byteLength).toBeLessThanOrEqual(457);
    expect(daysIn(set)).toEqual(days);
  });

  it("drops the empty start when its first day goes", () => {
    // Act
    const set = build([
      ["2020-01-01", true],
      ["2025-11-01", true],
      ["2020-01-01", false],
    ]);

    // Assert
    expect(set.from).toBe("2025-11-01");
    expect(set.bits.byteLength).toBe(1);
  });
});

describe("runs of a day set", () => {
  it.each([
    { description: "an empty set", days: [], runs: { current: 0, longest: 0 } },
    { description: "one day", days: ["2025-11-01"], runs: { lastDay: "2025-11-01", current: 1, longest: 1 } },
    {
      description: "a longer run before a shorter current one, across a month and a leap day",
      days: ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-05", "2024-03-06"],
      runs: { lastDay: "2024-03-06", current: 2, longest: 4 },
    },
    {
      description: "a current run that is the longest, across a year and a byte boundary",
      days: ["2023-12-20", "2023-12-29", "2023-12-30", "2023-12-31", "2024-01-01", "2024-01-02"],
      runs: { lastDay: "2024-01-02", current: 5, longest: 5 },
    },
  ] as { description: string; days: string[]; runs: object }[])(
    "reads $description from its bits",
    ({ days, runs }) => {
      // Arrange
      const set = days.reduce((s, day) => withDay(s, day, true), EMPTY_DAY_SET);

      // Act
      const result = runsOf(set);

      // Assert: as the bits say, and as the streaks over the same days as dates say
      expect(result).toEqual(runs);
      expect(result).toEqual(runsOfDays(days));
    },
  );

  it("agrees with the streaks over the dates for a seeded ten-year history with gaps", () => {
    // Arrange: each day of ten years present with probability 0.8
    let seed = 20_251_202;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const days = Array.from({ length: 3_650 }, (_, i) =>
      new Date(Date.UTC(2015, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    ).filter(() => random() < 0.8);
    const set = days.reduce((s, day) => withDay(s, day, true), EMPTY_DAY_SET);

    // Act
    const result = runsOf(set);

    // Assert
    expect(result).toEqual(runsOfDays(days));
    expect(result.longest).toBeGreaterThan(5);
  });
});
