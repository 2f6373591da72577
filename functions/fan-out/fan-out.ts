import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBBatchItemFailure, DynamoDBRecord } from "aws-lambda";
import {
  DEFAULT_SAFETY_MARGIN_MS,
  type PublishOptions,
  publishEntries,
  withinTime,
} from "#commons/publisher.ts";
import { type SetAsideEntry, setAsideId, writeSetAside } from "#commons/set-aside.ts";
import { FanOutMetrics } from "#schemas/contracts.ts";
import type { FanOutConfig } from "./config.ts";
import { UnresumableBatchError } from "./errors.ts";
import { type PreparedEvent, planRecord } from "./map-record.ts";

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

/** Counts behind the fan-out's metrics. */
export interface FanOutStats {
  readonly recordsIn: number;
  /** Events EventBridge accepted. */
  readonly eventsOut: number;
  /** Entry failures over all PutEvents attempts, retried ones included. */
  readonly failedEntries: number;
  /** Records or events written to the set-aside table. */
  readonly setAsideRecords: number;
  /** Now minus the oldest record's ApproximateCreationDateTime. */
  readonly batchAgeMs: number;
  /** Records not fully delivered (from the earliest one on, the batch comes again). */
  readonly undeliveredRecords: number;
}

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
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const undelivered = new Uint8Array(records.length);

  const entries: PutEventsRequestEntry[] = [];
  const sizes: number[] = [];
  const owners: number[] = [];
  const prepared: PreparedEvent[] = [];
  const setAside: { entry: SetAsideEntry; owner: number }[] = [];
  let oldestSeconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as DynamoDBRecord;
    const seconds = record.dynamodb?.ApproximateCreationDateTime;
    if (typeof seconds === "number" && seconds < oldestSeconds) oldestSeconds = seconds;
    const plan = planRecord(record, config);
    for (const event of plan.events as PreparedEvent[]) {
      entries.push(event.entry);
      prepared.push(event);
      sizes.push(event.size);
      owners.push(i);
    }
    for (const entry of plan.setAside) setAside.push({ entry, owner: i });
  }

  const setAsideAt = new Date(now());
  const safetyMarginMs = deps.publish?.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  // A set-aside write gets what is left before the safety margin; one that does not answer by
  // then leaves its record undelivered, so the batch resumes there instead of timing out.
  const writeWithinTime = (entry: SetAsideEntry) =>
    withinTime(deps.remainingTimeMs() - safetyMarginMs, "PutItem to the set-aside table", (abortSignal) =>
      writeSetAside(deps.dynamodb, config.setAsideTableName, entry, setAsideAt, { abortSignal }),
    );
  const [published, setAsideResults] = await Promise.all([
    entries.length === 0
      ? undefined
      : publishEntries(
          deps.eventBridge,
          entries,
          { ...deps.publish, remainingTimeMs: deps.remainingTimeMs },
          sizes,
        ),
    Promise.allSettled(setAside.map(({ entry }) => writeWithinTime(entry))),
  ]);

  // Entries EventBridge refused for good are set aside like unmappable records: retrying them
  // would only hold the shard until its retries run out.
  const rejected: { entry: SetAsideEntry; owner: number }[] = [];
  let eventsOut = 0;
  if (published !== undefined) {
    for (let k = 0; k < entries.length; k++) {
      const owner = owners[k] as number;
      if (published.delivered[k]) eventsOut++;
      else if (published.rejected[k])
        rejected.push({
          entry: rejectedEntry(
            records[owner] as DynamoDBRecord,
            prepared[k] as PreparedEvent,
            published.lastError[k],
          ),
          owner,
        });
      else undelivered[owner] = 1;
    }
  }
  if (rejected.length > 0) {
    const results = await Promise.allSettled(rejected.map(({ entry }) => writeWithinTime(entry)));
    setAside.push(...rejected);
    setAsideResults.push(...results);
  }
  let setAsideRecords = 0;
  for (let k = 0; k < setAside.length; k++) {
    const result = setAsideResults[k] as PromiseSettledResult<void>;
    const { entry, owner } = setAside[k] as { entry: SetAsideEntry; owner: number };
    if (result.status === "fulfilled") {
      setAsideRecords++;
      deps.logger?.warn("set aside", {
        setAsideId: entry.id,
        reasonCode: entry.reasonCode,
        reason: entry.reason,
        table: entry.table,
        sequenceNumber: entry.sequenceNumber,
      });
    } else {
      undelivered[owner] = 1;
      deps.logger?.error("could not write set-aside item; the record will come again", {
        setAsideId: entry.id,
        reason: entry.reason,
        error: result.reason as Error,
      });
    }
  }

  const earliest = undelivered.indexOf(1);
  const stats: FanOutStats = {
    recordsIn: records.length,
    eventsOut,
    failedEntries: published?.failedEntries ?? 0,
    setAsideRecords,
    batchAgeMs: Number.isFinite(oldestSeconds) ? Math.max(0, now() - oldestSeconds * 1000) : 0,
    undeliveredRecords: earliest >= 0 ? records.length - earliest : 0,
  };
  deps.logger?.info("batch fanned out", { ...stats });
  const batchItemFailures: DynamoDBBatchItemFailure[] = [];
  if (earliest >= 0) {
    const record = records[earliest] as DynamoDBRecord;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    let firstFailed = -1;
    for (let k = owners.indexOf(earliest); k >= 0 && k < owners.length && owners[k] === earliest; k++) {
      if (published?.delivered[k] === false) {
        firstFailed = k;
        break;
      }
    }
    deps.logger?.error("records not delivered; Lambda resumes from the earliest", {
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
    batchItemFailures.push({ itemIdentifier: sequenceNumber });
  }

  return { batchItemFailures, stats };
}

function rejectedEntry(
  record: DynamoDBRecord,
  event: PreparedEvent,
  error: string | undefined,
): SetAsideEntry {
  const table =
    (JSON.parse(event.entry.Detail ?? "{}") as { metadata?: { table?: string } }).metadata?.table ??
    "unknown";
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? "unknown";
  return {
    id: setAsideId(table, sequenceNumber, event.detailType),
    reasonCode: "RejectedByEventBridge",
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
