import { describe, expect, it } from "vitest";
import { CartItemSchema } from "#schemas/cart.ts";
import {
  AggregateDecimalSchema,
  DecimalSchema,
  IntegerSchema,
  NonNegativeDecimalSchema,
  StoredDecimalSchema,
} from "#schemas/common.ts";
import { CarParkSchema } from "#schemas/parking.ts";
import { PetSchema } from "#schemas/pets.ts";
import { itReturns } from "../../helpers/tables.ts";

describe("DecimalSchema", () => {
  itReturns("keeps $description exact", (input) => DecimalSchema.parse(input), [
    { description: "a price string", input: "249.99", expected: "249.99" },
    { description: "trailing zeros", input: "1.50", expected: "1.5" },
    { description: "a whole number", input: "20", expected: "20" },
    { description: "a JSON number", input: 0.1, expected: "0.1" },
    { description: "negative zero", input: "-0.00", expected: "0" },
    { description: "negative zero written short", input: "-0", expected: "0" },
    { description: "a negative fraction", input: "-12.5", expected: "-12.5" },
    { description: "a fraction below one", input: "0.05", expected: "0.05" },
    {
      description: "a 38-character fraction",
      input: `0.${"0".repeat(35)}1`,
      expected: `0.${"0".repeat(35)}1`,
    },
    {
      description: "38 significant digits",
      input: "1234567890123456789012345678.0123456789",
      expected: "1234567890123456789012345678.0123456789",
    },
    { description: "an exponent as DynamoDB accepts it", input: "1E-7", expected: "0.0000001" },
    { description: "a positive exponent in a string", input: "1e2", expected: "100" },
    { description: "a positive exponent as a JSON number", input: 1e2, expected: "100" },
    { description: "a small JSON number written with an exponent", input: 1e-7, expected: "0.0000001" },
    { description: "negative zero as a JSON number", input: -0, expected: "0" },
    { description: "an exponent with a fraction", input: "1.25E+3", expected: "1250" },
    {
      description: "DynamoDB's smallest number",
      input: "1E-130",
      expected: `0.${"0".repeat(129)}1`,
    },
    {
      description: "DynamoDB's largest number",
      input: "9.9999999999999999999999999999999999999E+125",
      expected: `${"9".repeat(38)}${"0".repeat(88)}`,
    },
  ]);

  it.each([
    { description: "a leading zero", input: "01.5" },
    { description: "a bare point", input: ".5" },
    { description: "text", input: "£1.50" },
    { description: "an empty string", input: "" },
    { description: "a thousands separator", input: "1,000" },
  ])("refuses $description and says what a decimal looks like", ({ input }) => {
    // Act
    const result = DecimalSchema.safeParse(input);
    // Assert
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('expected a decimal number such as "12.50"');
  });

  it.each([
    {
      description: "39 significant digits",
      input: "1.23456789012345678901234567890123456789",
      says: "at most 38 significant digits",
    },
    {
      description: "39 significant digits without a point",
      input: "123456789012345678901234567890123456789",
      says: "at most 38 significant digits",
    },
    { description: "a value below DynamoDB's range", input: "1E-131", says: "between 1E-130 and 9.99E+125" },
    { description: "a value above DynamoDB's range", input: "1E+126", says: "between 1E-130 and 9.99E+125" },
    { description: "an infinite JSON number", input: Number.POSITIVE_INFINITY, says: "such as 12.50" },
  ])("refuses $description instead of rounding it", ({ input, says }) => {
    // Act
    const result = DecimalSchema.safeParse(input);
    // Assert
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(says);
  });

  it("keeps an aggregate's total exact past 38 digits", () => {
    // Act
    const parsed = AggregateDecimalSchema.parse(`${"9".repeat(38)}.${"1".repeat(10)}`);
    // Assert
    expect(parsed).toBe(`${"9".repeat(38)}.${"1".repeat(10)}`);
  });

  it("refuses a negative amount where money must not be negative", () => {
    expect(NonNegativeDecimalSchema.safeParse("-0.01").success).toBe(false);
  });
});

describe("StoredDecimalSchema", () => {
  itReturns(
    "reads $input as a DynamoDB item holds it: $expected",
    (input) => StoredDecimalSchema.parse(input),
    [
      { input: "12.5", expected: "12.5" },
      { input: "1500", expected: "1500" },
      { input: "-0.25", expected: "-0.25" },
      { input: "1E-7", expected: "0.0000001" },
      { input: "+2.50", expected: "2.5" },
      { input: ".5", expected: "0.5" },
      { input: "-0", expected: "0" },
      { input: "007", expected: "7" },
      { input: 0.1, expected: "0.1" },
      { input: `0.${"0".repeat(35)}1`, expected: `0.${"0".repeat(35)}1` },
    ],
  );

  it.each([{ input: "123456789012345678901234567890123456789" }, { input: "12,5" }, { input: "" }])(
    "refuses $input with what a stored number looks like",
    ({ input }) => {
      // Act
      const result = StoredDecimalSchema.safeParse(input);
      // Assert
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('such as "12.50" or "1E-7"');
    },
  );
});

describe("IntegerSchema", () => {
  itReturns("accepts $description", (input) => IntegerSchema.parse(input), [
    { description: "a DynamoDB number string", input: "450", expected: 450 },
    { description: "a JSON number", input: 7, expected: 7 },
    { description: "an exponent as DynamoDB accepts it", input: "1E2", expected: 100 },
    { description: "negative zero", input: "-0", expected: 0 },
  ]);

  it.each([
    { description: "a fraction", input: "1.5" },
    { description: "an unsafe integer", input: "9007199254740993" },
    { description: "a boolean", input: true },
  ])("refuses $description", ({ input }) => {
    expect(IntegerSchema.safeParse(input).success).toBe(false);
  });
});

describe("seed item schemas", () => {
  it("parses a car park as the seed stores it, with decimals kept as strings", () => {
    // Arrange
    const item = {
      carParkId: "CP001",
      name: "Town Centre Multi-Storey",
      capacity: "450",
      occupied: "245",
      available: "205",
      percentFull: "54.7",
      status: "green",
      hourlyRate: "1.50",
      lastUpdated: "2025-11-30T16:05:12.923Z",
    };
    // Act
    const park = CarParkSchema.parse(item);
    // Assert
    expect(park).toMatchObject({ capacity: 450, occupied: 245, percentFull: "54.7", hourlyRate: "1.5" });
  });

  it("refuses a car park more than full", () => {
    const result = CarParkSchema.safeParse({
      carParkId: "CP001",
      name: "x",
      capacity: 10,
      occupied: 11,
      available: 0,
      percentFull: "110",
      status: "red",
      hourlyRate: "1",
      lastUpdated: "2025-11-30T16:05:12Z",
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["occupied"]);
  });

  it("gives pets numeric ids from DynamoDB number strings", () => {
    expect(PetSchema.parse({ id: "16", name: "Sweety", type: "frog", price: 20 })).toEqual({
      id: 16,
      name: "Sweety",
      type: "frog",
      price: "20",
    });
  });

  it.each([
    { description: "zero quantity", quantity: 0 },
    { description: "an absurd quantity", quantity: 1_000_000 },
    { description: "a fractional quantity", quantity: 1.5 },
  ])("refuses a cart line with $description", ({ quantity }) => {
    const result = CartItemSchema.safeParse({
      bookId: "book001",
      title: "The Great Gatsby",
      author: "F. Scott Fitzgerald",
      price: "15.99",
      quantity,
      addedAt: "2025-09-03T10:30:00Z",
    });
    expect(result.success).toBe(false);
  });
});
