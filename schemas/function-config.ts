import * as z from "zod";
import { ChangeKindSchema, DomainEvents } from "./domain-events.ts";
import { ItemSchemas } from "./items.ts";
import { ResolvedLimitsSchema } from "./limits.ts";

/**
 * What each deployed function is told about the pipeline, as one JSON environment variable set by
 * the CDK app and the local runtime from the resolved model (`infra/model.ts`). Handlers parse it
 * with these schemas at module load; they never import the declaration.
 */

/** Name of the variable carrying a function's configuration, e.g. `fan-out` → `RIPPLE_CONFIG_FAN_OUT`. */
export function configVariable(service: string): string {
  return `RIPPLE_CONFIG_${service.replace(/[^a-zA-Z0-9]+/g, "_").toUpperCase()}`;
}

const PhysicalNameSchema = z.string().min(3).max(255);
const DomainEventNameSchema = z.enum(Object.keys(DomainEvents) as [keyof typeof DomainEvents]);
const ItemSchemaNameSchema = z.enum(Object.keys(ItemSchemas) as [keyof typeof ItemSchemas]);

/** Physical table names by declared key (`aggregates` → `prod-ripple-aggregates`). */
export const TableNamesSchema = z.record(z.string(), PhysicalNameSchema);

/** One stream source as the fan-out needs it. */
export const FanOutSourceConfigSchema = z.object({
  /** Physical name of the table, as its stream ARN carries it. */
  tableName: PhysicalNameSchema,
  /** Name of the table as declared (what events carry in `metadata.table`). */
  declaredName: PhysicalNameSchema,
  /** Key of the item's schema in `ItemSchemas`. */
  itemSchema: ItemSchemaNameSchema,
  changes: z.array(
    z.object({
      on: z.array(ChangeKindSchema).min(1),
      event: DomainEventNameSchema,
      /** Publish only when the item's consumer-owned attributes are not as sealed (`seal.ts`). */
      unlessSealed: z
        .object({ attribute: z.string().min(1), covers: z.array(z.string().min(1)).min(1) })
        .optional(),
    }),
  ),
});
export type FanOutSourceConfig = z.infer<typeof FanOutSourceConfigSchema>;

/** The fan-out's configuration (`RIPPLE_CONFIG_FAN_OUT`). */
export const FanOutConfigSchema = z.object({
  busName: z.string().min(1),
  /** Physical name of the set-aside table. */
  setAsideTableName: PhysicalNameSchema,
  maxDepth: z.number().int().min(1),
  sources: z.array(FanOutSourceConfigSchema),
  /** Payload limits the fan-out packs and sets aside by (`functions/commons/limits.ts`). */
  limits: ResolvedLimitsSchema,
});
export type FanOutConfigJson = z.infer<typeof FanOutConfigSchema>;

/** A consumer's configuration (`RIPPLE_CONFIG_<NAME>`). */
export const ConsumerConfigSchema = z.object({
  name: z.string().min(1),
  /** Detail-types of the domain events it subscribes to. */
  events: z.array(DomainEventNameSchema).min(1),
  /** Physical names of the tables it reads and writes, by declared key. */
  tables: TableNamesSchema,
  /** Physical name of the set-aside table, where it puts events it refuses. */
  setAsideTableName: PhysicalNameSchema,
  tombstoneRetentionSeconds: z.number().int().positive(),
  /** Shard items per hot aggregate (the declaration's `aggregateShards`). */
  aggregateShards: z.number().int().min(1),
});
export type ConsumerConfig = z.infer<typeof ConsumerConfigSchema>;

/** The producers' API's configuration (`RIPPLE_CONFIG_API`). */
export const ApiConfigSchema = z.object({
  tables: z.object({
    aggregates: PhysicalNameSchema,
    parkingData: PhysicalNameSchema,
    carbonUsers: PhysicalNameSchema,
    carbonEntries: PhysicalNameSchema,
    carbonGoals: PhysicalNameSchema,
    carbonAchievements: PhysicalNameSchema,
    pets: PhysicalNameSchema,
    storedEvents: PhysicalNameSchema,
    carts: PhysicalNameSchema,
    counters: PhysicalNameSchema,
    idempotency: PhysicalNameSchema,
  }),
  /** Requests with a larger body are refused with 413. */
  maxBodyBytes: z.number().int().positive(),
  /** How long an Idempotency-Key is remembered, seconds. */
  idempotencyTtlSeconds: z.number().int().positive(),
  /** The function's timeout: an unfinished Idempotency-Key record older than this is abandoned. */
  timeoutSeconds: z.number().int().positive(),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;
export type ApiTableKey = keyof ApiConfig["tables"];
