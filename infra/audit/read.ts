import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type * as z from "zod";
import { type StreamAttributeValue, toPlainItem } from "#commons/attribute-values.ts";
import { describeIssues } from "#commons/issues.ts";
import { queryPartition as queryPartitionItems, scanAll } from "#commons/pages.ts";

/**
 * How the audit reads: every item through the SDK's paginators, every number as its exact text
 * (never a JavaScript number, which rounds past 17 digits and throws on a 38-digit integer), and
 * every item through its schema with `safeParse`, so an item that does not fit becomes a
 * {@link Finding} naming its key instead of stopping the audit.
 */

/** A stored item the audit could not read: which table, its key, and why. */
export interface Finding {
  /** Physical table name. */
  readonly table: string;
  /** The item's primary key, numbers as their exact text. */
  readonly key: Readonly<Record<string, unknown>>;
  /** What does not fit and what is expected, as the schema says it. */
  readonly reason: string;
}

/**
 * An item as plain values, numbers as their exact text, the way the fan-out reads an image (so the
 * item schemas see what they see there): sets as lists, binary as base64, and an attribute named
 * `__proto__` kept as data — the SDK's `unmarshall` drops it, or throws, when it meets one.
 */
export function plainItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  // The SDK's response parser turns an attribute named `__proto__` into the object's prototype,
  // leaving no value to read: such an attribute is left out rather than stopping the audit.
  const own = Object.entries(item).filter(([, value]) => typeof value === "object" && value !== null);
  const attributes: Record<string, StreamAttributeValue> = Object.create(null);
  for (const [name, value] of own) attributes[name] = value as StreamAttributeValue;
  return toPlainItem(attributes) as Record<string, unknown>;
}

/** Items that fit the schema, and a finding for each one that does not. */
export interface ReadItems<T> {
  readonly items: T[];
  readonly findings: Finding[];
}

/** Parses raw items, keeping what fits and a finding, with the item's key, for what does not. */
export function parseItems<T>(
  table: string,
  keyNames: readonly string[],
  raw: readonly Record<string, unknown>[],
  schema: z.ZodType<T>,
): ReadItems<T> {
  const items: T[] = [];
  const findings: Finding[] = [];
  for (const item of raw) {
    const parsed = schema.safeParse(item);
    if (parsed.success) items.push(parsed.data);
    else {
      findings.push({
        table,
        key: Object.fromEntries(keyNames.map((name) => [name, item[name]])),
        reason: `does not fit its schema: ${describeIssues(parsed.error, item, { max: 3 })}; correct or delete the item`,
      });
    }
  }
  return { items, findings };
}

/** The items a read returns, each as plain values with exact numbers ({@link plainItem}). */
async function plainItems(
  read: Promise<Record<string, AttributeValue>[]>,
): Promise<Record<string, unknown>[]> {
  return (await read).map((item) => plainItem(item));
}

/** Every item of a table, strongly consistent, numbers exact. */
export function scanTable(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  return plainItems(scanAll(client, { TableName: tableName, ConsistentRead: true }));
}

/** Every item of one partition of the aggregates table (`pk`), strongly consistent, numbers exact. */
export function queryPartition(
  client: DynamoDBClient,
  tableName: string,
  pk: string,
): Promise<Record<string, unknown>[]> {
  return plainItems(queryPartitionItems(client, tableName, "pk", pk));
}
