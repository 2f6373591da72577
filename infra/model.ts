import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Limits, resolveLimits } from "#commons/limits.ts";
import {
  API_SERVICE,
  ConsumerMetrics,
  FAN_OUT_SERVICE,
  FanOutMetrics,
  METRICS_NAMESPACE,
  SetAsideKinds,
  SetAsideReasonCodes,
} from "#schemas/contracts.ts";
import type { ChangeKind, DomainEvent } from "#schemas/domain-events.ts";
import { configVariable } from "#schemas/function-config.ts";
import type { ItemSchemaName } from "#schemas/items.ts";
import { routes as apiRoutes } from "../functions/api/routes/index.ts";
import {
  type ConsumerDeclaration,
  DEFAULT_AGGREGATE_SHARDS,
  type KeyAttribute,
  type PipelineDeclaration,
  type SealDeclaration,
  type StreamSourceDeclaration,
  type TableAccess,
  type TableDeclaration,
} from "./declaration.ts";
import { type MonitoringModel, resolveMonitoring } from "./monitoring-model.ts";
import {
  type ResolvedMappingSettings,
  resolveAsyncInvoke,
  resolveMappingSettings,
  resolveTargetRetry,
  ruleName,
  rulePattern,
} from "./topology.ts";
import { validateHandlers, validatePipeline } from "./validate.ts";

/** Root of the project: handler paths in the declaration are relative to it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The resolved pipeline model: the declaration checked once, every default filled in once, and
 * every fact that crosses a boundary (handler ↔ CDK ↔ local runtime) named once. The CDK app and
 * the local runtime each read their slice of it; handlers get theirs through their environment.
 */

export type { TableAccess } from "./declaration.ts";

/** The DynamoDB actions each kind of access allows; grants name exactly these. */
export const TABLE_ACCESS = {
  /** Point reads and queries (on the table and its indexes). */
  read: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
  /** Whole-table listings. */
  scan: ["dynamodb:Scan"],
  /** Item writes, conditional or in transactions. */
  write: [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
  ],
  /** Adding whole items only (the set-aside table: an item per record, idempotent by key). */
  put: ["dynamodb:PutItem"],
} as const satisfies Record<TableAccess, readonly string[]>;

/** A declared table with its defaults filled in. */
export interface TableModel {
  /** Key in the declaration (`aggregates`); construct id in the CDK app. */
  readonly key: string;
  /** Physical name as declared; in AWS prefixed with the stage. */
  readonly tableName: string;
  readonly purpose: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly {
    readonly indexName: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey?: KeyAttribute;
    readonly projection: "ALL" | "KEYS_ONLY";
  }[];
  readonly timeToLiveAttribute?: string;
  readonly stream?: "NEW_IMAGE";
  readonly pointInTimeRecovery: boolean;
}

/** One table a function uses and what it may do with it. */
export interface TableGrantModel {
  /** Key of the table. */
  readonly table: string;
  readonly access: readonly TableAccess[];
  /** The DynamoDB actions those accesses allow, sorted, without duplicates. */
  readonly actions: readonly string[];
  /** Whether the actions also apply to the table's indexes (reads and scans do, writes do not). */
  readonly onIndexes: boolean;
}

/** The metrics a function emits under ripple's namespace. */
export interface EmittedMetricsModel {
  readonly namespace: string;
  /** Dimensions of every metric it emits: `service`. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly names: readonly string[];
}

/** What every function shares, with its defaults filled in. */
export interface FunctionModel {
  /** Powertools service name: its logs' `service`, its metrics' dimension. */
  readonly service: string;
  /** Name of the function locally (`ripple-fan-out`); in AWS CloudFormation names it. */
  readonly functionName: string;
  /** Handler module, relative to the project root. */
  readonly handler: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** @default unreserved */
  readonly reservedConcurrency?: number;
  /** Every table it uses, with its access; its role is granted exactly these. */
  readonly tables: readonly TableGrantModel[];
  readonly metrics: EmittedMetricsModel;
  /** Environment variable carrying its configuration (`RIPPLE_CONFIG_FAN_OUT`). */
  readonly configVariable: string;
}

/** A stream source with its mapping's defaults filled in. */
export interface SourceModel {
  readonly table: string;
  readonly tableName: string;
  readonly itemSchema: ItemSchemaName;
  readonly changes: readonly {
    readonly on: readonly ChangeKind[];
    readonly event: DomainEvent;
    readonly unlessSealed?: SealDeclaration;
  }[];
  readonly mapping: ResolvedMappingSettings;
}

export interface FanOutModel extends FunctionModel {
  /** Payload limits it packs PutEvents requests and sets events aside by. */
  readonly limits: Limits;
  /** Key of the set-aside table. */
  readonly setAsideTable: string;
  readonly maxDepth: number;
  readonly sources: readonly SourceModel[];
  /** Days the on-failure bucket keeps a given-up batch before S3 expires it. */
  readonly onFailureRetentionDays: number;
}

export interface ConsumerModel extends FunctionModel {
  readonly name: string;
  readonly events: readonly DomainEvent[];
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  readonly setAsideTable: string;
  readonly tombstoneRetentionSeconds: number;
  /** Shard items per hot aggregate it keeps (declared, or {@link DEFAULT_AGGREGATE_SHARDS}). */
  readonly aggregateShards: number;
  /** Its EventBridge rule: name (identical in AWS and locally) and pattern. */
  readonly rule: { readonly name: string; readonly pattern: Readonly<Record<string, unknown>> };
  readonly targetRetry: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  readonly asyncInvoke: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
}

/** A route anyone may call (no SigV4 in AWS, no bearer token locally). */
export interface PublicRouteModel {
  readonly method: "GET";
  readonly path: string;
}

export interface ApiModel extends FunctionModel {
  readonly publicRoutes: readonly PublicRouteModel[];
  readonly maxBodyBytes: number;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly idempotencyTtlSeconds: number;
}

export interface PipelineModel {
  readonly name: string;
  readonly metricsNamespace: string;
  readonly tables: Readonly<Record<string, TableModel>>;
  readonly bus: { readonly name: string; readonly archiveRetentionDays: number };
  readonly fanOut: FanOutModel;
  readonly consumers: readonly ConsumerModel[];
  /** AWS's payload limits, as declared or AWS's current values (`functions/commons/limits.ts`). */
  readonly limits: Limits;
  readonly api: ApiModel;
  readonly tombstoneRetentionSeconds: number;
  /** The set-aside table and the `kind`s and `reasonCode`s its items carry. */
  readonly setAside: {
    readonly table: string;
    readonly kinds: typeof SetAsideKinds;
    readonly reasonCodes: typeof SetAsideReasonCodes;
  };
  readonly monitoring: MonitoringModel;
}

const DEFAULT_TIMEOUT_SECONDS = 30;
const DEFAULT_MEMORY_MB = 256;
const DEFAULT_ARCHIVE_RETENTION_DAYS = 30;
/** As long as the SQS on-failure queue it replaces kept a batch's description. */
const DEFAULT_ON_FAILURE_RETENTION_DAYS = 14;

function resolveTable(key: string, t: TableDeclaration): TableModel {
  return {
    key,
    tableName: t.tableName,
    purpose: t.purpose,
    partitionKey: t.partitionKey,
    ...(t.sortKey === undefined ? {} : { sortKey: t.sortKey }),
    globalSecondaryIndexes: (t.globalSecondaryIndexes ?? []).map((i) => ({
      indexName: i.indexName,
      partitionKey: i.partitionKey,
      ...(i.sortKey === undefined ? {} : { sortKey: i.sortKey }),
      projection: i.projection ?? "ALL",
    })),
    ...(t.timeToLiveAttribute === undefined ? {} : { timeToLiveAttribute: t.timeToLiveAttribute }),
    ...(t.stream === undefined ? {} : { stream: t.stream }),
    pointInTimeRecovery: t.pointInTimeRecovery ?? true,
  };
}

/** One grant per table, its accesses merged, in the order the tables were first named. */
function grants(entries: readonly (readonly [string, TableAccess])[]): TableGrantModel[] {
  const byTable = new Map<string, Set<TableAccess>>();
  for (const [table, access] of entries) {
    const set = byTable.get(table) ?? new Set<TableAccess>();
    set.add(access);
    byTable.set(table, set);
  }
  return [...byTable].map(([table, set]) => {
    const access = (["read", "scan", "write", "put"] as const).filter((a) => set.has(a));
    return {
      table,
      access,
      actions: [...new Set(access.flatMap((a) => TABLE_ACCESS[a]))].sort(),
      onIndexes: access.includes("read") || access.includes("scan"),
    };
  });
}

function emitted(service: string, names: readonly string[]): EmittedMetricsModel {
  return { namespace: METRICS_NAMESPACE, dimensions: { service }, names };
}

function resolveSource(p: PipelineDeclaration, s: StreamSourceDeclaration): SourceModel {
  return {
    table: s.table,
    tableName: p.tables[s.table]!.tableName,
    itemSchema: s.itemSchema,
    changes: s.changes.map((c) => ({
      on: c.on,
      event: c.event,
      ...(c.unlessSealed === undefined ? {} : { unlessSealed: c.unlessSealed }),
    })),
    mapping: resolveMappingSettings(s),
  };
}

function resolveFanOut(p: PipelineDeclaration, limits: Limits): FanOutModel {
  return {
    limits,
    service: FAN_OUT_SERVICE,
    functionName: `${p.name}-${FAN_OUT_SERVICE}`,
    handler: p.fanOut.handler,
    description: "Publishes each change of the source tables to the bus as a domain event",
    timeoutSeconds: p.fanOut.timeoutSeconds,
    memorySize: p.fanOut.memorySize,
    tables: grants([[p.fanOut.setAsideTable, "put"]]),
    metrics: emitted(FAN_OUT_SERVICE, Object.values(FanOutMetrics)),
    configVariable: configVariable(FAN_OUT_SERVICE),
    setAsideTable: p.fanOut.setAsideTable,
    maxDepth: p.fanOut.maxDepth,
    sources: p.sources.map((s) => resolveSource(p, s)),
    onFailureRetentionDays: p.fanOut.onFailureRetentionDays ?? DEFAULT_ON_FAILURE_RETENTION_DAYS,
  };
}

function resolveConsumer(p: PipelineDeclaration, c: ConsumerDeclaration): ConsumerModel {
  const setAside = p.fanOut.setAsideTable;
  return {
    service: c.name,
    functionName: `${p.name}-${c.name}`,
    handler: c.handler,
    description: c.description,
    timeoutSeconds: c.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    memorySize: c.memorySize ?? DEFAULT_MEMORY_MB,
    ...(c.reservedConcurrency === undefined ? {} : { reservedConcurrency: c.reservedConcurrency }),
    // A consumer writing a table also reads it: its conditional writes compare against the item.
    tables: grants([
      ...c.reads.map((t) => [t, "read"] as const),
      ...c.writes.flatMap((t) => [[t, "read"] as const, [t, "write"] as const]),
      ...(c.writes.includes(setAside) ? [] : [[setAside, "put"] as const]),
    ]),
    metrics: emitted(c.name, Object.values(ConsumerMetrics)),
    configVariable: configVariable(c.name),
    name: c.name,
    events: c.events,
    reads: c.reads,
    writes: c.writes,
    setAsideTable: setAside,
    tombstoneRetentionSeconds: p.tombstoneRetentionSeconds,
    aggregateShards: c.aggregateShards ?? DEFAULT_AGGREGATE_SHARDS,
    rule: { name: ruleName(p, c), pattern: rulePattern(c) },
    targetRetry: resolveTargetRetry(c),
    asyncInvoke: resolveAsyncInvoke(c),
  };
}

function resolveApi(p: PipelineDeclaration): ApiModel {
  return {
    service: API_SERVICE,
    functionName: `${p.name}-${API_SERVICE}`,
    handler: p.api.handler,
    description: "Producers' HTTP API: validates and writes items to the source tables",
    timeoutSeconds: p.api.timeoutSeconds,
    memorySize: p.api.memorySize,
    tables: grants(Object.entries(p.api.tables).flatMap(([t, access]) => access.map((a) => [t, a] as const))),
    metrics: emitted(API_SERVICE, []),
    configVariable: configVariable(API_SERVICE),
    publicRoutes: apiRoutes
      .filter((r) => r.public === true && r.method === "GET")
      .map((r) => ({ method: "GET" as const, path: r.path })),
    maxBodyBytes: p.api.maxBodyBytes,
    throttling: { ...p.api.throttling },
    idempotencyTtlSeconds: p.api.idempotencyTtlSeconds,
  };
}

/** Freezes the model's own objects; domain events (with their zod schemas) are shared, left as they are. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value) && !("detailSchema" in value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Checks a pipeline declaration once (every check `cdk synth` and `npm start` rely on), fills in
 * every default once, and returns the frozen model both the CDK app and the local runtime are
 * built from.
 *
 * @example
 * const model = resolvePipeline(pipeline);
 * model.consumers[0].timeoutSeconds; // 30 when the declaration leaves it out
 * @throws {DeclarationError} naming the field, the value given and the fix
 */
export function resolvePipeline(declaration: PipelineDeclaration): PipelineModel {
  const p = validatePipeline(declaration);
  validateHandlers(p, PROJECT_ROOT);
  const tables = Object.fromEntries(Object.entries(p.tables).map(([k, t]) => [k, resolveTable(k, t)]));
  const limits = resolveLimits(p.limits);
  const fanOut = resolveFanOut(p, limits);
  const consumers = p.consumers.map((c) => resolveConsumer(p, c));
  const api = resolveApi(p);
  const monitoring = resolveMonitoring({ name: p.name, alarms: p.alarms, tables, fanOut, consumers });
  return deepFreeze({
    name: p.name,
    metricsNamespace: METRICS_NAMESPACE,
    tables,
    bus: {
      name: p.bus.name,
      archiveRetentionDays: p.bus.archiveRetentionDays ?? DEFAULT_ARCHIVE_RETENTION_DAYS,
    },
    fanOut,
    consumers,
    limits,
    api,
    tombstoneRetentionSeconds: p.tombstoneRetentionSeconds,
    setAside: { table: p.fanOut.setAsideTable, kinds: SetAsideKinds, reasonCodes: SetAsideReasonCodes },
    monitoring,
  });
}

/** Every function of the model: the fan-out, the consumers, the API. */
export function functionsOf(model: PipelineModel): readonly FunctionModel[] {
  return [model.fanOut, ...model.consumers, model.api];
}
