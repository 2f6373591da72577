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

function binaryToBase64(value: string | Uint8Array): string {
  return typeof value === "string" ? value : Buffer.from(value).toString("base64");
}

/**
 * Converts one attribute value to its plain value: N → decimal string, B → base64, SS/NS/BS →
 * arrays, M/L recursively, NULL → null, BOOL → boolean.
 *
 * @throws {InvalidAttributeValueError} when the value has no known type key.
 * @example
 * toPlainValue({ N: "249.99" }); // "249.99"
 */
export function toPlainValue(value: StreamAttributeValue, path = "$"): PlainValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.M !== undefined) return toPlainItem(value.M, path);
  if (value.L !== undefined) {
    const list = value.L;
    const out: PlainValue[] = new Array(list.length);
    for (let i = 0; i < list.length; i++)
      out[i] = toPlainValue(list[i] as StreamAttributeValue, `${path}[${i}]`);
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
 * to a plain object.
 *
 * @throws {InvalidAttributeValueError} when an attribute value has no known type key.
 */
export function toPlainItem(
  item: Record<string, StreamAttributeValue>,
  path = "$",
): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const key in item) {
    const value = item[key];
    if (value === null || typeof value !== "object") {
      throw new InvalidAttributeValueError(
        `attribute ${path}.${key} is not an attribute value object (given ${JSON.stringify(value)}); expected e.g. {"S":"text"}`,
      );
    }
    out[key] = toPlainValue(value, `${path}.${key}`);
  }
  return out;
}
