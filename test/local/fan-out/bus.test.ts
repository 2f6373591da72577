import { PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readSetAside } from "#commons/set-aside.ts";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import { type LocalEventBridge, startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { createLambdaContext } from "#infra/local/lambda-context.ts";
import { pipeline } from "#infra/pipeline.ts";
import { tableOf } from "#infra/topology.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { createFanOutEventBridgeClient } from "../../../functions/fan-out/clients.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { loadStreamRecords } from "../../helpers/events.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const setAsideTable = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;
const context = (): Context => createLambdaContext({ functionName: "ripple-fan-out", timeoutSeconds: 60 });

describe("fan-out against the local EventBridge and DynamoDB Local", () => {
  let dynamo: TestDynamoDb;
  let bus: LocalEventBridge;
  const received: EventBridgeEvent[] = [];

  beforeAll(async () => {
    dynamo = await startTestDynamoDb();
    bus = await startLocalEventBridge({ port: 0, pipeline, dynamodb: dynamo.client, logger: silent });
    vi.stubEnv("AWS_REGION", LOCAL_CLIENT_CONFIG.region);
    vi.stubEnv("AWS_ACCESS_KEY_ID", LOCAL_CLIENT_CONFIG.credentials.accessKeyId);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", LOCAL_CLIENT_CONFIG.credentials.secretAccessKey);
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.endpoint);
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    for (const [name, value] of Object.entries(functionEnvironments())) vi.stubEnv(name, value);
    for (const consumer of pipeline.consumers) bus.registerConsumer(consumer.name, async () => {});
    const client = createFanOutEventBridgeClient();
    await client.send(
      new PutRuleCommand({
        Name: "stored-events",
        EventBusName: pipeline.bus.name,
        EventPattern: JSON.stringify({ source: [DomainEvents.StoredEventCreated.source] }),
      }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: "stored-events",
        EventBusName: pipeline.bus.name,
        Targets: [{ Id: "capture", Arn: "arn:aws:lambda:us-east-1:000000000000:function:capture" }],
      }),
    );
    client.destroy();
    bus.registerFunctionTarget("stored-events", "capture", async (event) => {
      received.push(event);
    });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await bus?.stop();
    await dynamo?.stop();
  });

  it("agrees with the bus on the size bound and keeps __proto__ keys as data up to the target", async () => {
    // Arrange
    const { handler } = await import("../../../functions/fan-out/handler.ts");
    const records = loadStreamRecords(
      "events/large-below-limit.json",
      "events/large-at-limit.json",
      "events/insert-proto-keys.json",
    );
    const [below, atLimit, proto] = records.map((r) => r.dynamodb!.SequenceNumber!);

    // Act
    const response = await handler({ Records: records }, context());
    await bus.drained();
    const setAside = await readSetAside(dynamo.client, setAsideTable);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    const bySequence = new Map(
      received.map((e) => [
        (e.detail as { metadata: { sequenceNumber: string } }).metadata.sequenceNumber,
        e,
      ]),
    );
    expect([...bySequence.keys()].sort()).toEqual([below, proto].sort());
    expect(
      setAside.filter((i) => i.reasonCode === "OversizedEventError").map((i) => i.sequenceNumber),
    ).toEqual([atLimit]);
    const payload = (bySequence.get(proto!)!.detail as { data: { payload: object } }).data.payload;
    expect(Object.hasOwn(payload, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(JSON.stringify(payload)).toBe(
      '{"__proto__":{"polluted":true},"order":{"__proto__":"kept as data","id":"ord-1002"},"lines":[{"__proto__":"2"}]}',
    );
  });
});
