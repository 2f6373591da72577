import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createLogger } from "#commons/powertools.ts";
import { STORAGE } from "#schemas/api.ts";
import { authenticate, tokenDigest } from "./auth.ts";
import {
  ApiError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./errors.ts";
import { type IdempotencyKey, IdempotencyStore, NO_KEY } from "./idempotency.ts";
import { inexactNumbers, stringifyJson } from "./json.ts";
import type { AnyRoute, ApiDeps, ApiLimits, ApiTables, Once, RouteResult } from "./route.ts";
import { Router } from "./router.ts";
import { routes as allRoutes } from "./routes/index.ts";
import { hasCodeAbove, inexactNumberError, parsePart, readableHeader } from "./validation.ts";

/** The API handler: an API Gateway HTTP API (payload 2.0) event in, a structured result out. */
export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** What the API handler is built from; the handler module fills it from the environment. */
export interface ApiOptions {
  readonly client: DynamoDBClient;
  readonly tables: ApiTables;
  /**
   * Bearer token required when the request carries no authorizer result.
   * @default undefined — only requests admitted by an authorizer (AWS) get through
   */
  readonly token?: string;
  /** @default a Powertools Logger for service "ripple-api" */
  readonly logger?: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Body size, Idempotency-Key lifetime and timeout: the API's configuration, from the model. */
  readonly limits: ApiLimits;
}

const JSON_TYPE = /^application\/(?:json|[\w.+-]+\+json)\s*(?:;|$)/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;
const THROTTLED = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
]);

function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = {};
  if (event.rawQueryString === undefined || event.rawQueryString === "") {
    for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
    return query;
  }
  for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
    if (key in query) {
      throw new ValidationError(`query.${key} is given twice; give it once`, [
        { path: `query.${key}`, value, expected: "one value" },
      ]);
    }
    query[key] = value;
  }
  return query;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The request's JSON body (undefined when there is none), after the size and content-type checks. */
function bodyOf(event: APIGatewayProxyEventV2, route: AnyRoute, maxBodyBytes: number): unknown {
  const raw = event.body ?? "";
  const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > maxBodyBytes) {
    throw new PayloadTooLargeError(
      `body is ${bytes.length} bytes; the limit is ${maxBodyBytes} bytes (the API's maxBodyBytes); send less`,
    );
  }
  if (bytes.length === 0) {
    if (route.body === undefined) return undefined;
    if (route.bodyOptional === true) return {};
    throw new ValidationError(`${route.method} ${route.path} needs a JSON body; send one`, [
      { path: "body", value: null, expected: "a JSON object" },
    ]);
  }
  const contentType = event.headers?.["content-type"] ?? "";
  if (!JSON_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError(
      `content-type ${JSON.stringify(contentType)} is not accepted; send the body as JSON with content-type: application/json`,
    );
  }
  if (route.body === undefined) {
    throw new ValidationError(`${route.method} ${route.path} takes no body; leave it out`, [
      { path: "body", value: "(a body)", expected: "no body" },
    ]);
  }
  let text: string;
  let body: unknown;
  try {
    text = UTF8.decode(bytes);
    body = JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(
      `body is not valid JSON (${error instanceof Error ? error.message : String(error)}); send a JSON object`,
      { cause: error },
    );
  }
  // JSON.parse rounds number tokens to doubles; a price must arrive as the producer wrote it.
  const inexact = inexactNumbers(text);
  if (inexact.length > 0) throw inexactNumberError("body", route.body, body, inexact);
  return body;
}

/**
 * Builds the producer API handler. The route table is compiled once here; each request is
 * matched (404/405), authenticated (401), its path, query and body validated against the routes'
 * zod schemas (400/413/415), deduplicated by Idempotency-Key (POST), then served.
 */
export function createApiHandler(options: ApiOptions): ApiHandler {
  const logger = options.logger ?? createLogger("ripple-api");
  const deps: ApiDeps = {
    client: options.client,
    tables: options.tables,
    logger,
    limits: options.limits,
    now: options.now ?? (() => new Date()),
  };
  const router = new Router(allRoutes);
  const expectedToken = tokenDigest(options.token);
  const { maxBodyBytes, idempotencyTtlSeconds, timeoutSeconds } = options.limits;
  const idempotency = new IdempotencyStore(deps, idempotencyTtlSeconds, (timeoutSeconds + 5) * 1000);

  return async (event) => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();
    try {
      const { route, params } = router.match(method, event.rawPath ?? "/");
      const caller = route.public === true ? "public" : authenticate(event, expectedToken);
      // Checked in this order, so a request with several faults hears about the first.
      const pathParams = parsePart("path", route.params!, params);
      const rawQuery = queryOf(event);
      const query = parsePart("query", route.query!, rawQuery);
      const body = bodyOf(event, route, maxBodyBytes);
      const request: ParsedRequest = {
        route,
        params: pathParams,
        query,
        rawQuery,
        body,
        parsedBody: route.body === undefined ? undefined : parsePart("body", route.body, body),
        requestId,
        extraHeaders: route.public === true ? {} : { "x-storage": STORAGE },
      };
      const key = idempotencyKeyOf(event, method, caller);
      if (key === undefined) return await serve(request, deps);
      const fingerprint = IdempotencyStore.fingerprint(
        method,
        event.rawPath ?? "/",
        JSON.stringify(body) ?? "",
      );
      return await serveOnce(request, deps, idempotency, key, fingerprint);
    } catch (error) {
      return errorResponse(error, requestId, { method, path: event.rawPath }, logger);
    }
  };
}

/** A matched, authenticated request with its parts validated against its route's schemas. */
interface ParsedRequest {
  readonly route: AnyRoute;
  readonly params: unknown;
  readonly query: unknown;
  readonly rawQuery: Record<string, string>;
  /** The body as sent (what the Idempotency-Key fingerprint covers). */
  readonly body: unknown;
  readonly parsedBody: unknown;
  readonly requestId: string;
  /** Headers every answer to it carries. */
  readonly extraHeaders: Readonly<Record<string, string>>;
}

function respond(
  requestId: string,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-request-id": requestId,
      ...headers,
    },
    body,
    isBase64Encoded: false,
  };
}

function errorBody(requestId: string, error: ApiError): string {
  return stringifyJson({
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.fields === undefined ? {} : { fields: error.fields }),
    },
  });
}

/**
 * The caller's Idempotency-Key of a POST, scoped to the caller so two callers using the same key
 * never see each other's result; undefined when there is none.
 */
function idempotencyKeyOf(
  event: APIGatewayProxyEventV2,
  method: string,
  caller: string,
): IdempotencyKey | undefined {
  const given = method === "POST" ? event.headers?.["idempotency-key"] : undefined;
  if (given === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(given)) {
    const shown = readableHeader(given);
    const why = hasCodeAbove(shown, 0x7f)
      ? "has characters outside ASCII, which HTTP headers cannot carry"
      : "has spaces or control characters, or is empty or longer than 255";
    throw new ValidationError(
      `header.idempotency-key (given ${JSON.stringify(shown)}) ${why}: expected 1–255 printable ASCII characters without spaces, such as "3f2b9c1e-7d4a-4b8e-9a61-2c5d8e0f4a17"; send a UUID per request`,
      [
        {
          path: "header.idempotency-key",
          value: shown,
          expected:
            'a key of 1–255 printable ASCII characters without spaces, such as "3f2b9c1e-7d4a-4b8e-9a61-2c5d8e0f4a17" (a UUID)',
        },
      ],
    );
  }
  return { caller, key: given };
}

/** Runs the route and answers its result. */
async function serve(request: ParsedRequest, deps: ApiDeps): Promise<APIGatewayProxyStructuredResultV2> {
  const result = await runRoute(request, deps, NO_KEY);
  // 204 No Content has no body.
  return answer(request, result, result.status === 204 ? "" : stringifyJson(result.body));
}

function runRoute(request: ParsedRequest, deps: ApiDeps, once: Once): Promise<RouteResult> {
  return request.route.handle({
    params: request.params,
    query: request.query,
    rawQuery: request.rawQuery,
    body: request.parsedBody,
    deps,
    requestId: request.requestId,
    once,
  });
}

function answer(
  request: ParsedRequest,
  result: RouteResult,
  text: string,
): APIGatewayProxyStructuredResultV2 {
  return respond(request.requestId, result.status, text, { ...request.extraHeaders, ...result.headers });
}

/**
 * Runs the route once per Idempotency-Key: a retry gets the first answer (`idempotent-replayed`),
 * a failed or refused request releases the key so it can be tried again.
 */
async function serveOnce(
  request: ParsedRequest,
  deps: ApiDeps,
  idempotency: IdempotencyStore,
  key: IdempotencyKey,
  fingerprint: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { requestId, extraHeaders } = request;
  const begun = await idempotency.begin(key, fingerprint);
  if ("first" in begun) {
    const { first } = begun;
    return respond(requestId, first.status, first.body, { ...extraHeaders, "idempotent-replayed": "true" });
  }
  const { claim } = begun;
  const releaseQuietly = async () => {
    try {
      await idempotency.release(key);
    } catch (error) {
      deps.logger.error("could not release an Idempotency-Key after a failed request", { requestId, error });
    }
  };
  let result: RouteResult;
  try {
    // The request's clock is its first run's, so a resumed run chooses what the first chose.
    const startedAt = claim.startedAt;
    result = await runRoute(
      request,
      { ...deps, now: () => new Date(startedAt) },
      idempotency.once(key, claim),
    );
  } catch (error) {
    await releaseQuietly();
    throw error;
  }
  // 204 No Content has no body.
  const text = result.status === 204 ? "" : stringifyJson(result.body);
  if (result.status >= 300) await releaseQuietly();
  else {
    try {
      await idempotency.complete(key, fingerprint, { status: result.status, body: text });
    } catch (error) {
      // The write is done: answer it. The record stays in progress, so a retry is told to
      // wait (409) until its lock lapses rather than being served a result that was never kept.
      deps.logger.error("could not keep the result under its Idempotency-Key; answering it anyway", {
        requestId,
        error,
      });
    }
  }
  return answer(request, result, text);
}

/** The answer to a request that failed: its ApiError, 503 when DynamoDB throttled, else 500. */
function errorResponse(
  error: unknown,
  requestId: string,
  request: { readonly method: string; readonly path: string | undefined },
  logger: Logger,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ApiError) {
    return respond(requestId, error.status, errorBody(requestId, error), error.headers);
  }
  if (error instanceof Error && THROTTLED.has(error.name)) {
    logger.warn("DynamoDB throttled the request", { requestId, error });
    return respond(
      requestId,
      503,
      errorBody(requestId, new ApiError(503, "throttled", "the table is busy; retry in a moment")),
      { "retry-after": "1" },
    );
  }
  logger.error("request failed", { requestId, ...request, error });
  return respond(
    requestId,
    500,
    errorBody(
      requestId,
      new ApiError(500, "internal_error", "internal error; quote the request id when you report it"),
    ),
  );
}
