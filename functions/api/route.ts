import type { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import type { ApiConfig } from "#schemas/function-config.ts";

/** Physical table names the API uses, by their declared key (`RIPPLE_CONFIG_API`'s `tables`). */
export interface ApiTables {
  readonly aggregates: string;
  readonly parkingData: string;
  readonly carbonUsers: string;
  readonly carbonEntries: string;
  readonly carbonGoals: string;
  readonly carbonAchievements: string;
  readonly pets: string;
  readonly storedEvents: string;
  readonly carts: string;
  readonly counters: string;
  readonly idempotency: string;
}

/** The API's limits, from its configuration (`RIPPLE_CONFIG_API`). */
export type ApiLimits = Omit<ApiConfig, "tables">;

/** What every route works with: one DynamoDB client, the table names, a clock and the logger. */
export interface ApiDeps {
  readonly client: DynamoDBClient;
  readonly tables: ApiTables;
  readonly logger: Logger;
  /** Body size, Idempotency-Key lifetime and timeout, from the API's configuration. */
  readonly limits: ApiLimits;
  /** Clock; tests and benchmarks may pin it. */
  readonly now: () => Date;
}

/**
 * What a route may keep under its request's Idempotency-Key, so that a run that resumes a request
 * whose first run stopped between its write and its answer finds the write instead of making it
 * twice. Without a key, `resumed` is false, `value` chooses afresh and `digest` is undefined.
 */
export interface Once {
  /** True when an earlier run of this request may have written already. */
  readonly resumed: boolean;
  /**
   * A short digest of the request's key, for a route that marks the items it writes with the
   * requests that wrote them (a read-modify-write item, where a value alone cannot tell).
   */
  readonly digest: string | undefined;
  /**
   * A value the request chooses (a generated id, a timestamp): the first run's choice is kept with
   * the key before it is used, and a resumed run gets that same choice back.
   */
  value(name: string, choose: () => string | Promise<string>): Promise<string>;
}

/** Methods the API routes on. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a route's handler is given: its parsed, validated inputs and the shared dependencies. */
export interface RouteContext<Params, Query, Body> {
  readonly params: Params;
  readonly query: Query;
  /** The query string's parameters as sent, before validation normalised them (for error messages). */
  readonly rawQuery: Readonly<Record<string, string>>;
  readonly body: Body;
  readonly deps: ApiDeps;
  readonly requestId: string;
  /** What the request keeps under its Idempotency-Key, so a resumed run finds its own write. */
  readonly once: Once;
}

/** What a route's handler returns; the body is written by `stringifyJson` (exact decimals). */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One documented response of a route, for the OpenAPI document. */
export interface RouteResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
}

/** A route: method, path template, the schemas its inputs must pass, and the function that serves it. */
export interface RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: HttpMethod;
  /** Path template with `{name}` segments, as OpenAPI writes it. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Path parameters; a strict object whose keys are the template's `{name}`s. */
  readonly params?: P;
  /** Query parameters (strings in); a strict object, so unknown parameters are refused. */
  readonly query?: Q;
  /** JSON body; absent means the route takes no body. */
  readonly body?: B;
  /** Whether the body may be left out entirely. @default false */
  readonly bodyOptional?: boolean;
  /** Serve without a token (health, OpenAPI document). @default false */
  readonly public?: boolean;
  readonly responses: Readonly<Record<number, RouteResponse>>;
  handle(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<RouteResult>;
}

/** A route with its types erased, as the router holds it. */
export type AnyRoute = RouteDefinition<z.ZodType, z.ZodType, z.ZodType>;

const NO_PARAMS = z.strictObject({});

/** Declares a route, keeping its handler's parameter types tied to its schemas. */
export function defineRoute<
  P extends z.ZodType = typeof NO_PARAMS,
  Q extends z.ZodType = typeof NO_PARAMS,
  B extends z.ZodType = z.ZodUndefined,
>(route: RouteDefinition<P, Q, B>): AnyRoute {
  return {
    ...route,
    params: route.params ?? NO_PARAMS,
    query: route.query ?? NO_PARAMS,
  } as unknown as AnyRoute;
}
