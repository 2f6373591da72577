import { getStringFromEnv, tableNameFromEnv } from "#commons/env.ts";
import { type Limits, resolveLimits } from "#commons/limits.ts";
import type { PipelineDeclaration, StreamSourceDeclaration } from "#infra/declaration.ts";
import { pipeline as declaredPipeline } from "#infra/pipeline.ts";
import { tableOf } from "#infra/topology.ts";

/** A declared stream source, found by the physical name of its table. */
export interface ResolvedSource {
  readonly source: StreamSourceDeclaration;
  /** Table name as declared (what events carry in `metadata.table`). */
  readonly declaredName: string;
}

/** What the fan-out needs to know, resolved once per module. */
export interface FanOutConfig {
  readonly busName: string;
  /** Physical name of the set-aside table. */
  readonly setAsideTableName: string;
  readonly maxDepth: number;
  /** Sources by the physical table name their stream ARNs carry. */
  readonly sources: ReadonlyMap<string, ResolvedSource>;
  /** Payload limits: what is packed into one PutEvents request, and what is set aside as too large. */
  readonly limits: Limits;
}

/**
 * Resolves the fan-out's configuration from the declaration and a way to find each table's
 * physical name (in AWS names are prefixed per stage; locally they are the declared names).
 */
export function resolveFanOutConfig(options: {
  readonly busName: string;
  readonly physicalName?: (tableKey: string) => string;
  readonly pipeline?: PipelineDeclaration;
}): FanOutConfig {
  const p = options.pipeline ?? declaredPipeline;
  const physicalName = options.physicalName ?? ((key: string) => tableOf(p, key).tableName);
  const sources = new Map<string, ResolvedSource>();
  for (const source of p.sources) {
    sources.set(physicalName(source.table), { source, declaredName: tableOf(p, source.table).tableName });
  }
  return {
    busName: options.busName,
    setAsideTableName: physicalName(p.fanOut.setAsideTable),
    maxDepth: p.fanOut.maxDepth,
    sources,
    limits: resolveLimits(p.limits),
  };
}

/**
 * Reads the fan-out's configuration from the environment the CDK app and the local runtime set:
 * `EVENT_BUS_NAME` and `TABLE_<KEY>` for every source table and the set-aside table.
 *
 * @throws {MissingConfigurationError} naming the first variable that is not set.
 */
export function loadFanOutConfig(env: NodeJS.ProcessEnv = process.env): FanOutConfig {
  return resolveFanOutConfig({
    busName: getStringFromEnv("EVENT_BUS_NAME", env),
    physicalName: (key) => tableNameFromEnv(key, env),
  });
}
