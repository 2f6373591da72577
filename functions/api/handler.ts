import { createDynamoDbClient } from "#commons/clients.ts";
import { tableNameFromEnv } from "#commons/env.ts";
import { createApiHandler } from "./app.ts";

/**
 * The producer HTTP API (API Gateway HTTP API, payload format 2.0). Table names come from
 * `TABLE_<KEY>`, the endpoint from the SDK's own settings (`AWS_ENDPOINT_URL_DYNAMODB` locally),
 * the bearer token from `RIPPLE_API_TOKEN` (local runtime; in AWS the authorizer admits callers).
 */
export const handler = createApiHandler({
  client: createDynamoDbClient(),
  tables: {
    parkingData: tableNameFromEnv("parkingData"),
    carbonUsers: tableNameFromEnv("carbonUsers"),
    carbonEntries: tableNameFromEnv("carbonEntries"),
    carbonGoals: tableNameFromEnv("carbonGoals"),
    carbonAchievements: tableNameFromEnv("carbonAchievements"),
    pets: tableNameFromEnv("pets"),
    storedEvents: tableNameFromEnv("storedEvents"),
    carts: tableNameFromEnv("carts"),
    counters: tableNameFromEnv("counters"),
    idempotency: tableNameFromEnv("idempotency"),
  },
  token: process.env.RIPPLE_API_TOKEN,
});
