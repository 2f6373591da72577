import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, NumberValueImpl as NumberValue, unmarshall } from "@aws-sdk/util-dynamodb";
import type { z } from "zod";
import { exactDecimal } from "#schemas/common.ts";
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
  return schema.parse(unmarshall(item, { wrapNumbers: (text: string) => text }));
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
export function isConditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/** Every item of a table (the tables scanned here hold a handful of items: car parks, pets). */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** Runs a query until `limit` items are collected or the key range is exhausted. */
export async function queryItems(
  client: DynamoDBClient,
  input: QueryCommandInput,
  limit = Number.POSITIVE_INFINITY,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        ...input,
        ExclusiveStartKey: startKey,
        ...(Number.isFinite(limit) ? { Limit: Math.max(1, limit - items.length) } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && items.length < limit);
  return items.slice(0, limit);
}
