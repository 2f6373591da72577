import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDynamoDbClient } from "#commons/clients.ts";
import { createFanOutEventBridgeClient } from "../../../functions/fan-out/clients.ts";
import { fanOut } from "../../../functions/fan-out/fan-out.ts";
import { LOCAL_CLIENT_CONFIG } from "../../helpers/dynamodb.ts";
import { loadStreamRecords } from "../../helpers/events.ts";
import { testConfig } from "../../unit/fan-out/stubs.ts";

/** An endpoint on 127.0.0.1 that reads every request and never answers, like a hung connection. */
async function startHungEndpoint() {
  const requests: IncomingMessage[] = [];
  const closed: string[] = [];
  const server: Server = createServer((request) => {
    requests.push(request);
    request.resume();
    request.socket.once("close", () => closed.push(String(request.headers["x-amz-target"])));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    targets: () => requests.map((r) => String(r.headers["x-amz-target"])),
    closed,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("fan-out against an endpoint that never answers", () => {
  let hung: Awaited<ReturnType<typeof startHungEndpoint>>;

  beforeEach(async () => {
    hung = await startHungEndpoint();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await hung.stop();
  });

  it.each([
    {
      description: "EventBridge",
      files: ["parking-data/insert.json"],
      target: "AWSEvents.PutEvents",
    },
    {
      description: "DynamoDB (the set-aside write)",
      files: ["PetStore/schema-violation.json"],
      target: "DynamoDB_20120810.PutItem",
    },
  ])(
    "gives up on $description within the time left, once, and names the record to resume from",
    async ({ files, target }) => {
      // Arrange: the fan-out's own clients, 400 ms left before the 5 s safety margin.
      vi.stubEnv("AWS_REGION", LOCAL_CLIENT_CONFIG.region);
      vi.stubEnv("AWS_ACCESS_KEY_ID", LOCAL_CLIENT_CONFIG.credentials.accessKeyId);
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", LOCAL_CLIENT_CONFIG.credentials.secretAccessKey);
      vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", hung.endpoint);
      vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", hung.endpoint);
      const eventBridge = createFanOutEventBridgeClient();
      const dynamodb = createDynamoDbClient();
      const records = loadStreamRecords(...files);
      const deadline = Date.now() + 5_400;
      const startedAt = Date.now();

      // Act
      const result = await fanOut(records, {
        eventBridge,
        dynamodb,
        config: testConfig,
        remainingTimeMs: () => deadline - Date.now(),
        publish: { safetyMarginMs: 5_000, sleep: async () => {} },
      });
      const tookMs = Date.now() - startedAt;
      await vi.waitFor(() => expect(hung.closed).toHaveLength(1));
      eventBridge.destroy();
      dynamodb.destroy();

      // Assert
      expect(tookMs).toBeLessThan(2_000);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }]);
      expect(hung.targets()).toEqual([target]);
      expect(hung.closed).toEqual([target]);
    },
  );
});
