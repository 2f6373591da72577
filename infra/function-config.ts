import type { ApiConfig, ConsumerConfig, FanOutConfigJson } from "#schemas/function-config.ts";
import { type FanOutConfig, fanOutConfigFrom } from "../functions/fan-out/config.ts";
import type { PipelineDeclaration } from "./declaration.ts";
import type { ApiModel, ConsumerModel, FanOutModel, FunctionModel, PipelineModel } from "./model.ts";
import { resolvePipeline } from "./model.ts";
import { model as declaredModel } from "./pipeline.ts";

/**
 * Renders each function's configuration (`RIPPLE_CONFIG_<SERVICE>`) from the resolved model and
 * the physical names of a deployment: the CDK app passes the stage's names, the local runtime the
 * declared ones. Handlers read it with the schemas of `schemas/function-config.ts`.
 */

/** Physical names of one deployment's resources. */
export interface PhysicalNames {
  /** Physical name of a declared table, by key. */
  readonly table: (key: string) => string;
  readonly busName: string;
}

/** The names the model declares, unprefixed: what the local runtime uses. */
export function declaredNames(model: PipelineModel): PhysicalNames {
  return { table: (key) => model.tables[key]!.tableName, busName: model.bus.name };
}

export function fanOutConfig(fanOut: FanOutModel, names: PhysicalNames): FanOutConfigJson {
  return {
    busName: names.busName,
    setAsideTableName: names.table(fanOut.setAsideTable),
    maxDepth: fanOut.maxDepth,
    limits: { ...fanOut.limits },
    sources: fanOut.sources.map((s) => ({
      tableName: names.table(s.table),
      declaredName: s.tableName,
      itemSchema: s.itemSchema,
      changes: s.changes.map((c) => ({
        on: [...c.on],
        event: c.event.detailType as FanOutConfigJson["sources"][number]["changes"][number]["event"],
        ...(c.unlessSealed === undefined
          ? {}
          : { unlessSealed: { attribute: c.unlessSealed.attribute, covers: [...c.unlessSealed.covers] } }),
      })),
    })),
  };
}

export function consumerConfig(consumer: ConsumerModel, names: PhysicalNames): ConsumerConfig {
  return {
    name: consumer.name,
    events: consumer.events.map((e) => e.detailType as ConsumerConfig["events"][number]),
    tables: Object.fromEntries(consumer.tables.map((g) => [g.table, names.table(g.table)])),
    setAsideTableName: names.table(consumer.setAsideTable),
    tombstoneRetentionSeconds: consumer.tombstoneRetentionSeconds,
    aggregateShards: consumer.aggregateShards,
  };
}

export function apiConfig(api: ApiModel, names: PhysicalNames): ApiConfig {
  return {
    tables: Object.fromEntries(api.tables.map((g) => [g.table, names.table(g.table)])) as ApiConfig["tables"],
    maxBodyBytes: api.maxBodyBytes,
    idempotencyTtlSeconds: api.idempotencyTtlSeconds,
    timeoutSeconds: api.timeoutSeconds,
  };
}

/** The configuration of any function of the model. */
export function functionConfig(
  model: PipelineModel,
  fn: FunctionModel,
  names: PhysicalNames,
): FanOutConfigJson | ConsumerConfig | ApiConfig {
  if (fn === model.fanOut) return fanOutConfig(model.fanOut, names);
  if (fn === model.api) return apiConfig(model.api, names);
  const consumer = model.consumers.find((c) => c === fn);
  if (consumer === undefined) throw new Error(`${fn.service} is no function of this model`);
  return consumerConfig(consumer, names);
}

/** The variable carrying a function's configuration, with its JSON value. */
export function functionEnvironment(
  model: PipelineModel,
  fn: FunctionModel,
  names: PhysicalNames,
): Record<string, string> {
  return { [fn.configVariable]: JSON.stringify(functionConfig(model, fn, names)) };
}

/**
 * The fan-out's working configuration for a declaration and a way to find each table's physical
 * name, for tools and tests that run the fan-out's code outside a handler (`npm run redrive`).
 */
export function resolveFanOutConfig(options: {
  readonly busName: string;
  readonly physicalName?: (tableKey: string) => string;
  readonly pipeline?: PipelineDeclaration;
}): FanOutConfig {
  const model = options.pipeline === undefined ? declaredModel : resolvePipeline(options.pipeline);
  const table = options.physicalName ?? declaredNames(model).table;
  return fanOutConfigFrom(fanOutConfig(model.fanOut, { table, busName: options.busName }));
}
