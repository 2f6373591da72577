import { describe, expect, it } from "vitest";
import { RetryBudget } from "#commons/read-modify-write.ts";

describe("RetryBudget", () => {
  it("allows 8 attempts when no invocation bounds it (a script, a bench)", () => {
    // Arrange
    const budget = new RetryBudget(undefined);

    // Act
    const answers = Array.from({ length: 8 }, (_, i) => {
      budget.begin();
      return budget.another(i + 1);
    });

    // Assert: seven more attempts after the first, then none
    expect(answers).toEqual([true, true, true, true, true, true, true, false]);
  });

  it("keeps retrying a lost race past 8 attempts while the invocation has time", () => {
    // Arrange: 25 s left, as a 30 s consumer early in its run
    const budget = new RetryBudget({ remainingTimeMs: () => 25_000 });

    // Act
    budget.begin();
    const after20 = budget.another(20);

    // Assert
    expect(after20).toBe(true);
  });

  it("gives up while 2 s and the next back-off are still left, so the end is its error, not a timeout", () => {
    // Arrange: 2.5 s left — less than 2 s kept back plus a back-off of up to 1 s
    const budget = new RetryBudget({ remainingTimeMs: () => 2_500 });

    // Act
    budget.begin();
    const another = budget.another(10);

    // Assert
    expect(another).toBe(false);
    expect(budget.describe(10)).toBe(
      "every one of 10 attempts, until the invocation had no time left for another",
    );
  });
});
