import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { unmarshallExact } from "./attribute-values.ts";
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
  return new Promise((resolve) => setTimeout(resolve, Math.random() * backOffCeilingMs(attempt)));
}

function backOffCeilingMs(attempt: number): number {
  return Math.min(1_000, 10 * 2 ** attempt);
}

/** What a consumer's work may know of the invocation running it (from Lambda's context). */
export interface Invocation {
  /** Milliseconds left before the function times out (`context.getRemainingTimeInMillis()`). */
  readonly remainingTimeMs: () => number;
}

/** Time kept back, beyond the slowest attempt, so a give-up is an error of ours, never a timeout. */
const RETRY_RESERVE_MS = 2_000;

/**
 * Decides whether an optimistic write that lost a race may try again.
 *
 * Inside an invocation, it keeps trying while the time left covers the next back-off, twice the
 * slowest attempt so far and {@link RETRY_RESERVE_MS}: a busy item is retried for most of the
 * function's timeout, and the give-up is an {@link AggregateContentionError} Lambda retries, not
 * a timeout that leaves the attempt running. Without an invocation (a script, a bench) it allows
 * `maxAttempts`.
 */
export class RetryBudget {
  private slowestMs = 0;
  private started = Date.now();

  constructor(
    private readonly invocation: Invocation | undefined,
    private readonly maxAttempts = 8,
  ) {}

  /** Marks the start of an attempt. */
  begin(): void {
    this.started = Date.now();
  }

  /** After attempt `attempt` lost its race: whether to back off and try again. */
  another(attempt: number): boolean {
    this.slowestMs = Math.max(this.slowestMs, Date.now() - this.started);
    if (this.invocation === undefined) return attempt < this.maxAttempts;
    const needed = backOffCeilingMs(attempt) + 2 * this.slowestMs + RETRY_RESERVE_MS;
    return this.invocation.remainingTimeMs() > needed;
  }

  /** What was tried, for the error that ends the attempts. */
  describe(attempts: number): string {
    return this.invocation === undefined
      ? `every one of ${attempts} attempts`
      : `every one of ${attempts} attempts, until the invocation had no time left for another`;
  }
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
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await backOff(attempt);
    }
  }
  throw new AggregateContentionError(
    `aggregate ${JSON.stringify(options.key)} in ${options.tableName} changed under every one of ${maxAttempts} attempts; Lambda runs the event again (twice), then keeps it in the dead-letter queue — if this persists, shard the aggregate`,
  );
}
