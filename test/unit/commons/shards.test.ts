import { describe, expect, it } from "vitest";
import { AggregateKeys, shardOf, sumCounts } from "#commons/aggregates.ts";

describe("shardOf", () => {
  it("puts one source key on the same shard every time, within the declared count", () => {
    // Act
    const shards = ["CP001", "CP002", "41", "user-7"].map((key) => [shardOf(key, 16), shardOf(key, 16)]);
    // Assert
    for (const [first, again] of shards) {
      expect(first).toBe(again);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(16);
    }
  });

  it("spreads many keys over every shard, none holding more than twice its share", () => {
    // Arrange
    const keys = Array.from({ length: 1_600 }, (_, i) => `pet-${i}`);
    // Act
    const counts = new Array<number>(16).fill(0);
    for (const key of keys) counts[shardOf(key, 16)]!++;
    // Assert
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(200);
  });

  it("keeps everything on shard 0 of a single-item aggregate", () => {
    // Act, Assert
    expect(AggregateKeys.parkingTotals("CP004", 1)).toEqual({ pk: "parking-totals", sk: "shard-0" });
  });

  it("refuses a count of shards that is not a whole number of at least 1, naming where it comes from", () => {
    // Act
    const act = () => shardOf("CP001", 0);
    // Assert
    expect(act).toThrow(RangeError);
    expect(act).toThrow(
      "shards must be a whole number of at least 1 (given 0); it comes from the consumer's aggregateShards",
    );
  });
});

describe("sumCounts", () => {
  it("adds the shards' counts exactly, and refuses a total a JavaScript number would round", () => {
    // Act, Assert
    expect(sumCounts([3, 4, 0])).toBe(7);
    expect(sumCounts([])).toBe(0);
    expect(() => sumCounts([Number.MAX_SAFE_INTEGER, 1])).toThrow(/beyond exact whole numbers/);
  });
});
