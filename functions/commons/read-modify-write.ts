import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { unmarshallExact } from "./attribute-values.ts";
import { type ContentionLimit, isConditionFailed, LostRaces } from "./contention.ts";

/** Attribute holding an aggregate item's version, for optimistic concurrency. */
export const VERSION_ATTRIBUTE = "version";

export interface ReadModifyWriteOptions<T> extends ContentionLimit {
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
}

/** What a read-modify-write did: `written` once, or `unchanged` without writing. */
export type WriteOutcome = "written" | "unchanged";

/**
 * Applies a change to one aggregate item with exactly-once effect and at most one write request.
 *
 * Reads the item strongly consistently (reads are not write requests), lets `apply` decide from
 * the stored state whether the event is new, and writes only then, with a condition on the
 * version it read. A concurrent writer makes the condition fail; the read and decision are then
 * repeated after a jittered back-off, so an event is never applied on top of a state it did not
 * see. It keeps trying while the invocation's time remains (`remainingTimeMs`, see
 * `contention.ts`), else up to `maxAttempts`.
 */
export async function readModifyWrite<T>(
  client: DynamoDBClient,
  options: ReadModifyWriteOptions<T>,
): Promise<WriteOutcome> {
  const key = marshall(options.key);
  const races = new LostRaces(
    options,
    () => `aggregate ${JSON.stringify(options.key)} in ${options.tableName}`,
  );
  for (;;) {
    races.attemptStarts();
    const read = await client.send(
      new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }),
    );
    const stored = read.Item === undefined ? undefined : unmarshallExact(read.Item);
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
      if (!isConditionFailed(error)) throw error;
      await races.lost();
    }
  }
}
