import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";

/**
 * AWS SDK clients, configured only through the SDK's own settings (region, credentials and
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_EVENTBRIDGE`), so the same handler talks to AWS
 * or to the local runtime. Create them once per module, at load.
 */

/** A DynamoDB client from the SDK's standard configuration. */
export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

/** An EventBridge client from the SDK's standard configuration. */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({});
}
