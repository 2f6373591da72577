import { describe, expect, it } from "vitest";
import { instantOfEventId } from "#schemas/api.ts";
import {
  ExactNumber,
  exact,
  fixedDecimal,
  inexactNumbers,
  stringifyJson,
} from "../../../functions/api/json.ts";
import { displayRate } from "../../../functions/api/routes/parking.ts";
import { newEventId } from "../../../functions/api/routes/stored-events.ts";

describe("stringifyJson", () => {
  it.each([
    { description: "a price", value: { price: exact("249.99") }, expected: '{"price":249.99}' },
    {
      description: "a total past double precision",
      value: [exact("12345678901234567890.01")],
      expected: "[12345678901234567890.01]",
    },
    { description: "a one-decimal percentage", value: { p: exact("70.0") }, expected: '{"p":70.0}' },
    { description: "undefined properties left out", value: { a: 1, b: undefined }, expected: '{"a":1}' },
    {
      description: "strings escaped as JSON does",
      value: { s: 'a"\n\u2028' },
      expected: JSON.stringify({ s: 'a"\n\u2028' }),
    },
  ])("writes $description exactly", ({ value, expected }) => {
    // Act
    const text = stringifyJson(value);

    // Assert
    expect(text).toBe(expected);
  });

  it("refuses a number token that is not a plain decimal", () => {
    // Act / Assert
    expect(() => new ExactNumber("1e5")).toThrow(/plain decimal/);
  });
});

describe("decimal display", () => {
  it.each([
    { description: "fixed one decimal of 100", actual: () => fixedDecimal("100", 1), expected: "100.0" },
    { description: "fixed two decimals of 0.5", actual: () => fixedDecimal("0.5", 2), expected: "0.50" },
    { description: "a rate shown in pounds", actual: () => displayRate("1.5"), expected: "£1.50" },
  ])("writes $description", ({ actual, expected }) => {
    // Act / Assert
    expect(actual()).toBe(expected);
  });
});

describe("stored event ids", () => {
  it("carry the instant they were created at", () => {
    // Arrange
    const at = new Date("2025-11-30T16:05:12.923Z");

    // Act
    const id = newEventId(at);

    // Assert
    expect(id).toMatch(/^\d{13}-[0-9a-f]{32}$/);
    expect(instantOfEventId(id)).toBe("2025-11-30T16:05:12.923Z");
  });

  it("decode to nothing when tampered with", () => {
    // Act / Assert
    expect(instantOfEventId("1764518712923-XYZ")).toBeUndefined();
  });
});

describe("inexactNumbers", () => {
  it.each([
    { description: "a price within a double's precision", text: '{"price":249.99}', found: [] },
    { description: "trailing zeros and exponents", text: '{"a":1.50,"b":1E3,"c":-0,"d":15e-1}', found: [] },
    { description: "number-like strings", text: '{"price":"9.999999999999999999"}', found: [] },
    {
      description: "a price past a double's precision",
      text: '{"price":9.999999999999999999}',
      found: [{ path: ["price"], token: "9.999999999999999999", parsed: 10 }],
    },
    {
      description: "a decimal a 2-decimal rule would pass once rounded",
      text: '{"lines":[{"price":1},{"price":0.1000000000000000001}]}',
      found: [{ path: ["lines", 1, "price"], token: "0.1000000000000000001", parsed: 0.1 }],
    },
    {
      description: "an integer past 2^53",
      text: '{"id":12345678901234567891}',
      found: [{ path: ["id"], token: "12345678901234567891", parsed: 12345678901234567000 }],
    },
    {
      description: "numbers out of a double's range",
      text: "[1e400,1e-400]",
      found: [
        { path: [0], token: "1e400", parsed: Number.POSITIVE_INFINITY },
        { path: [1], token: "1e-400", parsed: 0 },
      ],
    },
    {
      description: "a key with escapes and a number-like value beside it",
      text: '{"a\\"b":{"x":"1,2","y":0.30000000000000000001}}',
      found: [{ path: ['a"b', "y"], token: "0.30000000000000000001", parsed: 0.3 }],
    },
  ])("finds $description", ({ text, found }) => {
    // Act
    const result = inexactNumbers(text);

    // Assert
    expect(result).toEqual(found);
  });
});
