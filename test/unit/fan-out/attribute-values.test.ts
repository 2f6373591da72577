import { describe, expect, it } from "vitest";
import {
  InvalidAttributeValueError,
  type StreamAttributeValue,
  toPlainItem,
  toPlainValue,
} from "#commons/attribute-values.ts";

describe("toPlainValue", () => {
  it.each([
    { description: "S stays a string", value: { S: "Biscuit" }, expected: "Biscuit" },
    {
      description: "N stays the exact decimal string, never a float",
      value: { N: "12345678901234567890.123456789012345678" },
      expected: "12345678901234567890.123456789012345678",
    },
    { description: "N 0.1 is not rounded", value: { N: "0.1" }, expected: "0.1" },
    { description: "B as base64 text stays base64", value: { B: "3q2+7w==" }, expected: "3q2+7w==" },
    {
      description: "B as bytes becomes base64",
      value: { B: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
      expected: "3q2+7w==",
    },
    { description: "SS becomes an array of strings", value: { SS: ["a", "b"] }, expected: ["a", "b"] },
    {
      description: "NS becomes an array of decimal strings",
      value: { NS: ["1", "2.5"] },
      expected: ["1", "2.5"],
    },
    {
      description: "BS becomes an array of base64 strings",
      value: { BS: ["AAE=", new Uint8Array([0xff])] },
      expected: ["AAE=", "/w=="],
    },
    {
      description: "M converts recursively",
      value: { M: { geo: { M: { lat: { N: "52.2053" } } }, city: { S: "Cambridge" } } },
      expected: { geo: { lat: "52.2053" }, city: "Cambridge" },
    },
    {
      description: "L converts each element",
      value: { L: [{ S: "x" }, { N: "7" }, { NULL: true }, { BOOL: false }, { L: [] }] },
      expected: ["x", "7", null, false, []],
    },
    { description: "NULL becomes null", value: { NULL: true }, expected: null },
    { description: "BOOL true stays true", value: { BOOL: true }, expected: true },
    { description: "BOOL false stays false", value: { BOOL: false }, expected: false },
  ] as { description: string; value: StreamAttributeValue; expected: unknown }[])(
    "converts: $description",
    ({ value, expected }) => {
      // Act
      const plain = toPlainValue(value);

      // Assert
      expect(plain).toStrictEqual(expected);
    },
  );

  it("throws naming the attribute path when a value has no DynamoDB type", () => {
    // Arrange
    const item = { payload: { M: { broken: { X: "?" } as StreamAttributeValue } } };

    // Act
    const act = () => toPlainItem(item);

    // Assert
    expect(act).toThrow(InvalidAttributeValueError);
    expect(act).toThrow(
      /\$\.payload\.broken has no DynamoDB type \(given \{"X":"\?"\}\); expected exactly one of S, N/,
    );
  });
});
