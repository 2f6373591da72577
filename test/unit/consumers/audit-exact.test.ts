import { describe, expect, it } from "vitest";
import { compareExact, exact, exactText, readExact, sumTexts, timesExact } from "#infra/audit/exact.ts";
import { expectedCarPark } from "#infra/audit/recompute.ts";

describe("the audit's own exact arithmetic", () => {
  it.each([
    {
      description: "a long fraction and a whole",
      terms: ["0.1234567890123456789", "1"],
      sum: "1.1234567890123456789",
    },
    { description: "an exponent", terms: ["1E-7", "0.0000002"], sum: "0.0000003" },
    { description: "negative zero", terms: ["-0", "0"], sum: "0" },
    {
      description: "38-digit values into 39 digits",
      terms: ["99999999999999999999999999999999999999", "1"],
      sum: "100000000000000000000000000000000000000",
    },
    { description: "trailing zeros", terms: ["1.50", "2.50"], sum: "4" },
    { description: "nothing", terms: [], sum: "0" },
  ])("sums $description exactly", ({ terms, sum }) => {
    expect(sumTexts(terms)).toBe(sum);
  });

  it("multiplies a 38-digit price by a quantity without rounding", () => {
    expect(exactText(timesExact(exact("1234567890123456789012345678.0123456789"), 999n))).toBe(
      "1233333322233333332223333332334.3333332211",
    );
  });

  it.each([
    { a: "0.1", b: "0.10", sign: 0 },
    { a: "1E-7", b: "0.0000001", sign: 0 },
    { a: "-0.5", b: "0", sign: -1 },
    { a: "100000000000000000000000000000000000001", b: "100000000000000000000000000000000000000", sign: 1 },
  ])("compares $a with $b", ({ a, b, sign }) => {
    expect(compareExact(exact(a), exact(b))).toBe(sign);
  });

  it.each(["12,5", "1.2.3", "", "NaN", "£3"])("reads %j as no number", (text) => {
    expect(readExact(text)).toBeUndefined();
  });
});

describe("the audit's own car park rule", () => {
  it.each([
    { occupied: 245, capacity: 450, percent: "54.4", status: "green" },
    { occupied: 1, capacity: 3, percent: "33.3", status: "green" },
    { occupied: 2, capacity: 3, percent: "66.7", status: "green" },
    { occupied: 315, capacity: 450, percent: "70", status: "amber" },
    { occupied: 405, capacity: 450, percent: "90", status: "red" },
    { occupied: 0, capacity: 0, percent: "100", status: "red" },
  ])("makes $occupied of $capacity $percent% ($status)", ({ occupied, capacity, percent, status }) => {
    // Act
    const park = expectedCarPark(
      {
        carParkId: "CP",
        name: "P",
        capacity,
        occupied,
        available: 0,
        percentFull: "0",
        status: "green",
        hourlyRate: "1",
        lastUpdated: "2025-12-01T00:00:00.000Z",
      },
      { amberAtPercent: 70, redAtPercent: 90 },
    );
    // Assert
    expect(park).toMatchObject({ percentFull: percent, status, available: capacity - occupied });
  });
});
