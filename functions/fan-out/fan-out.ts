import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBBatchItemFailure, DynamoDBRecord } from "aws-lambda";
import {
  DEFAULT_SAFETY_MARGIN_MS,
  type PublishOptions,
  type PublishOutcome,
  publishEntries,
  withinTime,
} from "#commons/publisher.ts";
import { type SetAsideEntry, setAsideId, writeSetAside } from "#commons/set-aside.ts";
import { FanOutMetrics, REJECTED_BY_EVENTBRIDGE } from "#schemas/contracts.ts";
import { SetAsideKinds } from "#schemas/set-aside.ts";
import type { FanOutConfig } from "./config.ts";
import { UnresumableBatchError } from "./errors.ts";
import { type PreparedEvent, planRecord } from "./map-record.ts";
import type { FanOutStats } from "./stats.ts";

/** What the fan-out talks to: the two clients (stubbed at `send` in unit tests) and its clock. */
export interface FanOutDeps {
  readonly eventBridge: EventBridgeClient;
  readonly dynamodb: DynamoDBClient;
  readonly config: FanOutConfig;
  /** Milliseconds the invocation has left (`context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
  /**
   * Backoff, concurrency and time bounds of PutEvents; its `safetyMarginMs` bounds the set-aside
   * writes too.
   */
  readonly publish?: Omit<PublishOptions, "remainingTimeMs">;
  /** @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
}

export type { FanOutStats } from "./stats.ts";

/** The partial batch response plus what happened. */
export interface FanOutResult {
  readonly batchItemFailures: DynamoDBBatchItemFailure[];
  readonly stats: FanOutStats;
}

/**
 * Publishes a batch of stream records as domain events and answers which record Lambda must
 * resume from.
 *
 * Each record becomes the events its change is declared to become; unmappable records and
 * oversized events are set aside (not published, not dropped). Events are packed into PutEvents
 * requests preserving record order; failed entries are retried while time allows. The answer
 * names the earliest record not fully delivered (all of its events published or set aside), so
 * Lambda resumes exactly there; records before it are fully delivered.
 *
 * Every request (PutEvents and set-aside PutItem alike) is bounded by the invocation's remaining
 * time less the safety margin: what is not delivered by then is reported like any other failure.
 * Logs one "batch fanned out" line per batch with the counts behind the metrics.
 *
 * @throws {UnresumableBatchError} only when the earliest undelivered record has no sequence
 * number to name (then the whole batch is retried, nothing is skipped); it carries the stats.
 */
export async function fanOut(records: readonly DynamoDBRecord[], deps: FanOutDeps): Promise<FanOutResult> {
  const now = deps.now ?? Date.now;
  const undelivered = new Uint8Array(records.length);
  const batch = planBatch(records, deps.config);
  const writeWithinTime = setAsideWriter(deps, new Date(now()).toISOString());
  const [published, setAsideResults] = await Promise.all([
    batch.events.length === 0
      ? undefined
      : publishEntries(
          deps.eventBridge,
          batch.events.map((e) => e.entry),
          { ...deps.publish, limits: deps.config.limits, remainingTimeMs: deps.remainingTimeMs },
          batch.events.map((e) => e.size),
        ),
    Promise.allSettled(batch.setAside.map(({ entry }) => writeWithinTime(entry))),
  ]);

  // Entries EventBridge refused for good are set aside like unmappable records: retrying them
  // would only hold the shard until its retries run out.
  const rejected: OwnedSetAside[] = [];
  let eventsOut = 0;
  for (const [k, event] of published === undefined ? [] : batch.events.entries()) {
    const owner = batch.owners[k] as number;
    if (published?.delivered[k]) eventsOut++;
    else if (published?.rejected[k])
      rejected.push({
        entry: rejectedEntry(records[owner] as DynamoDBRecord, event, published.lastError[k]),
        owner,
      });
    else undelivered[owner] = 1;
  }
  if (rejected.length > 0) {
    setAsideResults.push(...(await Promise.allSettled(rejected.map(({ entry }) => writeWithinTime(entry)))));
    batch.setAside.push(...rejected);
  }
  const setAsideRecords = settleSetAside(batch.setAside, setAsideResults, undelivered, deps.logger);

  const earliest = undelivered.indexOf(1);
  const stats: FanOutStats = {
    recordsIn: records.length,
    eventsOut,
    failedEntries: published?.failedEntries ?? 0,
    setAsideRecords,
    batchAgeMs: Number.isFinite(batch.oldestSeconds) ? Math.max(0, now() - batch.oldestSeconds * 1000) : 0,
    undeliveredRecords: earliest >= 0 ? records.length - earliest : 0,
  };
  deps.logger?.info("batch fanned out", { ...stats });
  if (earliest < 0) return { batchItemFailures: [], stats };
  return {
    batchItemFailures: [resumeFrom(records, earliest, batch.owners, published, stats, deps.logger)],
    stats,
  };
}

/** A set-aside entry and the index of the record it belongs to. */
interface OwnedSetAside {
  readonly entry: SetAsideEntry;
  readonly owner: number;
}

/** What a batch's records become, in record order, before anything is sent. */
interface BatchPlan {
  readonly events: PreparedEvent[];
  /** `owners[k]` is the index of the record event `k` belongs to. */
  readonly owners: number[];
  readonly setAside: OwnedSetAside[];
  /** The oldest record's ApproximateCreationDateTime (epoch seconds); +∞ when none has one. */
  readonly oldestSeconds: number;
}

function planBatch(records: readonly DynamoDBRecord[], config: FanOutConfig): BatchPlan {
  const plan: BatchPlan = { events: [], owners: [], setAside: [], oldestSeconds: Number.POSITIVE_INFINITY };
  let oldestSeconds = Number.POSITIVE_INFINITY;
  for (const [owner, record] of records.entries()) {
    const seconds = record.dynamodb?.ApproximateCreationDateTime;
    if (typeof seconds === "number" && seconds < oldestSeconds) oldestSeconds = seconds;
    const recordPlan = planRecord(record, config);
    for (const event of recordPlan.events) {
      plan.events.push(event);
      plan.owners.push(owner);
    }
    for (const entry of recordPlan.setAside) plan.setAside.push({ entry, owner });
  }
  return { ...plan, oldestSeconds };
}

/**
 * Writes one set-aside entry within what is left before the safety margin: one that does not
 * answer by then leaves its record undelivered, so the batch resumes there instead of timing out.
 */
function setAsideWriter(deps: FanOutDeps, setAsideAt: string): (entry: SetAsideEntry) => Promise<void> {
  const safetyMarginMs = deps.publish?.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  return (entry) =>
    withinTime(deps.remainingTimeMs() - safetyMarginMs, "PutItem to the set-aside table", (abortSignal) =>
      writeSetAside(
        deps.dynamodb,
        deps.config.setAsideTableName,
        { kind: SetAsideKinds.streamRecord, ...entry, setAsideAt },
        { abortSignal },
      ),
    );
}

/** Logs each set-aside write, marks the records of failed ones undelivered; how many succeeded. */
function settleSetAside(
  setAside: readonly OwnedSetAside[],
  results: readonly PromiseSettledResult<void>[],
  undelivered: Uint8Array,
  logger: Logger | undefined,
): number {
  let written = 0;
  for (const [k, { entry, owner }] of setAside.entries()) {
    const result = results[k] as PromiseSettledResult<void>;
    if (result.status === "fulfilled") {
      written++;
      logger?.warn("set aside", {
        setAsideId: entry.id,
        reasonCode: entry.reasonCode,
        reason: entry.reason,
        table: entry.table,
        sequenceNumber: entry.sequenceNumber,
      });
    } else {
      undelivered[owner] = 1;
      logger?.error("could not write set-aside item; the record will come again", {
        setAsideId: entry.id,
        reason: entry.reason,
        error: result.reason as Error,
      });
    }
  }
  return written;
}

/**
 * The batch item failure that makes Lambda resume from record `earliest`.
 *
 * @throws {UnresumableBatchError} when that record has no sequence number to name.
 */
function resumeFrom(
  records: readonly DynamoDBRecord[],
  earliest: number,
  owners: BatchPlan["owners"],
  published: PublishOutcome | undefined,
  stats: FanOutStats,
  logger: Logger | undefined,
): DynamoDBBatchItemFailure {
  const record = records[earliest] as DynamoDBRecord;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  const firstFailed = owners.findIndex((owner, k) => owner === earliest && published?.delivered[k] === false);
  logger?.error("records not delivered; Lambda resumes from the earliest", {
    sequenceNumber,
    undeliveredRecords: stats.undeliveredRecords,
    lastError: firstFailed >= 0 ? published?.lastError[firstFailed] : undefined,
  });
  if (sequenceNumber === undefined) {
    throw new UnresumableBatchError(
      `record ${earliest} of the batch (eventID ${record.eventID}) was not delivered and has no SequenceNumber to resume from; failing the whole batch so it comes again`,
      stats,
    );
  }
  return { itemIdentifier: sequenceNumber };
}

function rejectedEntry(
  record: DynamoDBRecord,
  event: PreparedEvent,
  error: string | undefined,
): SetAsideEntry {
  const { table } = event;
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? "unknown";
  return {
    id: setAsideId(table, sequenceNumber, event.detailType),
    reasonCode: REJECTED_BY_EVENTBRIDGE,
    reason: `EventBridge refused event ${event.eventId} (${event.detailType}) of record ${sequenceNumber} of ${table} with ${error ?? "an error"}; it cannot succeed as it is: fix its declaration or schema and redrive`,
    table,
    sequenceNumber,
    eventId: event.eventId,
    detailType: event.detailType,
    record,
  };
}

/**
 * Adds the fan-out's metrics for one invocation (flush with `publishStoredMetrics`). An
 * invocation that failed before counting more than its records adds RecordsIn alone.
 */
export function recordFanOutMetrics(
  metrics: Metrics,
  stats: Pick<FanOutStats, "recordsIn"> & Partial<FanOutStats>,
): void {
  metrics.addMetric(FanOutMetrics.recordsIn, MetricUnit.Count, stats.recordsIn);
  if (stats.eventsOut !== undefined)
    metrics.addMetric(FanOutMetrics.eventsOut, MetricUnit.Count, stats.eventsOut);
  if (stats.failedEntries !== undefined)
    metrics.addMetric(FanOutMetrics.failedEntries, MetricUnit.Count, stats.failedEntries);
  if (stats.setAsideRecords !== undefined)
    metrics.addMetric(FanOutMetrics.setAsideRecords, MetricUnit.Count, stats.setAsideRecords);
  if (stats.batchAgeMs !== undefined)
    metrics.addMetric(FanOutMetrics.batchAgeMs, MetricUnit.Milliseconds, stats.batchAgeMs);
}
