import { EventBridgeClient, type PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readSetAside } from "#commons/set-aside.ts";
import { resolveFanOutConfig } from "#infra/function-config.ts";
import { pipeline } from "#infra/pipeline.ts";
import { redrive } from "../../../functions/fan-out/redrive.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { loadStreamEvent, loadStreamRecords } from "../../helpers/events.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

describe("fan-out against DynamoDB Local", () => {
  let dynamo: TestDynamoDb;
  const published: string[] = [];

  beforeAll(async () => {
    dynamo = await startTestDynamoDb();
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    for (const [name, value] of Object.entries(functionEnvironments())) vi.stubEnv(name, value);
    vi.spyOn(EventBridgeClient.prototype, "send").mockImplementation((async (command: PutEventsCommand) => {
      const entries = command.input.Entries ?? [];
      published.push(...entries.map((e) => JSON.parse(e.Detail!).metadata.sequenceNumber));
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: "ok" })) };
    }) as never);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await dynamo?.stop();
  });

  it("sets unmappable records aside in the set-aside table once, however often the batch comes, and redrives what now maps", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const event = {
      Records: loadStreamRecords(
        "parking-data/insert.json",
        "PetStore/schema-violation.json",
        "events/large-over-limit.json",
        "carbontrack-achievements/insert-loop.json",
        "parking-data/modify.json",
      ),
    };
    const [, violation, oversized, loop] = event.Records;

    // Act
    const first = await handler(event, context);
    const second = await handler(structuredClone(event), context);
    const setAside = (await readSetAside(dynamo.client, "ripple-set-aside")).items;

    // Assert
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(setAside.map((i) => [i.reasonCode, i.sequenceNumber]).sort()).toEqual(
      [
        ["LoopDepthExceededError", loop!.dynamodb!.SequenceNumber],
        ["OversizedEventError", oversized!.dynamodb!.SequenceNumber],
        ["SchemaViolationError", violation!.dynamodb!.SequenceNumber],
      ].sort(),
    );
    expect(setAside.find((i) => i.reasonCode === "OversizedEventError")).toMatchObject({
      kind: "stream-record",
      record: oversized,
    });
    expect(setAside.find((i) => i.reasonCode === "SchemaViolationError")).toMatchObject({
      kind: "stream-record",
      record: violation,
    });

    // Act: the items are in their tables as the records show them — but for the oversized one,
    // whose image is larger than any DynamoDB item can be; an operator raises maxDepth, then
    // redrives (which reads each item as it is now).
    const { PutItemCommand } = await import("@aws-sdk/client-dynamodb");
    for (const record of [violation, loop]) {
      await dynamo.client.send(
        new PutItemCommand({
          TableName: /:table\/([^/]+)\//.exec(record!.eventSourceARN!)![1],
          Item: record!.dynamodb!.NewImage as never,
        }),
      );
    }
    published.length = 0;
    const config = resolveFanOutConfig({
      busName: "ripple",
      pipeline: { ...pipeline, fanOut: { ...pipeline.fanOut, maxDepth: 5 } },
    });
    const result = await redrive({
      eventBridge: new EventBridgeClient({}),
      dynamodb: dynamo.client,
      config,
      publish: { sleep: async () => {} },
    });
    const left = (await readSetAside(dynamo.client, "ripple-set-aside")).items;

    // Assert
    expect(result.redriven).toEqual([`carbontrack-achievements#${loop!.dynamodb!.SequenceNumber}`]);
    expect(published).toEqual([loop!.dynamodb!.SequenceNumber]);
    expect(left.map((i) => i.reasonCode)).toEqual(["SchemaViolationError"]);
    expect(result.cleared.map((c) => c.id)).toEqual([
      `events#${oversized!.dynamodb!.SequenceNumber}#StoredEventCreated`,
    ]);
  });

  it("resumes from a record whose set-aside write fails when the set-aside table is missing", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const { DeleteTableCommand } = await import("@aws-sdk/client-dynamodb");
    const event = loadStreamEvent("PetStore/schema-violation.json");
    event.Records.unshift(...loadStreamRecords("parking-data/insert.json"));
    await dynamo.client.send(new DeleteTableCommand({ TableName: "ripple-set-aside" }));

    // Act
    const response = await handler(event, context);

    // Assert
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[1]!.dynamodb!.SequenceNumber }],
    });
  });
});
