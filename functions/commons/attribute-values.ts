import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { InvalidAttributeValueError } from "./errors.ts";

export { InvalidAttributeValueError };

/**
 * Exact conversion of DynamoDB attribute values (as stream records carry them) to plain values.
 *
 * Numbers stay the decimal strings DynamoDB stores (up to 38 digits), so no binary float ever
 * rounds them; schemas decide what becomes a JS number. Binary becomes base64, sets become arrays.
 */

/** A DynamoDB attribute value as a stream record or the SDK carries it (binary as base64 or bytes). */
export interface StreamAttributeValue {
  S?: string;
  N?: string;
  B?: string | Uint8Array;
  SS?: string[];
  NS?: string[];
  BS?: (string | Uint8Array)[];
  M?: Record<string, StreamAttributeValue>;
  L?: StreamAttributeValue[];
  NULL?: boolean;
  BOOL?: boolean;
}

/** A plain value converted from an attribute value: strings, booleans, null, arrays and objects. */
export type PlainValue = string | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/** The one key an assignment does not store as an own property: `o["__proto__"] = v` sets the prototype. */
const PROTO = "__proto__";

/**
 * Sets `key` on `target` as an own, enumerable property, `__proto__` included (an assignment
 * would drop a primitive and make an object the prototype), so JSON.stringify writes it back.
 */
export function setOwn<T>(target: { [key: string]: T }, key: string, value: T): void {
  if (key === PROTO) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** What a conversion noticed; pass one to learn whether an item needs {@link disguiseProtoKeys}. */
export interface ConversionNotes {
  /** Maps holding a key named `__proto__`. */
  protoKeys: number;
}

function binaryToBase64(value: string | Uint8Array): string {
  return typeof value === "string" ? value : Buffer.from(value).toString("base64");
}

/**
 * The plain value of the attribute at `key` of `parent`. Strings and numbers, most of any item,
 * are returned as they are; only the other types (which recurse) and errors need the attribute's
 * path, so only they build it.
 */
function plainAt(
  value: StreamAttributeValue,
  parent: string,
  key: string | number,
  notes: ConversionNotes | undefined,
): PlainValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  return toPlainValue(value, typeof key === "number" ? `${parent}[${key}]` : `${parent}.${key}`, notes);
}

/**
 * Converts one attribute value to its plain value: N → decimal string, B → base64, SS/NS/BS →
 * arrays, M/L recursively, NULL → null, BOOL → boolean.
 *
 * @throws {InvalidAttributeValueError} when the value has no known type key.
 * @example
 * toPlainValue({ N: "249.99" }); // "249.99"
 */
export function toPlainValue(value: StreamAttributeValue, path = "$", notes?: ConversionNotes): PlainValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.M !== undefined) return toPlainItem(value.M, path, notes);
  if (value.L !== undefined) {
    const list = value.L;
    const out: PlainValue[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = plainAt(list[i] as StreamAttributeValue, path, i, notes);
    return out;
  }
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return [...value.NS];
  if (value.B !== undefined) return binaryToBase64(value.B);
  if (value.BS !== undefined) return value.BS.map(binaryToBase64);
  throw new InvalidAttributeValueError(
    `attribute ${path} has no DynamoDB type (given ${JSON.stringify(value)}); expected exactly one of S, N, B, SS, NS, BS, M, L, NULL, BOOL`,
  );
}

/**
 * Converts a DynamoDB item (a map of attribute values, e.g. a stream record's NewImage or Keys)
 * to a plain object. Every attribute becomes an own property, one named `__proto__` included.
 *
 * @param notes - When given, counts what later steps must take care of (see {@link ConversionNotes}).
 * @throws {InvalidAttributeValueError} when an attribute value has no known type key.
 */
export function toPlainItem(
  item: Record<string, StreamAttributeValue>,
  path = "$",
  notes?: ConversionNotes,
): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const key of Object.keys(item)) {
    const value = item[key];
    if (value === null || typeof value !== "object") {
      throw new InvalidAttributeValueError(
        `attribute ${path}.${key} is not an attribute value object (given ${JSON.stringify(value)}); expected e.g. {"S":"text"}`,
      );
    }
    const plain = plainAt(value, path, key, notes);
    if (key === PROTO) {
      if (notes !== undefined) notes.protoKeys++;
      setOwn(out, key, plain);
    } else {
      out[key] = plain;
    }
  }
  return out;
}

/**
 * Stand-in for `__proto__` while a value passes through code that drops that key (zod's objects
 * and records strip it). Random per process, so no real attribute name collides with it.
 */
export const PROTO_STAND_IN = `__proto__\u0000${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Renames keys in arrays and plain objects, leaving every other value (dates, class instances) as it is. */
function renameKeys(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, from, to));
  if (!isPlainObject(value)) return value;
  const out: { [key: string]: unknown } = {};
  for (const key of Object.keys(value)) {
    setOwn(out, key === from ? to : key, renameKeys(value[key], from, to));
  }
  return out;
}

/**
 * A copy of a plain value with every `__proto__` key renamed to {@link PROTO_STAND_IN}, so a
 * schema validates it like any other key and keeps it where it keeps unknown keys.
 *
 * @example
 * const parsed = schema.safeParse(disguiseProtoKeys(item));
 * const data = parsed.success ? revealProtoKeys(parsed.data) : undefined;
 */
export function disguiseProtoKeys<T>(value: T): T {
  return renameKeys(value, PROTO, PROTO_STAND_IN) as T;
}

/** A copy of a value with every {@link PROTO_STAND_IN} key named `__proto__` again, as an own property. */
export function revealProtoKeys<T>(value: T): T {
  return renameKeys(value, PROTO_STAND_IN, PROTO) as T;
}

/**
 * An item read with the SDK as plain values, every number as its exact decimal string, never a
 * float: the SDK's default `unmarshall` makes numbers JavaScript numbers, which round past 15–17
 * significant digits and throw on a 38-digit integer.
 */
export function unmarshallExact(item: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(item, { wrapNumbers: (text: string) => text });
}
