import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import type { RippleOrigin } from "#schemas/common.ts";
import { ConsumerMetrics } from "#schemas/contracts.ts";
import { type DomainEvent, DomainEvents } from "#schemas/domain-events.ts";
import { ConsumerConfigSchema } from "#schemas/function-config.ts";
import { createDynamoDbClient } from "./clients.ts";
import { type ConsumedEvent, parseConsumedEvent } from "./consumed-event.ts";
import { setAsideEvent } from "./consumer-set-aside.ts";
import type { ContentionLimit } from "./contention.ts";
import { configFromEnv } from "./env.ts";
import { BeyondTombstoneRetentionError } from "./errors.ts";
import type { TombstonePolicy } from "./positions.ts";
import { createLogger, createMetrics, flushMetrics } from "./powertools.ts";
import type { WriteOutcome } from "./read-modify-write.ts";

/**
 * A consumer's Lambda handler: its configuration from the environment, then per delivery parse,
 * apply or set aside, and count. The pieces live one job per file: the event envelope
 * (`consumed-event.ts`), setting an event aside (`consumer-set-aside.ts`), the exactly-once write
 * (`read-modify-write.ts`), stream order (`sequence-numbers.ts`). They are re-exported here for
 * the consumers' own modules.
 */

export {
  type ConsumedEvent,
  type EventBridgeEvent,
  EventBridgeEventSchema,
  type ParseResult,
  parseConsumedEvent,
} from "./consumed-event.ts";
export { CONSUMER_REJECTED, CONSUMER_REJECTED_REASON_CODE, setAsideEvent } from "./consumer-set-aside.ts";
export { backOff, type ContentionLimit, LostRaces } from "./contention.ts";
export {
  type ReadModifyWriteOptions,
  readModifyWrite,
  VERSION_ATTRIBUTE,
  type WriteOutcome,
} from "./read-modify-write.ts";
export { compareSequenceNumbers } from "./sequence-numbers.ts";

/** What a consumer is, as its configuration tells it (the resolved model's consumer fits too). */
export interface ConsumerIdentity {
  readonly name: string;
  /** Domain events it subscribes to. */
  readonly events: readonly DomainEvent[];
}

/** Clients, table names and settings a consumer's work runs with (the handler builds them once). */
export interface ConsumerDeps {
  readonly client: DynamoDBClient;
  /** Physical table names by declared key (`aggregates`, `carbonUsers`, …). */
  readonly tables: Readonly<Record<string, string>>;
  /** Physical name of the set-aside table, where refused events go. */
  readonly setAsideTableName: string;
  /** How long aggregates keep tombstones (the declaration's `tombstoneRetentionSeconds`). */
  readonly tombstoneRetentionSeconds: number;
  /** Shard items per hot aggregate (the declaration's `aggregateShards`). */
  readonly aggregateShards: number;
  /**
   * Milliseconds left of the invocation (Lambda's `context.getRemainingTimeInMillis`): a lost race
   * on an aggregate item is tried again while time remains.
   * @default no invocation: a fixed number of attempts
   */
  readonly remainingTimeMs?: () => number;
}

/** The work of a consumer: apply one validated event, say whether anything was written. */
export type ApplyEvent = (deps: ConsumerDeps, event: ConsumedEvent) => Promise<WriteOutcome>;

/** How long aggregates keep tombstones (from the consumer's configuration), and the clock. */
export function tombstonePolicy(
  deps: Pick<ConsumerDeps, "tombstoneRetentionSeconds">,
  now: Date = new Date(),
): TombstonePolicy {
  return { retentionSeconds: deps.tombstoneRetentionSeconds, now };
}

/** How long a write keeps trying after lost races: while the invocation's time remains. */
export function contentionLimit(deps: Pick<ConsumerDeps, "remainingTimeMs">): ContentionLimit {
  return deps.remainingTimeMs === undefined ? {} : { remainingTimeMs: deps.remainingTimeMs };
}

/** The stamp a consumer puts on what it writes (see `RippleOriginSchema`). */
export function originOf(
  consumer: string,
  detail: { metadata: { eventId: string; depth: number } },
): RippleOrigin {
  return { consumer, eventId: detail.metadata.eventId, depth: detail.metadata.depth };
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
  consumer: ConsumerIdentity,
  raw: unknown,
  apply: ApplyEvent,
): Promise<ConsumeOutcome> {
  const setAside = async (reason: string, reasonCode?: string): Promise<"rejected"> => {
    await setAsideEvent(deps.client, deps.setAsideTableName, consumer.name, raw, reason, reasonCode);
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

/** The metric one delivery's outcome is counted under. */
const OUTCOME_METRIC = {
  written: ConsumerMetrics.applied,
  unchanged: ConsumerMetrics.skipped,
  rejected: ConsumerMetrics.rejected,
} as const satisfies Record<ConsumeOutcome, string>;

/**
 * Builds a consumer's Lambda handler: configuration (`RIPPLE_CONFIG_<NAME>`) and clients once at
 * module load, Powertools logger and metrics (service = consumer name), then {@link consumeEvent}.
 */
export function createConsumerHandler(
  name: string,
  apply: ApplyEvent,
  env: NodeJS.ProcessEnv = process.env,
): (event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => Promise<ConsumeOutcome> {
  const config = configFromEnv(ConsumerConfigSchema, name, env);
  const consumer: ConsumerIdentity = { name, events: config.events.map((e) => DomainEvents[e]) };
  const deps: ConsumerDeps = {
    client: createDynamoDbClient(),
    tables: config.tables,
    setAsideTableName: config.setAsideTableName,
    tombstoneRetentionSeconds: config.tombstoneRetentionSeconds,
    aggregateShards: config.aggregateShards,
  };
  const logger = createLogger(name);
  const metrics = createMetrics(name);
  return async (event, context) => {
    try {
      const remaining = context?.getRemainingTimeInMillis;
      const invocation: ConsumerDeps =
        remaining === undefined ? deps : { ...deps, remainingTimeMs: () => remaining.call(context) };
      const outcome = await consumeEvent(invocation, consumer, event, apply);
      metrics.addMetric(OUTCOME_METRIC[outcome], MetricUnit.Count, 1);
      if (outcome === "rejected") logger.warn("event set aside", { event });
      else logger.debug("event consumed", { outcome });
      return outcome;
    } finally {
      flushMetrics(metrics);
    }
  };
}
