import { describe, expect, it } from "vitest";
import { addDecimals, compareDecimals, multiplyDecimal, subtractDecimals } from "#commons/decimal.ts";
import { InvalidDecimalError } from "#commons/errors.ts";

describe("exact decimals", () => {
  it.each([
    { description: "adds tenths that floats round", values: ["0.1", "0.2"], sum: "0.3" },
    { description: "drops trailing zeros", values: ["1.25", "0.75"], sum: "2" },
    { description: "keeps the longest scale", values: ["12.5", "0.005"], sum: "12.505" },
    { description: "sums nothing to zero", values: [], sum: "0" },
    { description: "adds negatives", values: ["-3.5", "1.25"], sum: "-2.25" },
    {
      description: "adds beyond double precision",
      values: ["99999999999999999999999999999999999.9", "0.1"],
      sum: "100000000000000000000000000000000000",
    },
  ])("$description", ({ values, sum }) => {
    // Arrange, Act
    const result = addDecimals(...values);

    // Assert
    expect(result).toBe(sum);
  });

  it.each([
    { description: "subtracts to a negative remainder", a: "5", b: "7.25", result: "-2.25" },
    { description: "subtracts to zero without a sign", a: "0.3", b: "0.30", result: "0" },
  ])("$description", ({ a, b, result }) => {
    // Arrange, Act, Assert
    expect(subtractDecimals(a, b)).toBe(result);
  });

  it("multiplies a price by a quantity exactly", () => {
    // Arrange, Act
    const value = multiplyDecimal("19.99", 3);

    // Assert
    expect(value).toBe("59.97");
  });

  it.each([
    { description: "orders by value, not by text", a: "10", b: "9.5", order: 1 },
    { description: "treats equal scales as equal", a: "1.50", b: "1.5", order: 0 },
    { description: "orders negatives", a: "-2", b: "-1.5", order: -1 },
  ])("$description", ({ a, b, order }) => {
    // Arrange, Act, Assert
    expect(compareDecimals(a, b)).toBe(order);
  });

  it("refuses text that is not a decimal, naming it", () => {
    // Arrange, Act, Assert
    expect(() => addDecimals("1e3")).toThrow(InvalidDecimalError);
    expect(() => addDecimals("1e3")).toThrow(/"1e3"/);
  });
});
