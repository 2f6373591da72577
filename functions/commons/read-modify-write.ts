import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AggregateContentionError } from "./errors.ts";

/** Attribute holding an aggregate item's version, for optimistic concurrency. */
export const VERSION_ATTRIBUTE = "version";

export interface ReadModifyWriteOptions<T> {
  readonly tableName: string;
  readonly key: Record<string, string>;
  /** Decodes the stored item (without key and version) into the aggregate. */
  readonly decode: (item: Record<string, unknown>) => T;
  /**
   * The aggregate after applying the event, or `undefined` when the event changes nothing
   * (a duplicate, a stale event): then nothing is written.
   */
  readonly apply: (current: T | undefined) => T | undefined;
  /** Encodes the aggregate as item attributes (without key and version). */
  readonly encode: (value: T) => Record<string, unknown>;
  /** @default 8 */
  readonly maxAttempts?: number;
}

/** Full-jitter exponential back-off after a lost race: up to 10 ms × 2^attempt, at most 1 s. */
export function backOff(attempt: number): Promise<void> {
  const ceiling = Math.min(1_000, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** What a read-modify-write did: `written` once, or `unchanged` without writing. */
export type WriteOutcome = "written" | "unchanged";

/**
 * Applies a change to one aggregate item with exactly-once effect and at most one write request.
 *
 * Reads the item strongly consistently (reads are not write requests), lets `apply` decide from
 * the stored state whether the event is new, and writes only then, with a condition on the
 * version it read. A concurrent writer makes the condition fail; the read and decision are then
 * repeated, so an event is never applied on top of a state it did not see.
 */
export async function readModifyWrite<T>(
  client: DynamoDBClient,
  options: ReadModifyWriteOptions<T>,
): Promise<WriteOutcome> {
  const maxAttempts = options.maxAttempts ?? 8;
  const key = marshall(options.key);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const read = await client.send(
      new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }),
    );
    const stored = read.Item === undefined ? undefined : unmarshall(read.Item);
    const storedVersion = stored?.[VERSION_ATTRIBUTE];
    const version = storedVersion === undefined ? undefined : Number(storedVersion);
    const next = options.apply(stored === undefined ? undefined : options.decode(stored));
    if (next === undefined) return "unchanged";
    const item: Record<string, AttributeValue> = marshall(
      { ...options.encode(next), ...options.key, [VERSION_ATTRIBUTE]: (version ?? 0) + 1 },
      { removeUndefinedValues: true },
    );
    try {
      await client.send(
        new PutItemCommand({
          TableName: options.tableName,
          Item: item,
          ConditionExpression:
            version === undefined ? "attribute_not_exists(#version)" : "#version = :version",
          ExpressionAttributeNames: { "#version": VERSION_ATTRIBUTE },
          ...(version === undefined
            ? {}
            : { ExpressionAttributeValues: { ":version": { N: String(version) } } }),
        }),
      );
      return "written";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await backOff(attempt);
    }
  }
  throw new AggregateContentionError(
    `aggregate ${JSON.stringify(options.key)} in ${options.tableName} changed under every one of ${maxAttempts} attempts; Lambda runs the event again (twice), then keeps it in the dead-letter queue — if this persists, shard the aggregate`,
  );
}
