import { describe, expect, it } from "vitest";
import { daysIn, EMPTY_DAY_SET, withDay } from "#commons/day-set.ts";

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
