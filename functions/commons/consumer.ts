import { createHash } from "node:crypto";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { z } from "zod";
import type { ConsumerDeclaration } from "#infra/declaration.ts";
import { pipeline } from "#infra/pipeline.ts";
import type { RippleOrigin } from "#schemas/common.ts";
import {
  type DetailOf,
  type DomainEvent,
  type DomainEventName,
  DomainEvents,
} from "#schemas/domain-events.ts";
import { unmarshallExact } from "./attribute-values.ts";
import { createDynamoDbClient } from "./clients.ts";
import { tableNameFromEnv } from "./env.ts";
import {
  AggregateContentionError,
  BeyondTombstoneRetentionError,
  InvalidSequenceNumberError,
  MissingConfigurationError,
} from "./errors.ts";
import { describeIssues } from "./issues.ts";
import type { TombstonePolicy } from "./positions.ts";
import { createLogger, createMetrics, flushMetrics } from "./powertools.ts";
import { setAsideItem } from "./set-aside.ts";

/**
 * What every ripple consumer shares: parsing the EventBridge event it is given against the
 * declared domain-event schemas, setting aside what fails, comparing stream sequence numbers, and
 * a read-then-conditional-write that gives an aggregate its exactly-once effect.
 */

/** The event a Lambda EventBridge target receives. */
export const EventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeEventSchema>;

/** A validated domain event, discriminated by its detail-type. */
export type ConsumedEvent = {
  [Name in DomainEventName]: { readonly detailType: Name; readonly detail: DetailOf<Name> };
}[DomainEventName];

/** `{ success, data } | { success, error }`: a bad event is reported, not thrown. */
export type ParseResult = { success: true; data: ConsumedEvent } | { success: false; error: string };

/** The declaration of a consumer, by name; throws when `infra/pipeline.ts` declares none. */
export function consumerDeclaration(name: string): ConsumerDeclaration {
  const consumer = pipeline.consumers.find((c) => c.name === name);
  if (consumer === undefined) {
    throw new MissingConfigurationError(
      `no consumer "${name}" is declared in infra/pipeline.ts; declare it under consumers[] or fix the name`,
    );
  }
  return consumer;
}

/**
 * Validates an EventBridge event against the schema of the domain event it claims to be, among
 * the events the consumer subscribes to.
 */
export function parseConsumedEvent(raw: unknown, accepted: readonly DomainEvent[]): ParseResult {
  const envelope = EventBridgeEventSchema.safeParse(raw);
  if (!envelope.success) {
    return { success: false, error: `not an EventBridge event: ${z.prettifyError(envelope.error)}` };
  }
  const { source, "detail-type": detailType, detail } = envelope.data;
  const event = accepted.find((e) => e.source === source && e.detailType === detailType);
  if (event === undefined) {
    const known = accepted.map((e) => `${e.source}/${e.detailType}`).join(", ");
    return {
      success: false,
      error: `this consumer does not subscribe to ${source}/${detailType} (it takes ${known}); fix the rule's pattern`,
    };
  }
  const parsed = event.detailSchema.safeParse(detail);
  if (!parsed.success) {
    return {
      success: false,
      error: `detail of ${source}/${detailType} fails its schema: ${describeIssues(parsed.error, detail)}`,
    };
  }
  if (!(detailType in DomainEvents)) {
    return { success: false, error: `unknown detail-type ${detailType}` };
  }
  return { success: true, data: { detailType, detail: parsed.data } as ConsumedEvent };
}

/** Kind of the set-aside item a consumer writes for an event it cannot apply. */
export const CONSUMER_REJECTED = "consumer-rejected";

/** Reason code of a set-aside consumer rejection. */
export const CONSUMER_REJECTED_REASON_CODE = "ConsumerRejectedEvent";

/**
 * Writes an event the consumer refuses to the set-aside table (the fan-out's format, see
 * `set-aside.ts`, plus `kind` = "consumer-rejected" and `consumer`), keyed by consumer and
 * EventBridge event id, so the same event refused again overwrites its own record.
 *
 * @returns the set-aside item's id
 */
export async function setAsideEvent(
  client: DynamoDBClient,
  tableName: string,
  consumer: string,
  raw: unknown,
  reason: string,
  reasonCode: string = CONSUMER_REJECTED_REASON_CODE,
): Promise<string> {
  const json = JSON.stringify(raw) ?? "undefined";
  const envelope = isObject(raw) ? raw : {};
  const detail = isObject(envelope.detail) ? envelope.detail : {};
  const metadata = isObject(detail.metadata) ? detail.metadata : {};
  const text = (from: Record<string, unknown>, key: string) =>
    typeof from[key] === "string" ? (from[key] as string) : undefined;
  const identity = text(envelope, "id") ?? createHash("sha256").update(json).digest("hex");
  const id = `${CONSUMER_REJECTED}#${consumer}#${identity}`;
  const eventId = text(metadata, "eventId");
  const detailType = text(envelope, "detail-type");
  const item = setAsideItem({
    id,
    reasonCode,
    reason,
    table: text(metadata, "table") ?? "unknown",
    sequenceNumber: text(metadata, "sequenceNumber") ?? "",
    ...(eventId === undefined ? {} : { eventId }),
    ...(detailType === undefined ? {} : { detailType }),
    record: raw,
  });
  item.kind = { S: CONSUMER_REJECTED };
  item.consumer = { S: consumer };
  await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  return id;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Orders two DynamoDB stream sequence numbers (decimal strings up to 40 digits) as big integers. */
export function compareSequenceNumbers(a: string, b: string): -1 | 0 | 1 {
  for (const value of [a, b]) {
    if (!/^\d{1,40}$/.test(value)) {
      throw new InvalidSequenceNumberError(
        `expected a stream sequence number of 1 to 40 digits (given ${JSON.stringify(value)}); take it from the event's metadata.sequenceNumber`,
      );
    }
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The stamp a consumer puts on what it writes (see `RippleOriginSchema`). */
export function originOf(
  consumer: string,
  detail: { metadata: { eventId: string; depth: number } },
): RippleOrigin {
  return { consumer, eventId: detail.metadata.eventId, depth: detail.metadata.depth };
}

/** Physical names of the tables a consumer uses, read from `TABLE_<KEY>` at module load. */
export function consumerTableNames(
  consumer: ConsumerDeclaration,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const keys = new Set([...consumer.reads, ...consumer.writes, pipeline.fanOut.setAsideTable]);
  return Object.fromEntries([...keys].map((key) => [key, tableNameFromEnv(key, env)]));
}

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

/** Clients and table names a consumer's work runs with (the handler builds them once). */
export interface ConsumerDeps {
  readonly client: DynamoDBClient;
  /** Physical table names by declared key (`aggregates`, `carbonUsers`, …). */
  readonly tables: Readonly<Record<string, string>>;
}

/** The work of a consumer: apply one validated event, say whether anything was written. */
export type ApplyEvent = (deps: ConsumerDeps, event: ConsumedEvent) => Promise<WriteOutcome>;

/** How long aggregates keep tombstones (the declaration's), and the clock. */
export function tombstonePolicy(now: Date = new Date()): TombstonePolicy {
  return { retentionSeconds: pipeline.tombstoneRetentionSeconds, now };
}

/** What one delivery came to. */
export type ConsumeOutcome = WriteOutcome | "rejected";

/**
 * Validates one delivered event and applies it, or sets it aside with the reason.
 *
 * An invalid event is written to the set-aside table (kind `consumer-rejected`) and the
 * invocation succeeds: retrying cannot make it valid, and the record is visible and redrivable.
 * So is a valid event the aggregate cannot safely apply ({@link BeyondTombstoneRetentionError}).
 * Failures of the work itself (throttling, contention) are thrown: Lambda runs the event again
 * (asynchronous invocation: twice, 1 and 2 minutes later), then sends it to the consumer's
 * dead-letter queue.
 */
export async function consumeEvent(
  deps: ConsumerDeps,
  consumer: ConsumerDeclaration,
  raw: unknown,
  apply: ApplyEvent,
): Promise<ConsumeOutcome> {
  const setAside = async (reason: string, reasonCode?: string): Promise<"rejected"> => {
    const setAsideTable = deps.tables[pipeline.fanOut.setAsideTable];
    if (setAsideTable === undefined) {
      throw new MissingConfigurationError(
        `consumer ${consumer.name} has no set-aside table name; pass tables.${pipeline.fanOut.setAsideTable}`,
      );
    }
    await setAsideEvent(deps.client, setAsideTable, consumer.name, raw, reason, reasonCode);
    return "rejected";
  };
  const item = itemOfEvent(raw);
  const parsed = parseConsumedEvent(raw, consumer.events);
  if (!parsed.success) return setAside(`${item}: ${parsed.error}`);
  try {
    return await apply(deps, parsed.data);
  } catch (error) {
    if (error instanceof BeyondTombstoneRetentionError)
      return setAside(`${item}: ${error.message}`, error.name);
    // The dead letter this may become (an SQS message attribute in AWS, the set-aside table
    // locally) carries the error's message: it names the item, the error keeps its class.
    if (error instanceof Error && !error.message.startsWith(item))
      error.message = `${item}: ${error.message}`;
    throw error;
  }
}

/**
 * The source item an event is about, for reasons and dead letters: "event <id> about item
 * {"id":"7"} of PetStore (record 4421…)", read defensively from an event that may be malformed.
 */
export function itemOfEvent(raw: unknown): string {
  const event = raw as { id?: unknown; detail?: { metadata?: Record<string, unknown> } } | undefined;
  const metadata = event?.detail?.metadata;
  const id = typeof event?.id === "string" ? event.id : "(no id)";
  if (metadata === undefined || typeof metadata !== "object")
    return `event ${id} (no metadata: its item is unknown)`;
  const keys = JSON.stringify(metadata.keys) ?? "(no keys)";
  return `event ${id} about item ${keys} of ${String(metadata.table)} (record ${String(metadata.sequenceNumber)})`;
}

/**
 * Builds a consumer's Lambda handler: configuration and clients once at module load, Powertools
 * logger and metrics (service = consumer name, namespace "ripple"), then {@link consumeEvent}.
 */
export function createConsumerHandler(
  name: string,
  apply: ApplyEvent,
): (event: unknown) => Promise<ConsumeOutcome> {
  const consumer = consumerDeclaration(name);
  const deps: ConsumerDeps = { client: createDynamoDbClient(), tables: consumerTableNames(consumer) };
  const logger = createLogger(name);
  const metrics = createMetrics(name);
  return async (event) => {
    try {
      const outcome = await consumeEvent(deps, consumer, event, apply);
      metrics.addMetric(
        outcome === "rejected" ? "EventsRejected" : outcome === "written" ? "EventsApplied" : "EventsSkipped",
        MetricUnit.Count,
        1,
      );
      if (outcome === "rejected") logger.warn("event set aside", { event });
      else logger.debug("event consumed", { outcome });
      return outcome;
    } finally {
      flushMetrics(metrics);
    }
  };
}
