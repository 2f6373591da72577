import type {
  ConsumerDeclaration,
  EventSourceMappingSettings,
  PipelineDeclaration,
  StreamSourceDeclaration,
  TableDeclaration,
} from "./declaration.ts";
import { DeclarationError } from "./errors.ts";

/**
 * What both the CDK app and the local runtime derive from the declaration, derived once here.
 */

/** Mapping settings with Lambda's defaults filled in. */
export type ResolvedMappingSettings = Required<Omit<EventSourceMappingSettings, "filterPatterns">> & {
  readonly filterPatterns: readonly object[];
};

export function resolveMappingSettings(s: EventSourceMappingSettings): ResolvedMappingSettings {
  return {
    batchSize: s.batchSize ?? 100,
    maximumBatchingWindowInSeconds: s.maximumBatchingWindowInSeconds ?? 0,
    bisectBatchOnFunctionError: s.bisectBatchOnFunctionError ?? true,
    maximumRetryAttempts: s.maximumRetryAttempts ?? 10,
    maximumRecordAgeInSeconds: s.maximumRecordAgeInSeconds ?? 3600,
    parallelizationFactor: s.parallelizationFactor ?? 1,
    startingPosition: s.startingPosition ?? "TRIM_HORIZON",
    reportBatchItemFailures: s.reportBatchItemFailures ?? true,
    filterPatterns: s.filterPatterns ?? [],
  };
}

/** How often and for how long a failed delivery or invocation is tried again. */
export interface RetryLimits {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeInSeconds: number;
}

/** The limits declared, each one left out taken from the service's default. */
function withDefaults(declared: Partial<RetryLimits> | undefined, defaults: RetryLimits): RetryLimits {
  return {
    maximumRetryAttempts: declared?.maximumRetryAttempts ?? defaults.maximumRetryAttempts,
    maximumEventAgeInSeconds: declared?.maximumEventAgeInSeconds ?? defaults.maximumEventAgeInSeconds,
  };
}

/** A consumer's EventBridge target retry policy with EventBridge's defaults filled in. */
export function resolveTargetRetry(consumer: ConsumerDeclaration): RetryLimits {
  return withDefaults(consumer.retry, { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 });
}

/** A consumer's asynchronous-invocation settings with Lambda's defaults filled in. */
export function resolveAsyncInvoke(consumer: ConsumerDeclaration): RetryLimits {
  return withDefaults(consumer.asyncInvoke, { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 });
}

export function tableOf(p: PipelineDeclaration, key: string): TableDeclaration {
  const table = p.tables[key];
  if (table === undefined) throw new DeclarationError(`no table "${key}" is declared`);
  return table;
}

/** Source declaration for a physical table name, or undefined when the table is no source. */
export function sourceByTableName(
  p: PipelineDeclaration,
  tableName: string,
): StreamSourceDeclaration | undefined {
  return p.sources.find((s) => tableOf(p, s.table).tableName === tableName);
}

// One writer for the rules the fan-out applies at run time and the checks apply here.
export { eventsForChange, tableNameFromStreamArn } from "../functions/commons/change-mapping.ts";

/** The EventBridge event pattern of a consumer's rule. */
export function rulePattern(consumer: ConsumerDeclaration): Record<string, unknown> {
  const sources = [...new Set(consumer.events.map((e) => e.source))].sort();
  const detailTypes = [...new Set(consumer.events.map((e) => e.detailType))].sort();
  return {
    source: sources,
    "detail-type": detailTypes,
    ...(consumer.detailFilter === undefined ? {} : { detail: consumer.detailFilter }),
  };
}

/** Rule name of a consumer, identical in AWS and locally. */
export function ruleName(p: PipelineDeclaration, consumer: ConsumerDeclaration): string {
  return `${p.name}-${consumer.name}`;
}

/**
 * Environment variable that carries a table's physical name to a handler, e.g. `carbonUsers` →
 * `TABLE_CARBON_USERS`. The CDK app and the local runtime set it for every table a function uses.
 */
export function tableEnvVar(key: string): string {
  return `TABLE_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** The stages ripple deploys to in AWS; `-c stage=…` picks one, `--stage` names it to the CLIs. */
export const STAGES = ["dev", "prod"] as const;
export type Stage = (typeof STAGES)[number];

/** Physical name of a declared resource in a stage, e.g. `prod-PetStore`. */
export function stageName(stage: Stage, name: string): string {
  return `${stage}-${name}`;
}

/** `true` when `value` names a stage. */
export function isStage(value: unknown): value is Stage {
  return typeof value === "string" && (STAGES as readonly string[]).includes(value);
}
