import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ChangeKind, ChangeKindSchema } from "#schemas/domain-events.ts";
import { ItemSchemas, isItemSchemaName } from "#schemas/items.ts";
import {
  type ConsumerDeclaration,
  DEFAULT_AGGREGATE_SHARDS,
  type EventSourceMappingSettings,
  MAX_AGGREGATE_SHARDS,
  type PipelineDeclaration,
} from "./declaration.ts";
import { DeclarationError, FeedbackLoopError, MissingHandlerError } from "./errors.ts";
import {
  eventsForChange,
  resolveAsyncInvoke,
  resolveMappingSettings,
  resolveTargetRetry,
} from "./topology.ts";

function checkRange(
  what: string,
  value: number | undefined,
  min: number,
  max: number,
  allowed: number[] = [],
): void {
  if (value === undefined || allowed.includes(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const extra = allowed.length > 0 ? ` (or ${allowed.join(", ")})` : "";
    throw new DeclarationError(
      `${what} must be an integer between ${min} and ${max} inclusive${extra} (given ${value})`,
    );
  }
}

/** Most filters Lambda takes on one event source mapping by default (a quota increase allows 10). */
export const MAX_FILTER_PATTERNS = 5;

/** Longest filter pattern Lambda takes, in characters of its JSON (`Filter.Pattern`). */
export const MAX_FILTER_PATTERN_LENGTH = 4096;

/** Checks Lambda's limits on a stream event source mapping's settings. */
export function validateMappingSettings(where: string, s: EventSourceMappingSettings): void {
  checkRange(`${where}: batchSize`, s.batchSize, 1, 10_000);
  checkRange(`${where}: maximumBatchingWindowInSeconds`, s.maximumBatchingWindowInSeconds, 0, 300);
  checkRange(`${where}: maximumRetryAttempts`, s.maximumRetryAttempts, 0, 10_000, [-1]);
  checkRange(`${where}: maximumRecordAgeInSeconds`, s.maximumRecordAgeInSeconds, 60, 604_800, [-1]);
  checkRange(`${where}: parallelizationFactor`, s.parallelizationFactor, 1, 10);
  const patterns = s.filterPatterns ?? [];
  if (patterns.length > MAX_FILTER_PATTERNS) {
    throw new DeclarationError(
      `${where}: filterPatterns holds ${patterns.length} patterns, over the ${MAX_FILTER_PATTERNS} filters Lambda takes per event source mapping by default (given ${patterns.length}); merge patterns that differ in one field into one (a field's list of values matches any of them), or request Lambda's quota increase to 10 and raise MAX_FILTER_PATTERNS`,
    );
  }
  for (const [i, pattern] of patterns.entries()) {
    if (
      typeof pattern !== "object" ||
      pattern === null ||
      Array.isArray(pattern) ||
      Object.keys(pattern).length === 0
    ) {
      throw new DeclarationError(
        `${where}: filterPatterns[${i}] must be a non-empty object such as {"eventName":["INSERT"]} (given ${JSON.stringify(pattern)}); an empty pattern would match nothing in AWS`,
      );
    }
    // The CDK and the local poller both write a pattern as JSON.stringify does; Lambda counts that text.
    const length = JSON.stringify(pattern).length;
    if (length > MAX_FILTER_PATTERN_LENGTH) {
      throw new DeclarationError(
        `${where}: filterPatterns[${i}] is ${length} characters as JSON, over the ${MAX_FILTER_PATTERN_LENGTH} Lambda takes for one filter pattern (given ${JSON.stringify(pattern).slice(0, 80)}…); shorten its value lists or split it into several patterns`,
      );
    }
  }
}

/** Checks Lambda's limits on a function's timeout and memory (the same message in AWS and locally). */
export function validateFunctionSettings(
  service: string,
  timeoutSeconds: number | undefined,
  memorySize: number | undefined,
): void {
  if (
    timeoutSeconds !== undefined &&
    !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= 900)
  ) {
    throw new DeclarationError(
      `${service}: timeoutSeconds must be an integer between 1 and 900 inclusive (given ${timeoutSeconds})`,
    );
  }
  if (
    memorySize !== undefined &&
    !(Number.isInteger(memorySize) && memorySize >= 128 && memorySize <= 10_240)
  ) {
    throw new DeclarationError(
      `${service}: memorySize must be an integer between 128 and 10240 inclusive (given ${memorySize})`,
    );
  }
}

/** Refuses a declared handler module that does not exist under the project root. */
export function validateHandlers(p: PipelineDeclaration, projectRoot: string): void {
  const handlers: [string, string][] = [
    ["fan-out", p.fanOut.handler],
    ...p.consumers.map((c): [string, string] => [c.name, c.handler]),
    ["api", p.api.handler],
  ];
  for (const [service, handler] of handlers) {
    const entry = join(projectRoot, handler);
    if (!existsSync(entry)) {
      throw new MissingHandlerError(
        `handler "${handler}" of ${service} does not exist (looked for ${entry}); write it or correct the path in infra/pipeline.ts`,
      );
    }
  }
}

/** Checks the bus's archive retention and the API's throttling, which only AWS enforces. */
function validateBusAndApi(p: PipelineDeclaration): void {
  const retentionDays = p.bus.archiveRetentionDays;
  if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays >= 0)) {
    throw new DeclarationError(
      `bus.archiveRetentionDays must be a whole number of days, 0 meaning forever (given ${retentionDays})`,
    );
  }
  const onFailureDays = p.fanOut.onFailureRetentionDays;
  if (onFailureDays !== undefined && !(Number.isInteger(onFailureDays) && onFailureDays >= 1)) {
    throw new DeclarationError(
      `fanOut.onFailureRetentionDays must be a whole number of days, at least 1 (given ${onFailureDays}); S3 expires the on-failure bucket's objects after it, e.g. onFailureRetentionDays: 14`,
    );
  }
  const { rateLimit, burstLimit } = p.api.throttling;
  if (!(rateLimit > 0 && Number.isInteger(burstLimit) && burstLimit > 0)) {
    throw new DeclarationError(
      `api.throttling needs a positive rateLimit and a positive whole burstLimit (given rateLimit ${rateLimit}, burstLimit ${burstLimit})`,
    );
  }
  validateFunctionSettings("api", p.api.timeoutSeconds, p.api.memorySize);
  validateFunctionSettings("fan-out", p.fanOut.timeoutSeconds, p.fanOut.memorySize);
}

/** Throws unless `key` names a declared table, listing the declared keys. */
type RequireTable = (where: string, key: string) => void;

function tableRequirer(p: PipelineDeclaration): RequireTable {
  const tableKeys = new Set(Object.keys(p.tables));
  return (where, key) => {
    if (!tableKeys.has(key)) {
      throw new DeclarationError(
        `${where} names table "${key}", which is not declared; declare it under tables or use one of: ${[...tableKeys].join(", ")}`,
      );
    }
  };
}

/** Table names are unique and valid DynamoDB names. */
function validateTables(p: PipelineDeclaration): void {
  const names = new Set<string>();
  for (const [key, t] of Object.entries(p.tables)) {
    if (names.has(t.tableName))
      throw new DeclarationError(
        `tables.${key}: tableName "${t.tableName}" is used twice; table names must be unique`,
      );
    names.add(t.tableName);
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(t.tableName)) {
      throw new DeclarationError(
        `tables.${key}: tableName "${t.tableName}" is not a valid DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)`,
      );
    }
  }
}

/** One source per streamed table, Lambda's mapping limits, a known item schema, each change mapped once. */
function validateSources(p: PipelineDeclaration, requireTable: RequireTable): void {
  const seenSources = new Set<string>();
  for (const s of p.sources) {
    const where = `sources[${s.table}]`;
    requireTable(where, s.table);
    if (seenSources.has(s.table))
      throw new DeclarationError(`${where} is declared twice; give each table one source entry`);
    seenSources.add(s.table);
    if (p.tables[s.table]?.stream !== "NEW_IMAGE") {
      throw new DeclarationError(
        `${where}: table "${s.table}" has no NEW_IMAGE stream; set stream: "NEW_IMAGE" on it`,
      );
    }
    validateMappingSettings(where, s);
    if (!isItemSchemaName(s.itemSchema)) {
      throw new DeclarationError(
        `${where}: itemSchema "${String(s.itemSchema)}" names no schema in schemas/items.ts; use one of: ${Object.keys(ItemSchemas).join(", ")}`,
      );
    }
    const kinds = new Set<ChangeKind>();
    for (const c of s.changes) {
      for (const kind of c.on) {
        if (kinds.has(kind))
          throw new DeclarationError(
            `${where}: change ${kind} is mapped twice; map each change kind to one event`,
          );
        kinds.add(kind);
      }
    }
  }
}

/** A sealed change mapping: an image to check, and a consumer that writes the seal on that table. */
function validateSeal(
  p: PipelineDeclaration,
  where: string,
  table: string,
  c: PipelineDeclaration["sources"][number]["changes"][number],
): void {
  const seal = c.unlessSealed!;
  const other = c.on.filter((kind) => kind !== "INSERT" && kind !== "MODIFY");
  if (other.length > 0) {
    throw new DeclarationError(
      `${where}: unlessSealed needs the item's new image, which ${other.join(" and ")} records lack; map only INSERT and MODIFY with a seal`,
    );
  }
  const consumer = p.consumers.find((x) => x.name === seal.consumer);
  if (consumer === undefined || !consumer.writes.includes(table)) {
    throw new DeclarationError(
      `${where}: unlessSealed names consumer "${seal.consumer}", which ${consumer === undefined ? "is not declared" : `does not write "${table}"`}; name the consumer that keeps its attributes on these items (e.g. "carbon-stats")`,
    );
  }
  if (seal.attribute.length === 0 || seal.covers.length === 0 || seal.covers.includes(seal.attribute)) {
    throw new DeclarationError(
      `${where}: unlessSealed must name a seal attribute and at least one other attribute it covers (given ${JSON.stringify({ attribute: seal.attribute, covers: seal.covers })}); e.g. { attribute: "statsSeal", covers: ["stats", "statsVersion"] }`,
    );
  }
}

/** EventBridge's and Lambda's limits on one consumer's retries, concurrency and function. */
function validateConsumerLimits(c: ConsumerDeclaration): void {
  const where = `consumers[${c.name}]`;
  checkRange(`${where}: retry.maximumEventAgeInSeconds`, c.retry?.maximumEventAgeInSeconds, 60, 86_400);
  checkRange(`${where}: retry.maximumRetryAttempts`, c.retry?.maximumRetryAttempts, 0, 185);
  validateFunctionSettings(c.name, c.timeoutSeconds, c.memorySize);
  checkRange(`${where}: reservedConcurrency`, c.reservedConcurrency, 1, 1000);
  const shards = c.aggregateShards;
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1 && shards <= MAX_AGGREGATE_SHARDS)) {
    throw new DeclarationError(
      `${where}: aggregateShards must be a whole number of shard items from 1 to ${MAX_AGGREGATE_SHARDS} (given ${shards}), e.g. aggregateShards: ${DEFAULT_AGGREGATE_SHARDS}; set it in infra/pipeline.ts, or leave it out for ${DEFAULT_AGGREGATE_SHARDS}`,
    );
  }
  checkRange(`${where}: asyncInvoke.maximumRetryAttempts`, c.asyncInvoke?.maximumRetryAttempts, 0, 2);
  checkRange(
    `${where}: asyncInvoke.maximumEventAgeInSeconds`,
    c.asyncInvoke?.maximumEventAgeInSeconds,
    60,
    21_600,
  );
}

/** Unique kebab-case names, at least one event, declared tables, and the limits of each. */
function validateConsumers(p: PipelineDeclaration, requireTable: RequireTable): void {
  const consumerNames = new Set<string>();
  for (const c of p.consumers) {
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(c.name)) {
      throw new DeclarationError(
        `consumers: name "${c.name}" must be kebab-case (a-z, 0-9, -) and at most 41 characters`,
      );
    }
    if (consumerNames.has(c.name)) throw new DeclarationError(`consumers: name "${c.name}" is used twice`);
    consumerNames.add(c.name);
    if (c.events.length === 0)
      throw new DeclarationError(
        `consumers[${c.name}]: events is empty; subscribe it to at least one domain event`,
      );
    for (const t of [...c.reads, ...c.writes]) requireTable(`consumers[${c.name}]`, t);
    for (const t of Object.keys(c.writeChanges ?? {})) {
      if (!c.writes.includes(t)) {
        throw new DeclarationError(
          `consumers[${c.name}]: writeChanges names table "${t}", which is not in its writes; add it to writes or drop it from writeChanges`,
        );
      }
    }
    validateConsumerLimits(c);
  }
}

/**
 * Checks a pipeline declaration eagerly and returns it unchanged, so a mistake fails at load
 * time with a message naming the field, the value and the fix. `resolvePipeline` runs it; both
 * `cdk synth` and `npm start` go through that one call.
 */
export function validatePipeline<P extends PipelineDeclaration>(p: P): P {
  const requireTable = tableRequirer(p);
  validateTables(p);
  requireTable("fanOut.setAsideTable", p.fanOut.setAsideTable);
  checkRange("fanOut.maxDepth", p.fanOut.maxDepth, 1, 10);
  validateSources(p, requireTable);
  validateConsumers(p, requireTable);
  // After the consumers: a seal names one of them.
  for (const s of p.sources) {
    for (const c of s.changes) {
      if (c.unlessSealed !== undefined)
        validateSeal(p, `sources[${s.table}].changes[${c.event.detailType}]`, s.table, c);
    }
  }
  const redelivery = longestRedeliverySeconds(p);
  if (!(Number.isInteger(p.tombstoneRetentionSeconds) && p.tombstoneRetentionSeconds > redelivery)) {
    throw new DeclarationError(
      `tombstoneRetentionSeconds must be a whole number of seconds longer than the longest automatic redelivery, ${redelivery} s (stream record age + EventBridge event age + Lambda's asynchronous event age) (given ${p.tombstoneRetentionSeconds}); raise it, or shorten those ages`,
    );
  }
  for (const t of Object.keys(p.api.tables)) requireTable("api.tables", t);
  validateBusAndApi(p);
  assertNoFeedbackLoop(p);
  return p;
}

/** Stream records live 24 h: an unlimited record age means at most that. */
const STREAM_RETENTION_SECONDS = 86_400;

/**
 * The longest an event can take to reach a consumer without an operator: the oldest record a
 * mapping still delivers, plus the longest EventBridge keeps retrying, plus the longest Lambda
 * keeps it queued for asynchronous retries.
 */
export function longestRedeliverySeconds(p: PipelineDeclaration): number {
  const recordAge = Math.max(
    0,
    ...p.sources.map((s) => {
      const age = resolveMappingSettings(s).maximumRecordAgeInSeconds;
      return age === -1 ? STREAM_RETENTION_SECONDS : Math.min(age, STREAM_RETENTION_SECONDS);
    }),
  );
  const eventAge = Math.max(0, ...p.consumers.map((c) => resolveTargetRetry(c).maximumEventAgeInSeconds));
  const asyncAge = Math.max(0, ...p.consumers.map((c) => resolveAsyncInvoke(c).maximumEventAgeInSeconds));
  return recordAge + eventAge + asyncAge;
}

/**
 * Refuses a declaration in which a consumer's writes could reach it again: consumer → table it
 * writes → events that table's changes become → consumers subscribed to them → … .
 */
export function assertNoFeedbackLoop(p: PipelineDeclaration): void {
  // A change mapped `unlessSealed` by the writer itself becomes no event when that writer makes
  // it: its writes always carry a matching seal (functions/commons/seal.ts).
  const eventsOf = (table: string, kinds: readonly ChangeKind[], writer: string): string[] => {
    const source = p.sources.find((s) => s.table === table);
    if (source === undefined) return [];
    const mappings = { changes: source.changes.filter((c) => c.unlessSealed?.consumer !== writer) };
    return kinds.flatMap((kind) => eventsForChange(mappings, kind).map((e) => `${e.source}/${e.detailType}`));
  };
  const next = (consumerName: string): string[] => {
    const consumer = p.consumers.find((c) => c.name === consumerName);
    if (consumer === undefined) return [];
    const produced = new Set(
      consumer.writes.flatMap((t) =>
        eventsOf(t, consumer.writeChanges?.[t] ?? ChangeKindSchema.options, consumer.name),
      ),
    );
    return p.consumers
      .filter((c) => c.events.some((e) => produced.has(`${e.source}/${e.detailType}`)))
      .map((c) => c.name);
  };
  for (const start of p.consumers) {
    const stack: string[][] = [[start.name]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const path = stack.pop()!;
      for (const n of next(path[path.length - 1]!)) {
        if (n === start.name) {
          throw new FeedbackLoopError(
            `consumers form a feedback loop: ${[...path, n].join(" → ")}; stop one of them writing a table whose events it (indirectly) consumes, or map that change to no event`,
          );
        }
        if (!seen.has(n)) {
          seen.add(n);
          stack.push([...path, n]);
        }
      }
    }
  }
}
