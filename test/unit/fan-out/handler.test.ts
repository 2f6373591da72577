import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { tableEnvVar } from "#infra/topology.ts";
import { createFanOutEventBridgeClient } from "../../../functions/fan-out/clients.ts";
import { loadStreamEvent } from "../../helpers/events.ts";

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

describe("fan-out handler", () => {
  const published: PutEventsCommand[] = [];
  const stdout: string[] = [];

  beforeAll(() => {
    vi.stubEnv("EVENT_BUS_NAME", "ripple-handler-test");
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    for (const key of [...pipeline.sources.map((s) => s.table), pipeline.fanOut.setAsideTable]) {
      vi.stubEnv(tableEnvVar(key), `prod-${pipeline.tables[key]!.tableName}`);
    }
    vi.spyOn(EventBridgeClient.prototype, "send").mockImplementation((async (command: PutEventsCommand) => {
      published.push(command);
      return { FailedEntryCount: 0, Entries: (command.input.Entries ?? []).map(() => ({ EventId: "ok" })) };
    }) as never);
    vi.spyOn(DynamoDBClient.prototype, "send").mockImplementation((async () => ({})) as never);
    vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string) => {
      stdout.push(String(chunk));
      return true;
    }) as never);
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("publishes to the bus named in EVENT_BUS_NAME for tables named by TABLE_* variables, and flushes EMF metrics", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const event = loadStreamEvent("PetStore/insert.json");
    event.Records[0]!.eventSourceARN = event.Records[0]!.eventSourceARN!.replace(
      "table/PetStore",
      "table/prod-PetStore",
    );

    // Act
    const response = await handler(event, context);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(published.map((c) => c.input.Entries!.map((e) => [e.EventBusName, e.DetailType]))).toEqual([
      [["ripple-handler-test", "PetListed"]],
    ]);
    const emf = stdout.map((line) => JSON.parse(line)).find((o) => o._aws !== undefined);
    expect(emf).toMatchObject({ service: "fan-out", RecordsIn: 1, EventsOut: 1, SetAsideRecords: 0 });
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe("ripple");
  });
});

describe("createFanOutEventBridgeClient", () => {
  it("makes one attempt per send, leaving retries to publishEntries", async () => {
    // Arrange
    const client = createFanOutEventBridgeClient();

    // Act
    const maxAttempts = await client.config.maxAttempts();

    // Assert
    expect(maxAttempts).toBe(1);
    client.destroy();
  });
});
