import { EventBridgeClient } from "@aws-sdk/client-eventbridge";

/**
 * The fan-out's EventBridge client, from the SDK's standard configuration (region, credentials,
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`) with one attempt per send.
 *
 * `publishEntries` retries failed entries itself, within the invocation's remaining time; the
 * SDK's own retries (3 attempts by default) would stack on top of those rounds and run past that
 * time, so the fan-out turns them off.
 */
export function createFanOutEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 1 });
}
