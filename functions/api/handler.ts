import { createDynamoDbClient } from "#commons/clients.ts";
import { configFromEnv } from "#commons/env.ts";
import { API_SERVICE } from "#schemas/contracts.ts";
import { ApiConfigSchema } from "#schemas/function-config.ts";
import { createApiHandler } from "./app.ts";

const { tables, ...limits } = configFromEnv(ApiConfigSchema, API_SERVICE);

/**
 * The producer HTTP API (API Gateway HTTP API, payload format 2.0). Table names and limits come
 * from `RIPPLE_CONFIG_API` (set from the resolved model), the endpoint from the SDK's own settings
 * (`AWS_ENDPOINT_URL_DYNAMODB` locally), the bearer token from `RIPPLE_API_TOKEN` (local runtime;
 * in AWS the authorizer admits callers).
 */
export const handler = createApiHandler({
  client: createDynamoDbClient(),
  tables,
  limits,
  token: process.env.RIPPLE_API_TOKEN,
});
