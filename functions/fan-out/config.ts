import type * as z from "zod";
import { configFromEnv } from "#commons/env.ts";
import type { Limits } from "#commons/limits.ts";
import { FAN_OUT_SERVICE } from "#schemas/contracts.ts";
import type { ChangeKind, DomainEvent } from "#schemas/domain-events.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { type FanOutConfigJson, FanOutConfigSchema } from "#schemas/function-config.ts";
import { ItemSchemas } from "#schemas/items.ts";

/** A stream source as the fan-out works with it: its item schema and change mapping resolved. */
export interface FanOutSource {
  /** Name of the table as declared. */
  readonly table: string;
  readonly itemSchema: z.ZodType;
  readonly changes: readonly {
    readonly on: readonly ChangeKind[];
    readonly event: DomainEvent;
    /** Publish only when the item's consumer-owned attributes are not as sealed (`seal.ts`). */
    readonly unlessSealed?: { readonly attribute: string; readonly covers: readonly string[] };
  }[];
}

/** A stream source, found by the physical name of its table. */
export interface ResolvedSource {
  readonly source: FanOutSource;
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

/** The fan-out's working configuration from its JSON form: schemas and events looked up by name. */
export function fanOutConfigFrom(json: FanOutConfigJson): FanOutConfig {
  const sources = new Map<string, ResolvedSource>();
  for (const s of json.sources) {
    const source: FanOutSource = {
      table: s.declaredName,
      itemSchema: ItemSchemas[s.itemSchema],
      changes: s.changes.map((c) => ({
        on: c.on,
        event: DomainEvents[c.event],
        ...(c.unlessSealed === undefined ? {} : { unlessSealed: c.unlessSealed }),
      })),
    };
    sources.set(s.tableName, { source, declaredName: s.declaredName });
  }
  return {
    busName: json.busName,
    setAsideTableName: json.setAsideTableName,
    maxDepth: json.maxDepth,
    sources,
    limits: json.limits,
  };
}

/**
 * Reads the fan-out's configuration from `RIPPLE_CONFIG_FAN_OUT`, which the CDK app and the local
 * runtime set from the resolved model.
 *
 * @throws {MissingConfigurationError} when the variable is missing or not a valid configuration
 */
export function loadFanOutConfig(env: NodeJS.ProcessEnv = process.env): FanOutConfig {
  return fanOutConfigFrom(configFromEnv(FanOutConfigSchema, FAN_OUT_SERVICE, env));
}
