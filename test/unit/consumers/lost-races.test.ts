import { describe, expect, it } from "vitest";
import { LostRaces } from "#commons/contention.ts";
import { AggregateContentionError } from "#commons/errors.ts";

/** How many lost races `races` takes before it gives up (at most `limit`), and its error. */
async function lostUntilGivenUp(races: LostRaces, limit: number) {
  for (let lost = 0; lost < limit; lost++) {
    races.attemptStarts();
    try {
      await races.lost();
    } catch (error) {
      return { lost: lost + 1, error };
    }
  }
  return { lost: limit, error: undefined };
}

describe("LostRaces", () => {
  it("gives up at the 8th lost race when no invocation bounds it (a script, a bench)", async () => {
    // Arrange
    const races = new LostRaces({}, () => "aggregate {} in t");

    // Act
    const { lost, error } = await lostUntilGivenUp(races, 20);

    // Assert
    expect(lost).toBe(8);
    expect(error).toBeInstanceOf(AggregateContentionError);
    expect((error as Error).message).toMatch(/^aggregate \{\} in t changed under every one of 8 attempts/);
  });

  it("keeps trying past 8 lost races while the invocation has time", async () => {
    // Arrange: 25 s left, as a 30 s consumer early in its run
    const races = new LostRaces({ remainingTimeMs: () => 25_000 }, () => "aggregate {} in t");

    // Act
    const { lost, error } = await lostUntilGivenUp(races, 12);

    // Assert
    expect(error).toBeUndefined();
    expect(lost).toBe(12);
  }, 30_000);

  it("gives up while time is still left, so the end is its error, not the function's timeout", async () => {
    // Arrange: 0.9 s left, less than the 1 s kept in hand for another attempt
    const races = new LostRaces({ remainingTimeMs: () => 900 }, () => "aggregate {} in t");

    // Act
    const { lost, error } = await lostUntilGivenUp(races, 5);

    // Assert
    expect(lost).toBe(1);
    expect((error as Error).message).toMatch(
      /until too little of the invocation was left for another \(900 ms\)/,
    );
  });
});
