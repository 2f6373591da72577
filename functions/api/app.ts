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
import { type IdempotencyKey, IdempotencyStore } from "./idempotency.ts";
import { inexactNumbers, stringifyJson } from "./json.ts";
import type { AnyRoute, ApiDeps, ApiLimits, ApiTables, RouteResult } from "./route.ts";
import { Router } from "./router.ts";
import { routes as allRoutes } from "./routes/index.ts";
import { inexactNumberError, parsePart } from "./validation.ts";

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

  const respond = (
    requestId: string,
    status: number,
    body: string,
    headers: Readonly<Record<string, string>> = {},
  ): APIGatewayProxyStructuredResultV2 => ({
    statusCode: status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-request-id": requestId,
      ...headers,
    },
    body,
    isBase64Encoded: false,
  });

  const errorBody = (requestId: string, error: ApiError) =>
    stringifyJson({
      error: {
        code: error.code,
        message: error.message,
        requestId,
        ...(error.fields === undefined ? {} : { fields: error.fields }),
      },
    });

  const releaseQuietly = async (key: IdempotencyKey, requestId: string) => {
    try {
      await idempotency.release(key);
    } catch (error) {
      logger.error("could not release an Idempotency-Key after a failed request", { requestId, error });
    }
  };

  return async (event) => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();
    try {
      const { route, params } = router.match(method, event.rawPath ?? "/");
      const caller = route.public === true ? "public" : authenticate(event, expectedToken);
      const pathParams = parsePart("path", route.params!, params);
      const rawQuery = queryOf(event);
      const query = parsePart("query", route.query!, rawQuery);
      const body = bodyOf(event, route, maxBodyBytes);
      const parsedBody = route.body === undefined ? undefined : parsePart("body", route.body, body);
      const extraHeaders: Record<string, string> = route.public === true ? {} : { "x-storage": STORAGE };

      const given = method === "POST" ? event.headers?.["idempotency-key"] : undefined;
      if (given !== undefined && !IDEMPOTENCY_KEY.test(given)) {
        throw new ValidationError(
          `header.idempotency-key (given ${JSON.stringify(given)}) must be 1–255 printable ASCII characters without spaces`,
          [
            {
              path: "header.idempotency-key",
              value: given,
              expected: "1–255 printable ASCII characters, no spaces",
            },
          ],
        );
      }
      // Keys are the caller's own: two callers using the same key never see each other's result.
      const key = given === undefined ? undefined : { caller, key: given };
      const fingerprint =
        key === undefined
          ? ""
          : IdempotencyStore.fingerprint(method, event.rawPath ?? "/", JSON.stringify(body) ?? "");
      if (key !== undefined) {
        const first = await idempotency.begin(key, fingerprint);
        if (first !== undefined) {
          return respond(requestId, first.status, first.body, {
            ...extraHeaders,
            "idempotent-replayed": "true",
          });
        }
      }
      let result: RouteResult;
      try {
        result = await route.handle({
          params: pathParams,
          query,
          rawQuery,
          body: parsedBody,
          deps,
          requestId,
        });
      } catch (error) {
        if (key !== undefined) await releaseQuietly(key, requestId);
        throw error;
      }
      const text = stringifyJson(result.body);
      if (key !== undefined && result.status >= 300) await releaseQuietly(key, requestId);
      if (key !== undefined && result.status < 300) {
        try {
          await idempotency.complete(key, fingerprint, { status: result.status, body: text });
        } catch (error) {
          // The write is done: answer it. The record stays in progress, so a retry is told to
          // wait (409) until its lock lapses rather than being served a result that was never kept.
          logger.error("could not keep the result under its Idempotency-Key; answering it anyway", {
            requestId,
            error,
          });
        }
      }
      return respond(requestId, result.status, text, { ...extraHeaders, ...result.headers });
    } catch (error) {
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
      logger.error("request failed", { requestId, method, path: event.rawPath, error });
      return respond(
        requestId,
        500,
        errorBody(
          requestId,
          new ApiError(500, "internal_error", "internal error; quote the request id when you report it"),
        ),
      );
    }
  };
}
