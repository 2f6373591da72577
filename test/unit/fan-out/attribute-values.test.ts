import { describe, expect, it } from "vitest";
import {
  disguiseProtoKeys,
  InvalidAttributeValueError,
  PROTO_STAND_IN,
  revealProtoKeys,
  type StreamAttributeValue,
  toPlainItem,
  toPlainValue,
} from "#commons/attribute-values.ts";
import { itReturns } from "../../helpers/tables.ts";

describe("toPlainValue", () => {
  itReturns("converts: $description", toPlainValue, [
    { description: "S stays a string", input: { S: "Biscuit" }, expected: "Biscuit" },
    {
      description: "N stays the exact decimal string, never a float",
      input: { N: "12345678901234567890.123456789012345678" },
      expected: "12345678901234567890.123456789012345678",
    },
    { description: "N 0.1 is not rounded", input: { N: "0.1" }, expected: "0.1" },
    { description: "B as base64 text stays base64", input: { B: "3q2+7w==" }, expected: "3q2+7w==" },
    {
      description: "B as bytes becomes base64",
      input: { B: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
      expected: "3q2+7w==",
    },
    { description: "SS becomes an array of strings", input: { SS: ["a", "b"] }, expected: ["a", "b"] },
    {
      description: "NS becomes an array of decimal strings",
      input: { NS: ["1", "2.5"] },
      expected: ["1", "2.5"],
    },
    {
      description: "BS becomes an array of base64 strings",
      input: { BS: ["AAE=", new Uint8Array([0xff])] },
      expected: ["AAE=", "/w=="],
    },
    {
      description: "M converts recursively",
      input: { M: { geo: { M: { lat: { N: "52.2053" } } }, city: { S: "Cambridge" } } },
      expected: { geo: { lat: "52.2053" }, city: "Cambridge" },
    },
    {
      description: "L converts each element",
      input: { L: [{ S: "x" }, { N: "7" }, { NULL: true }, { BOOL: false }, { L: [] }] },
      expected: ["x", "7", null, false, []],
    },
    { description: "NULL becomes null", input: { NULL: true }, expected: null },
    { description: "BOOL true stays true", input: { BOOL: true }, expected: true },
    { description: "BOOL false stays false", input: { BOOL: false }, expected: false },
  ]);

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

describe("keys named __proto__", () => {
  const own = (value: unknown, key: string) => Object.hasOwn(value as object, key);

  it.each([
    {
      description: "a top-level attribute with a string value",
      item: JSON.parse('{"__proto__":{"S":"text"},"id":{"S":"a"}}'),
      json: '{"__proto__":"text","id":"a"}',
    },
    {
      description: "a top-level attribute with a map value",
      item: JSON.parse('{"__proto__":{"M":{"polluted":{"BOOL":true}}}}'),
      json: '{"__proto__":{"polluted":true}}',
    },
    {
      description: "a nested map key",
      item: JSON.parse('{"payload":{"M":{"__proto__":{"M":{"polluted":{"BOOL":true}}}}}}'),
      json: '{"payload":{"__proto__":{"polluted":true}}}',
    },
    {
      description: "a map key inside a list",
      item: JSON.parse('{"lines":{"L":[{"M":{"__proto__":{"N":"2"}}}]}}'),
      json: '{"lines":[{"__proto__":"2"}]}',
    },
  ])("keeps $description as an own property, never as the prototype", ({ item, json }) => {
    // Act
    const plain = toPlainItem(item);

    // Assert
    expect(JSON.stringify(plain)).toBe(json);
    const objects: unknown[] = [plain];
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i] as object;
      expect(Object.getPrototypeOf(o)).toBe(Array.isArray(o) ? Array.prototype : Object.prototype);
      for (const v of Object.values(o)) if (v !== null && typeof v === "object") objects.push(v);
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("counts the maps that hold one, so a caller knows to take care", () => {
    // Arrange
    const item = JSON.parse('{"__proto__":{"S":"a"},"m":{"M":{"__proto__":{"S":"b"},"x":{"S":"c"}}}}');
    const notes = { protoKeys: 0 };

    // Act
    toPlainItem(item, "$", notes);

    // Assert
    expect(notes.protoKeys).toBe(2);
  });

  it("round-trips them through a stand-in name that schemas treat like any other key", () => {
    // Arrange
    const plain = toPlainItem(JSON.parse('{"m":{"M":{"__proto__":{"S":"b"}}}}'));

    // Act
    const disguised = disguiseProtoKeys(plain);
    const revealed = revealProtoKeys(disguised);

    // Assert
    expect(own((disguised as { m: object }).m, "__proto__")).toBe(false);
    expect(Object.keys((disguised as { m: object }).m)).toEqual([PROTO_STAND_IN]);
    expect(own((revealed as { m: object }).m, "__proto__")).toBe(true);
    expect(JSON.stringify(revealed)).toBe('{"m":{"__proto__":"b"}}');
  });
});
