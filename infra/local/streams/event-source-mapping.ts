import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  ResourceNotFoundException,
  type Shard,
  TrimmedDataAccessException,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent, DynamoDBStreamHandler } from "aws-lambda";
import type { ResolvedMappingSettings } from "#infra/topology.ts";
import { validateMappingSettings } from "#infra/validate.ts";
import { createLambdaContext, functionArn, invokeHandler } from "../lambda-context.ts";
import { type BatchOutcome, interpretBatchResponse } from "./batch-response.ts";
import { CheckpointStore } from "./checkpoints.ts";
import { IdleTimeoutError, StreamNotEnabledError } from "./errors.ts";
import { compileFilterCriteria, passesFilterCriteria } from "./filter.ts";
import {
  type FailureCondition,
  type LastInvocation,
  localMappingUuid,
  onFailureObject,
  onFailureObjectKey,
  sendToOnFailureTable,
  streamInvocationRecord,
  writeOnFailureObject,
} from "./on-failure.ts";
import {
  estimatedCreationMs,
  payloadBytes,
  STREAM_RETENTION_SECONDS,
  streamArnInRegion,
  toLambdaRecord,
} from "./records.ts";
import { parentAllowsStart, type ShardStatus, shardsReadyToStart } from "./shards.ts";

/**
 * The local event source mapping: polls a table's DynamoDB stream on DynamoDB Local and invokes an
 * in-process handler with Lambda's semantics.
 *
 * Per shard, one batch is in flight at a time and records come in stream order. Children are read
 * only after their parent is read to its end and processed. Batches follow `batchSize`, the
 * batching window and Lambda's 6 MB payload limit. With `reportBatchItemFailures` on, a response
 * naming records resumes from the lowest of them (off, only a thrown error fails a batch); a failed
 * invocation is bisected when `bisectBatchOnFunctionError` is on
 * (bisecting uses no retry), otherwise retried with backoff; `maximumRetryAttempts` and
 * `maximumRecordAgeInSeconds` bound it, and what is given up is written, records included, to the
 * on-failure store (as Lambda writes it to an S3 destination) and described in the set-aside table
 * before the mapping moves past it. `parallelizationFactor`
 * above 1 is honoured as 1: batches of a shard run one after another, which keeps per-item order.
 */

/** A stream handler, as `DynamoDBStreamHandler` types it. */
export type StreamHandler = DynamoDBStreamHandler;

/** Largest synchronous invocation payload Lambda accepts; batches are cut to stay under it. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** GetRecords returns at most this many records per call. */
const GET_RECORDS_LIMIT = 1000;

export interface EventSourceMappingProps {
  readonly streamsClient: DynamoDBStreamsClient;
  /** Reads the table's stream ARN and writes to the on-failure table. */
  readonly dynamodbClient: DynamoDBClient;
  /** Physical name of the source table. */
  readonly tableName: string;
  /** From `resolveMappingSettings(source)`. */
  readonly settings: ResolvedMappingSettings;
  readonly handler: StreamHandler;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  /** @default 128 */
  readonly memorySizeMB?: number;
  /**
   * Physical name of the on-failure destination table (the set-aside table).
   * @default no destination: given-up batches are counted and skipped, as Lambda does without one
   */
  readonly onFailureTable?: string;
  /**
   * Folder of the local on-failure store: each given-up batch is written there as the object Lambda
   * writes to an S3 on-failure destination (records included), under the same key layout.
   * @default no store: the set-aside item describes the batch without its records
   */
  readonly onFailureStore?: string;
  /** How often each shard is polled when it has nothing new. @default 250 (Lambda's 4 per second) */
  readonly pollIntervalMs?: number;
  /** How often the stream is described to find new shards. @default 5_000 */
  readonly describeIntervalMs?: number;
  /** Backoff between retries of a failed batch: base doubles per attempt up to max. @default { baseMs: 500, maxMs: 30_000 } */
  readonly retryBackoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /**
   * JSON file the per-shard checkpoints persist to, so a restart resumes where it stopped.
   * @default checkpoints live in memory only
   */
  readonly checkpointFile?: string;
  /** Region in the function ARN and the handler's context. @default process.env.AWS_REGION, else "us-east-1" */
  readonly region?: string;
  /** Clock for record ages (epoch ms); tests move it forward. @default Date.now */
  readonly now?: () => number;
}

/** Counters of one mapping, for the runtime's dashboard. */
export interface EventSourceMappingStats {
  readonly functionName: string;
  readonly tableName: string;
  readonly streamArn: string;
  readonly state: "running" | "stopped";
  readonly shards: { readonly waiting: number; readonly reading: number; readonly finished: number };
  /** Records read from the stream. */
  readonly recordsRead: number;
  /** Records no filter pattern matched: consumed without an invocation. */
  readonly recordsFiltered: number;
  /** Records the handler processed successfully. */
  readonly recordsDelivered: number;
  /** Invocations of the handler. */
  readonly batches: number;
  /** Invocations that failed wholly or reported item failures. */
  readonly failures: number;
  readonly batchesGivenUp: number;
  readonly recordsGivenUp: number;
  /** Age of the last record of the last invoked batch when it was invoked, ms (Lambda's IteratorAge). */
  readonly iteratorAgeMs: number;
  readonly lastInvokedAt?: string;
  readonly lastError?: string;
}

export interface EventSourceMapping {
  readonly streamArn: string;
  /** Stops polling promptly (an in-flight batch is abandoned and comes again after a restart). */
  stop(): Promise<void>;
  stats(): EventSourceMappingStats;
  /**
   * Resolves once every readable shard has been polled since the call, found nothing new, and has
   * nothing buffered or in flight. Rejects with {@link IdleTimeoutError} after `timeoutMs`.
   */
  idle(options?: { readonly timeoutMs?: number }): Promise<void>;
}

interface PendingRecord {
  readonly record: DynamoDBRecord;
  readonly sequenceNumber: string;
  /** Sequence number of the record read just before this one (filtered or not). */
  readonly previousSequenceNumber: string | undefined;
  readonly bytes: number;
  /** Estimated write time, epoch ms (never younger than the truth makes it). */
  readonly createdAtMs: number;
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId?: string;
  status: ShardStatus;
  initialIteratorType: "TRIM_HORIZON" | "LATEST";
  iterator: string | undefined;
  /** The shard returned no next iterator: everything in it has been read. */
  endOfShard: boolean;
  lastReadSequenceNumber: string | undefined;
  checkpoint: string | undefined;
  pending: PendingRecord[];
  windowStartedAt: number;
  inFlight: boolean;
  /** Start time of the last poll that found nothing to do. */
  caughtUpSince: number;
  /** Settles once the shard's first iterator is taken (or failed to be). */
  ready?: Promise<void>;
  loop?: Promise<void>;
}

/** A run of records at the head of a shard's pending list, tried as one batch. */
interface Attempt {
  count: number;
  retries: number;
  invocations: number;
  last?: LastInvocation;
}

/**
 * Starts polling a table's stream and invoking `handler` the way Lambda's event source mapping
 * would; resolves once the stream has been described and its first shards are being read.
 *
 * @example
 * const mapping = await startEventSourceMapping({
 *   streamsClient, dynamodbClient, tableName: "PetStore",
 *   settings: resolveMappingSettings(source), handler, functionName: "ripple-fan-out",
 *   timeoutSeconds: 60, onFailureTable: "ripple-set-aside",
 * });
 * await mapping.idle();
 * await mapping.stop();
 */
export async function startEventSourceMapping(props: EventSourceMappingProps): Promise<EventSourceMapping> {
  validateMappingSettings(`event source mapping of ${props.tableName}`, props.settings);
  const described = await props.dynamodbClient.send(new DescribeTableCommand({ TableName: props.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (streamArn === undefined || described.Table?.StreamSpecification?.StreamEnabled !== true) {
    throw new StreamNotEnabledError(
      `table ${props.tableName} has no stream enabled, so an event source mapping cannot read it; declare stream: "NEW_IMAGE" on it in infra/pipeline.ts`,
    );
  }
  const store = await CheckpointStore.open(streamArn, props.checkpointFile);
  const mapping = new LocalEventSourceMapping(props, streamArn, store);
  await mapping.start();
  return mapping;
}

class LocalEventSourceMapping implements EventSourceMapping {
  private readonly shards = new Map<string, ShardState>();
  private readonly abort = new AbortController();
  private readonly listeners = new Set<() => void>();
  private readonly filters;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly describeIntervalMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly functionArn: string;
  private readonly region: string;
  private discovered = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private discoveryLoop: Promise<void> | undefined;
  private wakeDiscovery: (() => void) | undefined;
  private counters = {
    recordsRead: 0,
    recordsFiltered: 0,
    recordsDelivered: 0,
    batches: 0,
    failures: 0,
    batchesGivenUp: 0,
    recordsGivenUp: 0,
    iteratorAgeMs: 0,
  };
  private lastInvokedAt: string | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly props: EventSourceMappingProps,
    readonly streamArn: string,
    private readonly store: CheckpointStore,
  ) {
    this.filters = compileFilterCriteria(props.settings.filterPatterns);
    this.now = props.now ?? Date.now;
    this.pollIntervalMs = props.pollIntervalMs ?? 250;
    this.describeIntervalMs = props.describeIntervalMs ?? 5_000;
    this.backoffBaseMs = props.retryBackoff?.baseMs ?? 500;
    this.backoffMaxMs = props.retryBackoff?.maxMs ?? 30_000;
    this.region = props.region ?? process.env.AWS_REGION ?? "us-east-1";
    this.functionArn = functionArn(props.functionName, this.region);
    // Every sleep and in-flight request of every shard listens to this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  /** Describes the stream and takes the first iterators, so records written after this are read. */
  async start(): Promise<void> {
    await this.discover();
    await Promise.all([...this.shards.values()].map((s) => s.ready));
    this.discoveryLoop = this.runDiscovery();
  }

  stats(): EventSourceMappingStats {
    const count = (status: ShardStatus) =>
      [...this.shards.values()].filter((s) => s.status === status).length;
    return {
      functionName: this.props.functionName,
      tableName: this.props.tableName,
      streamArn: this.streamArn,
      state: this.stopped ? "stopped" : "running",
      shards: { waiting: count("waiting"), reading: count("reading"), finished: count("finished") },
      ...this.counters,
      ...(this.lastInvokedAt === undefined ? {} : { lastInvokedAt: this.lastInvokedAt }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  idle(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const calledAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (error?: Error) => {
        this.listeners.delete(check);
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = () => {
        if (this.stopped || this.isIdleSince(calledAt)) done();
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const busy = [...this.shards.values()]
            .filter((s) => s.status === "reading" && (s.pending.length > 0 || s.inFlight))
            .map((s) => `${s.shardId} (${s.pending.length} pending${s.inFlight ? ", batch in flight" : ""})`);
          done(
            new IdleTimeoutError(
              `the event source mapping of ${this.props.tableName} was still busy after ${options.timeoutMs} ms: ${busy.join(", ") || "shards not yet polled"}${this.lastError === undefined ? "" : `; last error: ${this.lastError}`}`,
            ),
          );
        }, options.timeoutMs);
      }
      this.listeners.add(check);
      check();
    });
  }

  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopped = true;
    this.abort.abort(new Error(`event source mapping of ${this.props.tableName} stopped`));
    this.stopping = (async () => {
      await Promise.allSettled([
        this.discoveryLoop,
        ...[...this.shards.values()].map((s) => s.loop).filter((l) => l !== undefined),
      ]);
      await this.store.flush();
      this.notify();
    })();
    return this.stopping;
  }

  private isIdleSince(calledAt: number): boolean {
    if (!this.discovered) return false;
    for (const s of this.shards.values()) {
      if (s.status === "finished") continue;
      if (s.status === "waiting") {
        if (parentAllowsStart(s, (id) => this.shards.get(id)?.status)) return false;
        continue;
      }
      if (s.inFlight || s.pending.length > 0 || s.caughtUpSince < calledAt) return false;
    }
    return true;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private fail(what: string, error: unknown): void {
    this.lastError = `${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }

  /** Waits `ms`, or less when the mapping stops (or `wake` is called). */
  private sleep(ms: number, onWake?: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener("abort", done, { once: true });
      onWake?.(done);
    });
  }

  // ── discovery ──────────────────────────────────────────────────────────────────────────────

  private async runDiscovery(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.describeIntervalMs, (wake) => {
        this.wakeDiscovery = wake;
      });
      this.wakeDiscovery = undefined;
      if (this.stopped) return;
      try {
        await this.discover();
      } catch (error) {
        if (!this.stopped) this.fail(`DescribeStream ${this.streamArn}`, error);
      }
    }
  }

  private async describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await this.props.streamsClient.send(
        new DescribeStreamCommand({
          StreamArn: this.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
        { abortSignal: this.abort.signal },
      );
      shards.push(...(page.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  private async discover(): Promise<void> {
    const shards = await this.describeShards();
    const firstTime = !this.discovered;
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (shardId === undefined || this.shards.has(shardId)) continue;
      const saved = this.store.get(shardId);
      let status: ShardStatus = saved?.finished === true ? "finished" : "waiting";
      // LATEST applies to the shards open when the mapping is created; older data is skipped, and
      // shards that appear later are read from their start.
      const latest = firstTime && this.props.settings.startingPosition === "LATEST" && saved === undefined;
      if (latest && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) {
        status = "finished";
        this.store.finish(shardId);
      }
      this.shards.set(shardId, {
        shardId,
        ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
        status,
        initialIteratorType: latest ? "LATEST" : "TRIM_HORIZON",
        iterator: undefined,
        endOfShard: false,
        lastReadSequenceNumber: undefined,
        checkpoint: saved?.sequenceNumber,
        pending: [],
        windowStartedAt: 0,
        inFlight: false,
        caughtUpSince: Number.NEGATIVE_INFINITY,
      });
    }
    this.discovered = true;
    this.startReadyShards();
    this.notify();
  }

  private startReadyShards(): void {
    if (this.stopped) return;
    for (const shardId of shardsReadyToStart([...this.shards.values()])) {
      const shard = this.shards.get(shardId);
      if (shard === undefined) continue;
      shard.status = "reading";
      shard.ready = this.takeFirstIterator(shard);
      shard.loop = shard.ready.then(() => this.runShard(shard));
    }
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────

  private async takeFirstIterator(shard: ShardState): Promise<void> {
    try {
      shard.iterator = await this.acquireIterator(shard);
      if (shard.iterator === undefined) shard.endOfShard = true;
    } catch (error) {
      // The shard's loop tries again.
      if (!this.stopped) this.fail(`GetShardIterator ${shard.shardId}`, error);
    }
  }

  private async runShard(shard: ShardState): Promise<void> {
    while (!this.stopped) {
      const pollStartedAt = Date.now();
      let more = false;
      try {
        if (!shard.endOfShard && shard.pending.length < this.props.settings.batchSize) {
          more = await this.read(shard);
          if (this.stopped) return;
        }
        if (this.shouldInvoke(shard)) {
          await this.processBatch(shard);
          continue;
        }
      } catch (error) {
        if (this.stopped) return;
        this.fail(`shard ${shard.shardId}`, error);
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      if (shard.endOfShard && shard.pending.length === 0) {
        shard.status = "finished";
        this.store.finish(shard.shardId);
        this.startReadyShards();
        this.wakeDiscovery?.();
        this.notify();
        return;
      }
      if (shard.pending.length === 0 && !more) {
        shard.caughtUpSince = pollStartedAt;
        this.notify();
      }
      if (!more) await this.sleep(this.waitMs(shard));
    }
  }

  private waitMs(shard: ShardState): number {
    if (shard.pending.length === 0) return this.pollIntervalMs;
    const windowLeft =
      shard.windowStartedAt + this.props.settings.maximumBatchingWindowInSeconds * 1000 - Date.now();
    return Math.min(this.pollIntervalMs, windowLeft);
  }

  private shouldInvoke(shard: ShardState): boolean {
    const n = shard.pending.length;
    if (n === 0) return false;
    const { batchSize, maximumBatchingWindowInSeconds } = this.props.settings;
    return (
      n >= batchSize ||
      shard.endOfShard ||
      maximumBatchingWindowInSeconds === 0 ||
      Date.now() - shard.windowStartedAt >= maximumBatchingWindowInSeconds * 1000 ||
      shard.pending.reduce((sum, p) => sum + p.bytes, 0) >= MAX_PAYLOAD_BYTES
    );
  }

  private async acquireIterator(shard: ShardState): Promise<string | undefined> {
    const after = shard.lastReadSequenceNumber ?? shard.checkpoint;
    const input: GetShardIteratorCommandInput =
      after === undefined
        ? { StreamArn: this.streamArn, ShardId: shard.shardId, ShardIteratorType: shard.initialIteratorType }
        : {
            StreamArn: this.streamArn,
            ShardId: shard.shardId,
            ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
            SequenceNumber: after,
          };
    try {
      const out = await this.props.streamsClient.send(new GetShardIteratorCommand(input), {
        abortSignal: this.abort.signal,
      });
      return out.ShardIterator;
    } catch (error) {
      if (error instanceof TrimmedDataAccessException) {
        // The position fell out of the 24 h retention: what is left starts at the trim horizon.
        this.fail(`shard ${shard.shardId}: records after ${after} expired before they were read`, error);
        shard.lastReadSequenceNumber = undefined;
        shard.checkpoint = undefined;
        shard.initialIteratorType = "TRIM_HORIZON";
        return this.acquireIterator(shard);
      }
      if (error instanceof ResourceNotFoundException) {
        shard.endOfShard = true;
        return undefined;
      }
      throw error;
    }
  }

  /** Reads one page into the shard's pending records; true when more are likely waiting. */
  private async read(shard: ShardState): Promise<boolean> {
    if (shard.iterator === undefined) {
      shard.iterator = await this.acquireIterator(shard);
      if (shard.iterator === undefined) {
        shard.endOfShard = true;
        return false;
      }
    }
    const limit = Math.min(
      GET_RECORDS_LIMIT,
      Math.max(1, this.props.settings.batchSize - shard.pending.length),
    );
    let out: GetRecordsCommandOutput;
    try {
      out = await this.props.streamsClient.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: limit }),
        {
          abortSignal: this.abort.signal,
        },
      );
    } catch (error) {
      if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
        // Iterators last 15 minutes: take a new one after the last record read.
        shard.iterator = undefined;
        return true;
      }
      if (error instanceof ResourceNotFoundException) {
        shard.iterator = undefined;
        shard.endOfShard = true;
        return false;
      }
      throw error;
    }
    // Every record of the page in Lambda's shape before the iterator moves past the page: a record
    // that cannot be converted stops the shard here, loudly and retried, instead of the rest of
    // its page being skipped.
    const records = (out.Records ?? []).map((raw) => toLambdaRecord(raw, this.streamArn, this.region));
    shard.iterator = out.NextShardIterator;
    if (shard.iterator === undefined) shard.endOfShard = true;
    const readAt = this.now();
    for (const record of records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? "";
      this.counters.recordsRead++;
      if (passesFilterCriteria(this.filters, record)) {
        if (shard.pending.length === 0) shard.windowStartedAt = Date.now();
        shard.pending.push({
          record,
          sequenceNumber,
          previousSequenceNumber: shard.lastReadSequenceNumber,
          bytes: payloadBytes(record),
          createdAtMs: estimatedCreationMs(record.dynamodb?.ApproximateCreationDateTime, readAt),
        });
      } else {
        this.counters.recordsFiltered++;
      }
      shard.lastReadSequenceNumber = sequenceNumber;
    }
    // Records filtered out with nothing pending before them are consumed right away.
    if (shard.pending.length === 0 && shard.lastReadSequenceNumber !== undefined) {
      this.checkpoint(shard, shard.lastReadSequenceNumber);
    }
    return records.length >= limit && !shard.endOfShard;
  }

  // ── processing ─────────────────────────────────────────────────────────────────────────────

  private checkpoint(shard: ShardState, sequenceNumber: string): void {
    shard.checkpoint = sequenceNumber;
    this.store.advance(shard.shardId, sequenceNumber);
  }

  /** Marks the first `n` pending records handled and moves the checkpoint past them. */
  private consume(shard: ShardState, n: number): void {
    if (n <= 0) return;
    shard.pending.splice(0, n);
    const next = shard.pending[0];
    const position = next === undefined ? shard.lastReadSequenceNumber : next.previousSequenceNumber;
    if (position !== undefined) this.checkpoint(shard, position);
  }

  /** The head of the pending records that fits one invocation. */
  private batchLength(shard: ShardState): number {
    let bytes = 0;
    let n = 0;
    for (const p of shard.pending) {
      if (n >= this.props.settings.batchSize) break;
      if (n > 0 && bytes + p.bytes > MAX_PAYLOAD_BYTES) break;
      bytes += p.bytes;
      n++;
    }
    return n;
  }

  private maxAgeMs(): number {
    const age = this.props.settings.maximumRecordAgeInSeconds;
    return (age === -1 ? STREAM_RETENTION_SECONDS : age) * 1000;
  }

  private backoffMs(retries: number): number {
    return Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.max(0, retries - 1));
  }

  private async processBatch(shard: ShardState): Promise<void> {
    const { bisectBatchOnFunctionError, maximumRetryAttempts } = this.props.settings;
    const queue: Attempt[] = [{ count: this.batchLength(shard), retries: 0, invocations: 0 }];
    shard.inFlight = true;
    try {
      while (queue.length > 0 && !this.stopped) {
        const attempt = queue[0] as Attempt;
        const records = shard.pending.slice(0, attempt.count);

        const now = this.now();
        const expired = records.findIndex((r) => now - r.createdAtMs <= this.maxAgeMs());
        const tooOld = expired === -1 ? records.length : expired;
        if (tooOld > 0) {
          if (!(await this.giveUp(shard, records.slice(0, tooOld), "RecordAgeExceeded", attempt))) return;
          this.consume(shard, tooOld);
          attempt.count -= tooOld;
          if (attempt.count === 0) queue.shift();
          continue;
        }

        const outcome = await this.invoke(records, attempt);
        if (outcome === undefined) return;
        if (outcome.kind === "success") {
          this.counters.recordsDelivered += attempt.count;
          this.consume(shard, attempt.count);
          queue.shift();
          continue;
        }
        this.counters.failures++;
        if (outcome.kind === "partial") {
          this.counters.recordsDelivered += outcome.failedIndex;
          this.consume(shard, outcome.failedIndex);
          attempt.count -= outcome.failedIndex;
          attempt.retries++;
        } else if (bisectBatchOnFunctionError && attempt.count > 1) {
          const first = Math.ceil(attempt.count / 2);
          queue.splice(0, 1, { ...attempt, count: first }, { ...attempt, count: attempt.count - first });
          continue;
        } else {
          attempt.retries++;
        }
        if (maximumRetryAttempts !== -1 && attempt.retries > maximumRetryAttempts) {
          const givenUp = shard.pending.slice(0, attempt.count);
          if (!(await this.giveUp(shard, givenUp, "RetryAttemptsExhausted", attempt))) return;
          this.consume(shard, attempt.count);
          queue.shift();
          continue;
        }
        await this.sleep(this.backoffMs(attempt.retries));
      }
    } finally {
      shard.inFlight = false;
    }
  }

  /** One invocation; undefined when the mapping stopped while it ran. */
  private async invoke(
    records: readonly PendingRecord[],
    attempt: Attempt,
  ): Promise<BatchOutcome | undefined> {
    const context = createLambdaContext({
      functionName: this.props.functionName,
      timeoutSeconds: this.props.timeoutSeconds,
      region: this.region,
      ...(this.props.memorySizeMB === undefined ? {} : { memorySizeMB: this.props.memorySizeMB }),
    });
    // Each invocation gets its own copy, as each Lambda invocation parses its own payload.
    const event: DynamoDBStreamEvent = { Records: records.map((r) => structuredClone(r.record)) };
    const last = records[records.length - 1] as PendingRecord;
    this.counters.batches++;
    this.counters.iteratorAgeMs = Math.max(0, this.now() - last.createdAtMs);
    this.lastInvokedAt = new Date().toISOString();
    attempt.invocations++;
    try {
      const response = await invokeHandler(this.props.handler, event, context, {
        timeoutSeconds: this.props.timeoutSeconds,
        signal: this.abort.signal,
      });
      // Without ReportBatchItemFailures Lambda does not read the response: not throwing is success.
      const outcome: BatchOutcome = this.props.settings.reportBatchItemFailures
        ? interpretBatchResponse(
            response,
            records.map((r) => r.sequenceNumber),
          )
        : { kind: "success" };
      // The function returned: Lambda reports no function error, even for a response it cannot read.
      attempt.last = { requestId: context.awsRequestId, functionError: false };
      if (outcome.kind === "failure")
        this.fail(`${this.props.functionName} returned an invalid response`, outcome.reason);
      return outcome;
    } catch (error) {
      if (this.stopped) return undefined;
      attempt.last = { requestId: context.awsRequestId, functionError: true };
      this.fail(`${this.props.functionName} failed`, error);
      return { kind: "failure", reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Keeps given-up records in the on-failure store and describes them; false when the mapping stopped first. */
  private async giveUp(
    shard: ShardState,
    records: readonly PendingRecord[],
    condition: FailureCondition,
    attempt: Attempt,
  ): Promise<boolean> {
    const document = streamInvocationRecord({
      records: records.map((r) => r.record),
      shardId: shard.shardId,
      streamArn: streamArnInRegion(this.streamArn, this.region),
      functionArn: this.functionArn,
      condition,
      invokeCount: attempt.invocations,
      ...(attempt.last === undefined ? {} : { lastInvocation: attempt.last }),
      now: new Date(this.now()),
      fallbackRequestId: randomUUID(),
    });
    const store = this.props.onFailureStore;
    const table = this.props.onFailureTable;
    let objectPath: string | undefined;
    for (let tries = 1; store !== undefined && objectPath === undefined; tries++) {
      if (this.stopped) return false;
      try {
        const uuid = localMappingUuid(this.props.functionName, this.props.tableName);
        const key = onFailureObjectKey(uuid, shard.shardId, new Date(document.timestamp));
        const object = onFailureObject(
          document,
          records.map((r) => r.record),
        );
        objectPath = await writeOnFailureObject(store, key, object);
      } catch (error) {
        if (this.stopped) return false;
        this.fail(`writing to the on-failure store ${store}`, error);
        await this.sleep(this.backoffMs(tries));
      }
    }
    for (let tries = 1; table !== undefined; tries++) {
      if (this.stopped) return false;
      try {
        await sendToOnFailureTable(
          this.props.dynamodbClient,
          table,
          this.props.tableName,
          document,
          this.abort.signal,
          objectPath,
        );
        break;
      } catch (error) {
        if (this.stopped) return false;
        this.fail(`writing to on-failure table ${table}`, error);
        await this.sleep(this.backoffMs(tries));
      }
    }
    this.counters.batchesGivenUp++;
    this.counters.recordsGivenUp += records.length;
    return true;
  }
}
