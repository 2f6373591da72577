import type { Limits } from "#commons/limits.ts";
import type { ChangeKind, DomainEvent } from "#schemas/domain-events.ts";
import type { ItemSchemaName } from "#schemas/items.ts";

/** Shards of a hot aggregate when the consumer declares none ({@link ConsumerDeclaration.aggregateShards}). */
export const DEFAULT_AGGREGATE_SHARDS = 16;
/** Most shards of one aggregate: readers Query them all, and every shard item costs a read. */
export const MAX_AGGREGATE_SHARDS = 256;

/**
 * The types of ripple's one pipeline declaration (`infra/pipeline.ts`).
 *
 * `resolvePipeline` (`infra/model.ts`) checks a value of {@link PipelineDeclaration} once, fills in
 * every default once and returns the resolved model; the CDK app and the local runtime are both
 * built from that model and neither restates the topology. Names follow the CloudFormation /
 * Lambda properties they become.
 */

export type AttributeType = "S" | "N" | "B";

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface GlobalSecondaryIndexDeclaration {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  /** @default no sort key */
  readonly sortKey?: KeyAttribute;
  /** @default "ALL" */
  readonly projection?: "ALL" | "KEYS_ONLY";
}

export interface TableDeclaration {
  /** Physical table name (in AWS prefixed with the stage, e.g. `prod-PetStore`). */
  readonly tableName: string;
  /** Which seed system or pipeline role it serves; shown in docs and the dashboard. */
  readonly purpose: string;
  readonly partitionKey: KeyAttribute;
  /** @default no sort key */
  readonly sortKey?: KeyAttribute;
  /** @default no indexes */
  readonly globalSecondaryIndexes?: readonly GlobalSecondaryIndexDeclaration[];
  /** Attribute DynamoDB's TTL reads (epoch seconds). @default TTL off */
  readonly timeToLiveAttribute?: string;
  /** @default no stream */
  readonly stream?: "NEW_IMAGE";
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
}

/** One change kind of a source table mapped to the domain event it becomes. */
export interface ChangeMapping {
  /** `EXPIRE` is a TTL deletion; a REMOVE mapping without an EXPIRE one also covers expiries. */
  readonly on: readonly ChangeKind[];
  readonly event: DomainEvent;
  /**
   * Publish the change only when the attributes a consumer keeps on the item are no longer as it
   * sealed them (`functions/commons/seal.ts`): a write around the consumer that erased or altered
   * them becomes the event, the consumer's own writes (always sealed) become none — so the
   * consumer may subscribe to the event without feeding a loop. INSERT and MODIFY only.
   * @default always published
   */
  readonly unlessSealed?: SealDeclaration;
}

/** The seal a consumer keeps beside the attributes it owns on a source item. */
export interface SealDeclaration {
  /** The consumer that owns the attributes and writes the seal. */
  readonly consumer: string;
  /** Attribute holding the seal (a string). */
  readonly attribute: string;
  /** The attributes the seal covers. */
  readonly covers: readonly string[];
}

/** Settings of a DynamoDB-stream event source mapping, as Lambda names them. */
export interface EventSourceMappingSettings {
  /** 1–10,000. @default 100 */
  readonly batchSize?: number;
  /** 0–300 s. @default 0 */
  readonly maximumBatchingWindowInSeconds?: number;
  /** @default true */
  readonly bisectBatchOnFunctionError?: boolean;
  /** -1 (until the record expires) or 0–10,000. @default 10 */
  readonly maximumRetryAttempts?: number;
  /** -1 (no limit) or 60–604,800 s. @default 3600 */
  readonly maximumRecordAgeInSeconds?: number;
  /** 1–10 concurrent batches per shard. @default 1 */
  readonly parallelizationFactor?: number;
  /** @default "TRIM_HORIZON" */
  readonly startingPosition?: "TRIM_HORIZON" | "LATEST";
  /**
   * Whether Lambda reads the function's `batchItemFailures` (`FunctionResponseTypes:
   * ["ReportBatchItemFailures"]`) and resumes from the lowest reported record. Off, Lambda ignores
   * what the function returns: only a thrown error fails the batch. The fan-out answers with
   * `batchItemFailures`, so its sources keep it on.
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Lambda FilterCriteria patterns, applied to the record as delivered (DynamoDB-typed values:
   * numbers are strings there). A record matching any pattern is delivered.
   * @default deliver every record
   */
  readonly filterPatterns?: readonly object[];
}

/** A table whose stream feeds the fan-out, and the domain events its changes become. */
export interface StreamSourceDeclaration extends EventSourceMappingSettings {
  /** Key of the table in {@link PipelineDeclaration.tables}. */
  readonly table: string;
  /**
   * Name of the item image's schema in `ItemSchemas` (`schemas/items.ts`); a record whose image
   * fails it is set aside. The fan-out's configuration carries the name, not the schema.
   */
  readonly itemSchema: ItemSchemaName;
  readonly changes: readonly ChangeMapping[];
}

/** Which events a consumer receives: becomes one EventBridge rule. */
export interface ConsumerDeclaration {
  /** Kebab-case; also the folder under `functions/`. */
  readonly name: string;
  readonly description: string;
  /** Path of the handler module, from the project root. */
  readonly handler: string;
  /** Domain events it subscribes to. The rule's pattern is derived from these. */
  readonly events: readonly DomainEvent[];
  /**
   * Extra content filter ANDed into the rule's pattern (keys under `detail`).
   * @default none
   */
  readonly detailFilter?: object;
  /** Keys of the tables it reads. */
  readonly reads: readonly string[];
  /** Keys of the tables it writes. Checked for feedback loops through source tables. */
  readonly writes: readonly string[];
  /**
   * The change kinds its writes can cause, for tables where that is fewer than all (a consumer
   * that only updates items it did not create causes MODIFYs only). The feedback-loop check
   * follows only the events those kinds become.
   * @default every kind, for every table in `writes`
   */
  readonly writeChanges?: Readonly<Record<string, readonly ChangeKind[]>>;
  /**
   * EventBridge target retry policy: how long EventBridge keeps trying to hand the event to Lambda
   * (throttled or refused Invoke calls). Once Lambda has accepted the event, a function error is
   * retried under {@link ConsumerDeclaration.asyncInvoke} instead.
   * @default EventBridge's: 185 attempts, 86,400 s
   */
  readonly retry?: {
    /** 60–86,400 s. @default 86400 */
    readonly maximumEventAgeInSeconds?: number;
    /** 0–185. @default 185 */
    readonly maximumRetryAttempts?: number;
  };
  /**
   * Lambda's asynchronous-invocation settings of the consumer's function (EventBridge invokes
   * Lambda targets asynchronously): how often Lambda runs the function again after it fails, and
   * how long an event may wait, before the event goes to the consumer's dead-letter queue.
   * Lambda waits 1 minute before the first retry and 2 minutes before the second.
   * @default Lambda's: 2 retries, 21,600 s
   */
  readonly asyncInvoke?: {
    /** 0–2. @default 2 */
    readonly maximumRetryAttempts?: number;
    /** 60–21,600 s. @default 21600 */
    readonly maximumEventAgeInSeconds?: number;
  };
  /**
   * Most invocations of the function that run at once (Lambda's reserved concurrency). Events
   * beyond it wait in Lambda's asynchronous queue (a throttle is retried, not counted as a failed
   * attempt), which keeps writers of one hot aggregate item from outracing each other.
   * @default unreserved
   */
  readonly reservedConcurrency?: number;
  /**
   * How many items each hot aggregate the consumer keeps is spread over (the car park totals, the
   * pet and cart statistics). Each event goes to the shard a stable hash of its source item's key
   * picks, so one source item's position and tombstone stay in one shard, and concurrent writers
   * of different source items rarely meet on one item; readers sum the shards. Fixed once the
   * aggregates hold data: changing it moves source items to other shards, so rebuild the
   * aggregates after (replay, then `npm run audit`). 1–{@link MAX_AGGREGATE_SHARDS}.
   * @default {@link DEFAULT_AGGREGATE_SHARDS}
   */
  readonly aggregateShards?: number;
  /** 1–900 s. @default 30 */
  readonly timeoutSeconds?: number;
  /** 128–10,240 MB. @default 256 */
  readonly memorySize?: number;
}

/** What a function may do with a table; `TABLE_ACCESS` in `infra/model.ts` names the actions. */
export type TableAccess = "read" | "scan" | "write" | "put";

export interface AlarmThresholds {
  /** PutItem SuccessfulRequestLatency p99, ms, 3 of 3 five-minute periods (seed 003). */
  readonly writeLatencyP99Ms: number;
  /** GetItem/Query SuccessfulRequestLatency p95, ms, 3 of 3 five-minute periods (seed 003). */
  readonly readLatencyP95Ms: number;
  /** Stream iterator age, ms. */
  readonly iteratorAgeMs: number;
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
}

/**
 * AWS payload limits the pipeline works within, in bytes (see `Limits` in
 * `functions/commons/limits.ts`). Each one left out is AWS's current value; `resolveLimits` fills
 * them in.
 */
export type LimitsDeclaration = Partial<Limits>;

export interface PipelineDeclaration {
  readonly name: string;
  /**
   * Payload limits, for a region or account whose limits differ from AWS's current ones.
   * @default AWS's current values: 1 MB PutEvents entries and requests, asynchronous invocations
   * and SQS messages; 64 KB billing chunks
   */
  readonly limits?: LimitsDeclaration;
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  readonly bus: {
    readonly name: string;
    /** Whole days, 0 meaning forever. @default 30 */
    readonly archiveRetentionDays?: number;
  };
  readonly fanOut: {
    readonly handler: string;
    /** Key of the table where unmappable records and oversized events are set aside. */
    readonly setAsideTable: string;
    /** Events from changes this many pipeline hops deep are set aside as a feedback loop. */
    readonly maxDepth: number;
    /** 1–900 s. */
    readonly timeoutSeconds: number;
    /** 128–10,240 MB. */
    readonly memorySize: number;
    /**
     * Whole days a batch the stream mappings gave up on is kept in the on-failure bucket (its
     * records included) before S3 expires it; `npm run redrive` must run within them. At least 1.
     * @default 14
     */
    readonly onFailureRetentionDays?: number;
  };
  readonly sources: readonly StreamSourceDeclaration[];
  readonly consumers: readonly ConsumerDeclaration[];
  /**
   * How long, in seconds, a consumer's aggregate remembers a removed source item (its tombstone),
   * so that a stale event about it arriving later changes nothing. Must exceed the longest
   * automatic redelivery (stream record age + EventBridge event age + Lambda's asynchronous event
   * age); older tombstones are dropped so aggregate items stay small, and an event older than a
   * dropped one, about an item the aggregate does not know, is set aside instead of applied.
   */
  readonly tombstoneRetentionSeconds: number;
  readonly api: {
    readonly handler: string;
    /**
     * The tables the API uses, by key, with what it does to each (`read`: get and query, `scan`:
     * whole-table listings, `write`: put, update, delete). Its role is granted exactly these.
     */
    readonly tables: Readonly<Record<string, readonly TableAccess[]>>;
    /** Requests with a larger body are refused with 413. */
    readonly maxBodyBytes: number;
    /** API Gateway stage throttling: a positive rateLimit and a positive whole burstLimit. */
    readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
    /** How long an Idempotency-Key is remembered, seconds. */
    readonly idempotencyTtlSeconds: number;
    /** 1–900 s. */
    readonly timeoutSeconds: number;
    /** 128–10,240 MB. */
    readonly memorySize: number;
  };
  readonly alarms: AlarmThresholds;
}
