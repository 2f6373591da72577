import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { type LocalEventBridge, startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { pipeline } from "#infra/pipeline.ts";
import { LOCAL_CLIENT_CONFIG } from "./dynamodb.ts";

/** Logs nothing: the tests read what the local EventBridge answers, not what it logs. */
export const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** The local EventBridge on a free port, with the pipeline's bus and rules, and a client that does not retry. */
export interface TestEventBridge {
  readonly bus: LocalEventBridge;
  readonly client: EventBridgeClient;
  stop(): Promise<void>;
}

/**
 * Starts the local EventBridge for a test file, without DynamoDB (no deliveries are kept).
 *
 * @example
 * const eventBridge = startedForSuite(startTestEventBridge);
 */
export async function startTestEventBridge(): Promise<TestEventBridge> {
  const bus = await startLocalEventBridge({ port: 0, pipeline, logger: silent });
  const client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint, maxAttempts: 1 });
  return {
    bus,
    client,
    async stop() {
      client.destroy();
      await bus.stop();
    },
  };
}
