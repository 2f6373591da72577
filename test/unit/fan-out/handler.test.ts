import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLambdaContext } from "#infra/local/lambda-context.ts";
import { pipeline } from "#infra/pipeline.ts";
import { createFanOutEventBridgeClient } from "../../../functions/fan-out/clients.ts";
import { UnresumableBatchError } from "../../../functions/fan-out/errors.ts";
import { loadStreamEvent, loadStreamRecords } from "../../helpers/events.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

const context = () =>
  createLambdaContext({ functionName: "ripple-fan-out", timeoutSeconds: 60, awsRequestId: "req-1" });

/** The fan-out's handler, its stream records renamed to the `prod-` tables the environment names. */
const prodEvent = (event: DynamoDBStreamEvent): DynamoDBStreamEvent => {
  for (const record of event.Records) {
    record.eventSourceARN = record.eventSourceARN!.replace(/:table\/([^/]+)\//, ":table/prod-$1/");
  }
  return event;
};

describe("fan-out handler", () => {
  const published: PutEventsCommand[] = [];
  let output: string[] = [];
  const lines = () =>
    output
      .flatMap((chunk) => chunk.split("\n").filter((line) => line.startsWith("{")))
      .map((line) => JSON.parse(line));
  const emf = () => lines().find((o) => o._aws !== undefined);
  const logs = () => lines().filter((o) => o._aws === undefined);

  beforeAll(() => {
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    const env = functionEnvironments({
      table: (key) => `prod-${pipeline.tables[key]!.tableName}`,
      busName: "ripple-handler-test",
    });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.spyOn(EventBridgeClient.prototype, "send");
    vi.spyOn(DynamoDBClient.prototype, "send");
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation(((chunk: string) => {
        output.push(String(chunk));
        return true;
      }) as never);
    }
  });

  beforeEach(() => {
    published.length = 0;
    output = [];
    vi.mocked(EventBridgeClient.prototype.send).mockImplementation((async (command: PutEventsCommand) => {
      published.push(command);
      return { FailedEntryCount: 0, Entries: (command.input.Entries ?? []).map(() => ({ EventId: "ok" })) };
    }) as never);
    vi.mocked(DynamoDBClient.prototype.send).mockImplementation((async () => ({})) as never);
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("publishes to the bus and for the tables its RIPPLE_CONFIG_FAN_OUT names, and flushes EMF metrics", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const event = prodEvent(loadStreamEvent("PetStore/insert.json"));

    // Act
    const response = await handler(event, context());

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(published.map((c) => c.input.Entries!.map((e) => [e.EventBusName, e.DetailType]))).toEqual([
      [["ripple-handler-test", "PetListed"]],
    ]);
    expect(emf()).toMatchObject({ service: "fan-out", RecordsIn: 1, EventsOut: 1, SetAsideRecords: 0 });
    expect(emf()._aws.CloudWatchMetrics[0].Namespace).toBe("ripple");
  });

  it("logs one structured line per batch with the counts, and one per record set aside", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const event = prodEvent({
      Records: loadStreamRecords("parking-data/insert.json", "PetStore/schema-violation.json"),
    });
    const violation = event.Records[1]!.dynamodb!.SequenceNumber;

    // Act
    await handler(event, context());

    // Assert
    expect(logs()).toEqual([
      expect.objectContaining({
        level: "WARN",
        message: "set aside",
        service: "fan-out",
        function_request_id: "req-1",
        reasonCode: "SchemaViolationError",
        table: "PetStore",
        sequenceNumber: violation,
        setAsideId: `PetStore#${violation}#PetListed`,
      }),
      expect.objectContaining({
        level: "INFO",
        message: "batch fanned out",
        service: "fan-out",
        function_name: "ripple-fan-out",
        function_request_id: "req-1",
        recordsIn: 2,
        eventsOut: 1,
        failedEntries: 0,
        setAsideRecords: 1,
        undeliveredRecords: 0,
        batchAgeMs: expect.any(Number),
      }),
    ]);
  });

  it("logs the record Lambda resumes from when a batch is not fully delivered", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    vi.mocked(EventBridgeClient.prototype.send).mockImplementation((async (command: PutEventsCommand) => ({
      FailedEntryCount: 1,
      Entries: (command.input.Entries ?? []).map(() => ({
        ErrorCode: "InternalFailure",
        ErrorMessage: "down",
      })),
    })) as never);
    const event = prodEvent(loadStreamEvent("PetStore/insert.json"));
    const sequenceNumber = event.Records[0]!.dynamodb!.SequenceNumber;
    const deadline = Date.now() + 5_100;
    const remaining = { getRemainingTimeInMillis: () => deadline - Date.now() };

    // Act
    const response = await handler(event, { ...context(), ...remaining });

    // Assert

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber }] });
    expect(logs()).toEqual([
      expect.objectContaining({
        level: "INFO",
        message: "batch fanned out",
        eventsOut: 0,
        undeliveredRecords: 1,
      }),
      expect.objectContaining({
        level: "ERROR",
        message: "records not delivered; Lambda resumes from the earliest",
        sequenceNumber,
        undeliveredRecords: 1,
        lastError: "InternalFailure: down",
      }),
    ]);
  });

  it("records and flushes its metrics when it fails the whole batch", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    vi.mocked(DynamoDBClient.prototype.send).mockImplementation((async () => {
      throw new Error("AccessDeniedException");
    }) as never);
    const event = prodEvent(loadStreamEvent("parking-data/insert.json"));
    delete event.Records[0]!.dynamodb!.SequenceNumber;

    // Act
    const act = handler(event, context());

    // Assert
    await expect(act).rejects.toThrow(UnresumableBatchError);
    expect(emf()).toMatchObject({ service: "fan-out", RecordsIn: 1, EventsOut: 0, SetAsideRecords: 0 });
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
