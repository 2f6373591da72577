import * as z from "zod";
import { DecimalSchema, NonNegativeDecimalSchema } from "#schemas/common.ts";
import type { AnyRoute, ApiLimits } from "./route.ts";

type JsonSchema = Record<string, unknown>;

const DECIMAL_OUT = {
  type: "number",
  description:
    "Exact decimal, written as a JSON number digit for digit (249.99); read it with a decimal-aware JSON parser to keep more than 15 significant digits.",
};

const DECIMAL_IN = {
  type: ["number", "string"],
  pattern: "^-?(0|[1-9]\\d*)(\\.\\d+)?$",
  description:
    'Exact decimal, as a JSON number (249.99) or a string ("249.99"); no exponent. A JSON number a double does not hold exactly (9.999999999999999999) is refused: send such a value as a string.',
};

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override(ctx) {
      if (ctx.zodSchema === DecimalSchema || ctx.zodSchema === NonNegativeDecimalSchema) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
        Object.assign(ctx.jsonSchema, io === "output" ? DECIMAL_OUT : DECIMAL_IN);
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(where: "path" | "query", schema: z.ZodType | undefined): JsonSchema[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, "input");
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: s,
  }));
}

const errorResponses = (limits: ApiLimits): Record<number, string> => ({
  400: "Malformed JSON or invalid fields (each named with its value and what is expected); nothing written",
  401: "Missing or wrong bearer token; nothing written",
  404: "No such route or item",
  405: "Method not allowed on this path (see the Allow header)",
  409: "Conflict with the stored state, or a concurrent request won",
  413: `Body larger than ${limits.maxBodyBytes} bytes`,
  415: "Body is not application/json",
  422: "Idempotency-Key reused for a different request",
  500: "Internal error: a generic message and the request id",
});

/** The error statuses a route may answer, besides its own responses. */
function errorStatusesOf(route: AnyRoute): number[] {
  return [
    400,
    ...(route.public ? [] : [401]),
    404,
    405,
    ...(route.method === "GET" ? [] : [409]),
    ...(route.body !== undefined ? [413, 415] : []),
    ...(route.method === "POST" ? [422] : []),
    500,
  ];
}

/** A route's responses: its own, then the errors it may answer, all with the Error schema. */
function responsesOf(route: AnyRoute, limits: ApiLimits): Record<string, unknown> {
  const errorDescriptions = errorResponses(limits);
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema === undefined
        ? {}
        : { content: { "application/json": { schema: schemaOf(response.schema, "output") } } }),
    };
  }
  for (const status of errorStatusesOf(route)) {
    responses[String(status)] = {
      description: errorDescriptions[status],
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  return responses;
}

/** The Idempotency-Key header a POST takes. */
function idempotencyKeyParameter(limits: ApiLimits) {
  return {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description: `A retried request with the same key and body gets the first result (kept ${limits.idempotencyTtlSeconds} s), also when the first stopped after writing and before answering; the same key with another body is refused with 422.`,
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$" },
  };
}

/** One route's OpenAPI operation. */
function operationOf(route: AnyRoute, limits: ApiLimits): object {
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag],
    security: route.public ? [] : [{ bearerAuth: [] }],
    parameters: [
      ...parameters("path", route.params),
      ...parameters("query", route.query),
      ...(route.method === "POST" ? [idempotencyKeyParameter(limits)] : []),
    ],
    ...(route.body !== undefined
      ? {
          requestBody: {
            required: route.bodyOptional !== true,
            content: { "application/json": { schema: schemaOf(route.body, "input") } },
          },
        }
      : {}),
    responses: responsesOf(route, limits),
  };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the routes' zod schemas (`z.toJSONSchema`):
 * request schemas as inputs (what a client may send), responses as outputs.
 */
export function buildOpenApi(routes: readonly AnyRoute[], limits: ApiLimits): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const entry = paths[route.path] ?? {};
    entry[route.method.toLowerCase()] = operationOf(route, limits);
    paths[route.path] = entry;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "ripple producer API",
      version: "1.0.0",
      description:
        "Writes land in DynamoDB tables whose streams feed the pipeline. Every response carries x-request-id; bodies that touch a table say storage: Amazon DynamoDB. Decimals (prices, totals, kgCO2e) are exact: send them as JSON numbers or strings, they come back as JSON numbers written digit for digit. A JSON number in a body whose exact value a double does not hold (more than 15 significant digits, as in 9.999999999999999999) is refused with 400 rather than rounded; send such a value as a string.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description:
            "Locally: the RIPPLE_API_TOKEN the runtime prints. In AWS the HTTP API's IAM authorizer admits callers.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "requestId"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                requestId: { type: "string" },
                fields: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["path", "value", "expected"],
                    properties: { path: { type: "string" }, value: {}, expected: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
