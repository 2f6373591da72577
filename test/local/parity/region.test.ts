import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeEventBusCommand, DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { ruleName } from "#infra/topology.ts";
import { LOCAL_CLIENT_CONFIG } from "../../helpers/dynamodb.ts";
import { startTestRuntime } from "../../helpers/runtime.ts";
import { recorded } from "./recording.ts";

/**
 * In AWS a stream record's `awsRegion` and `eventSourceARN`, the bus's and rules' ARNs, events'
 * `region` and the functions' ARNs all name the stack's region; DynamoDB Local writes `ddblocal`
 * in its records. The runtime runs in a region other than the default here, so a value left
 * hard-coded anywhere shows.
 */

const REGION = "eu-west-2";
/** The region field of an ARN. */
const regionOf = (arn: string | undefined) => arn?.split(":")[3];

let runtime: Runtime;
let eventBridge: EventBridgeClient;

beforeAll(async () => {
  runtime = await startTestRuntime({
    region: REGION,
    pipeline: {
      ...pipeline,
      fanOut: { ...pipeline.fanOut, handler: "test/local/parity/recording-fan-out.ts" },
      consumers: pipeline.consumers.map((c) =>
        c.name === "store-stats" ? { ...c, handler: "test/local/parity/recording-store-stats.ts" } : c,
      ),
    },
  });
  eventBridge = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: runtime.endpoints.eventbridge });
}, 120_000);

afterAll(async () => {
  eventBridge?.destroy();
  await runtime?.stop();
});

describe("one region", () => {
  it("names the runtime's region on stream records, ARNs, events and Lambda contexts alike", async () => {
    // Arrange
    const storeStats = pipeline.consumers.find((c) => c.name === "store-stats")!;

    // Act
    await runtime.dynamodb.send(
      new PutItemCommand({
        TableName: "PetStore",
        Item: { id: { N: "9001" }, name: { S: "Atlas" }, type: { S: "tortoise" }, price: { N: "120" } },
      }),
    );
    await runtime.settled({ timeoutMs: 30_000 });
    const fanOut = recorded("fan-out").find((r) =>
      (r.event as DynamoDBStreamEvent).Records.some((rec) => rec.dynamodb?.Keys?.id?.N === "9001"),
    );
    const record = (fanOut?.event as DynamoDBStreamEvent | undefined)?.Records.find(
      (r) => r.dynamodb?.Keys?.id?.N === "9001",
    );
    const consumer = recorded("store-stats").find(
      (r) => (r.event as EventBridgeEvent)["detail-type"] === "PetListed",
    );
    const bus = await eventBridge.send(new DescribeEventBusCommand({ Name: runtime.busName }));
    const rule = await eventBridge.send(
      new DescribeRuleCommand({ Name: ruleName(pipeline, storeStats), EventBusName: runtime.busName }),
    );

    // Assert
    expect(record?.eventSourceARN).toMatch(
      /^arn:aws:dynamodb:eu-west-2:000000000000:table\/PetStore\/stream\//,
    );
    expect({
      "stream record awsRegion": record?.awsRegion,
      "stream record eventSourceARN": regionOf(record?.eventSourceARN),
      "fan-out context ARN": regionOf(fanOut?.context.invokedFunctionArn),
      "bus ARN": regionOf(bus.Arn),
      "rule ARN": regionOf(rule.Arn),
      "event region": (consumer?.event as EventBridgeEvent | undefined)?.region,
      "consumer context ARN": regionOf(consumer?.context.invokedFunctionArn),
      "handlers' AWS_REGION": process.env.AWS_REGION,
    }).toEqual({
      "stream record awsRegion": REGION,
      "stream record eventSourceARN": REGION,
      "fan-out context ARN": REGION,
      "bus ARN": REGION,
      "rule ARN": REGION,
      "event region": REGION,
      "consumer context ARN": REGION,
      "handlers' AWS_REGION": REGION,
    });
  });
});
