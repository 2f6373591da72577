import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, NumberValueImpl as NumberValue, unmarshall } from "@aws-sdk/util-dynamodb";
import type * as z from "zod";
import { isConditionFailed } from "#commons/contention.ts";
import { describeIssues } from "#commons/issues.ts";
import { queryAll, scanAll as scanPages } from "#commons/pages.ts";
import { exactDecimal } from "#schemas/common.ts";
import { UnreadableItemError } from "./errors.ts";
import { ExactNumber } from "./json.ts";

/** DynamoDB item, as the low-level client sends and receives it. */
export type Item = Record<string, AttributeValue>;

/** A decimal string stored as a DynamoDB number (`N`), digit for digit. */
export function num(text: string | number): NumberValue {
  return NumberValue.from(typeof text === "number" ? String(text) : text);
}

/** Marshalls an object; `num(...)` values become `N`, undefined values are left out. */
export function toItem(value: Record<string, unknown>): Item {
  return marshall(value, { removeUndefinedValues: true });
}

/** Marshalls one value (for ExpressionAttributeValues). */
export function toAttr(value: unknown): AttributeValue {
  return marshall({ v: value }, { removeUndefinedValues: true }).v!;
}

/**
 * Reads an item through a schema. Numbers come out as their exact strings, which the schemas'
 * decimal and integer types accept, so no float ever rounds a stored value.
 */
export function fromItem<S extends z.ZodType>(schema: S, item: Item): z.output<S> {
  const plain = unmarshall(item, { wrapNumbers: (text: string) => text });
  const parsed = schema.safeParse(plain);
  if (parsed.success) return parsed.data;
  throw new UnreadableItemError(
    `the stored item does not fit its schema (${describeIssues(parsed.error, plain, { max: 3 })}); it was written around the API: correct it with the SDK or delete it`,
    { cause: parsed.error },
  );
}

/** Free-form stored JSON (a stored event's payload): numbers come out as exact number tokens. */
export function fromFreeForm(value: AttributeValue): unknown {
  return unmarshall(value, {
    convertWithoutMapWrapper: true,
    wrapNumbers: (text: string) => {
      // DynamoDB hands numbers back plain ("0.0000001"); one in exponent form is made plain
      // exactly, never through a float.
      const exact = exactDecimal(text, Number.POSITIVE_INFINITY);
      return exact.ok ? new ExactNumber(exact.value) : text;
    },
  });
}

/** Whether an error is a failed condition of a conditional write. */
export { isConditionFailed };

/**
 * The item a conditional put found in its way, read consistently, as plain values (numbers as
 * their exact text); undefined when it is gone again. A resumed request (see `Once`) reads it to
 * tell its own first run's write from another's.
 */
export async function itemInTheWay(
  client: DynamoDBClient,
  tableName: string,
  key: Item,
): Promise<Record<string, unknown> | undefined> {
  const got = await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return got.Item === undefined ? undefined : unmarshall(got.Item, { wrapNumbers: (text: string) => text });
}

/**
 * Puts an item unless one with its key is there (`put.ConditionExpression` failed). Answers
 * `undefined` when written, or the condition's failure when the key was taken, for the caller to
 * decide what a taken key means; any other failure is thrown.
 */
export async function putUnlessTaken(
  client: DynamoDBClient,
  put: { TableName: string; Item: Item; ConditionExpression: string },
): Promise<unknown> {
  try {
    await client.send(new PutItemCommand(put));
    return undefined;
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return error;
  }
}

/**
 * Puts an item whose key the request generated (a fresh UUID, 128 random bits) unless one is there.
 * One is there only when an earlier run of this very request wrote it and stopped before
 * answering (`resumed`, see `Once`): that counts as written; otherwise the failure is thrown.
 */
export async function putGenerated(
  client: DynamoDBClient,
  put: { TableName: string; Item: Item; ConditionExpression: string },
  resumed: boolean,
): Promise<void> {
  const taken = await putUnlessTaken(client, put);
  if (taken !== undefined && !resumed) throw taken;
}

/** Every item of a table, read consistently (the tables scanned here hold a handful of items: car parks, pets). */
export function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  return scanPages(client, { TableName: tableName, ConsistentRead: true });
}

/** Runs a query until `limit` items are collected or the key range is exhausted. */
export const queryItems = queryAll;

/** What a listing read: the items that fit their schema, and how many it left out. */
export interface Listing<T> {
  readonly items: T[];
  /** Items that do not fit their schema (written around the API), left out with a warning. */
  readonly skipped: number;
}

/** The text of an item's key attributes, for a log line ("id=7"). */
function keyText(item: Item, keyNames: readonly string[]): string {
  return keyNames.map((name) => `${name}=${item[name]?.S ?? item[name]?.N ?? "?"}`).join(", ");
}

/**
 * Reads each item of a listing, leaving out one that does not fit its schema — an item written
 * around the API — with a warning naming its table, key and the bad field, so one malformed item
 * costs only itself and never turns the whole listing into a 500.
 *
 * @param read - turns one item into what the listing shows (through {@link fromItem}, which throws
 *   {@link UnreadableItemError} when it cannot).
 */
export function readListing<T>(
  logger: Logger,
  source: { readonly table: string; readonly keyNames: readonly string[] },
  items: readonly Item[],
  read: (item: Item) => T,
): Listing<T> {
  const out: T[] = [];
  let skipped = 0;
  for (const item of items) {
    try {
      out.push(read(item));
    } catch (error) {
      if (!(error instanceof UnreadableItemError)) throw error;
      skipped++;
      logger.warn("listing skips an item that does not fit its schema", {
        table: source.table,
        key: keyText(item, source.keyNames),
        reason: error.message,
      });
    }
  }
  return { items: out, skipped };
}

/** Header that tells a listing's caller how many unreadable items were left out; none when none were. */
export function skippedHeaders(skipped: number): Record<string, string> {
  return skipped === 0 ? {} : { [SKIPPED_HEADER]: String(skipped) };
}

/** Response header counting the items a listing left out because they do not fit their schema. */
export const SKIPPED_HEADER = "x-ripple-skipped-items";

/** The `skipped` field of an object listing: present only when something was left out. */
export function skippedField(skipped: number): { skipped?: number } {
  return skipped === 0 ? {} : { skipped };
}

/**
 * An object listing's 200 response: `body`, and when items were left out their count, in the
 * `skipped` field (last) and the {@link SKIPPED_HEADER} header.
 */
export function listingResponse<B extends object>(
  body: B,
  skipped: number,
): { status: 200; headers: Record<string, string>; body: B & { skipped?: number } } {
  return { status: 200, headers: skippedHeaders(skipped), body: { ...body, ...skippedField(skipped) } };
}
