import { type AttributeValue, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AWS_LIMITS } from "#commons/limits.ts";
import { entrySize } from "#commons/publisher.ts";
import { readSetAside } from "#commons/set-aside.ts";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import { AsyncInvocations } from "#infra/local/lambda-async.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { LOCAL_CLIENT_CONFIG } from "../../helpers/dynamodb.ts";
import { eventually } from "../../helpers/eventually.ts";
import { startTestRuntime } from "../../helpers/runtime.ts";

/**
 * AWS's payload limits since 29 January 2026 (1 MB for PutEvents entries and requests and for
 * asynchronous Lambda invocations), against the running local runtime: the bus, the local
 * asynchronous invocation and the fan-out reading a real DynamoDB Local stream.
 */

const KB = 1024;
const RULE = "parity-capture";

let runtime: Runtime;
let client: EventBridgeClient;
/** Events the capturing function ran with, in the order it ran. */
const ran: EventBridgeEvent[] = [];
let invocations: AsyncInvocations;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = new EventBridgeClient({
    ...LOCAL_CLIENT_CONFIG,
    endpoint: runtime.endpoints.eventbridge,
    maxAttempts: 1,
  });
  await client.send(
    new PutRuleCommand({
      Name: RULE,
      EventBusName: runtime.busName,
      EventPattern: JSON.stringify({ source: ["parity.test", "ripple.stored-events"] }),
    }),
  );
  await client.send(
    new PutTargetsCommand({
      Rule: RULE,
      EventBusName: runtime.busName,
      Targets: [{ Id: "capture", Arn: "arn:aws:lambda:us-east-1:000000000000:function:capture" }],
    }),
  );
  // The rule's target is a function behind Lambda's asynchronous invocation, as consumers are.
  invocations = new AsyncInvocations({
    functionName: "capture",
    run: async (event) => {
      ran.push(event);
    },
    config: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
    logger: { warn: () => {}, error: console.error },
  });
  runtime.eventBridge.registerFunctionTarget(RULE, "capture", async (event) => invocations.invoke(event));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await invocations?.stop();
  await runtime?.stop();
});

/** An entry whose size, counted as EventBridge counts it, is exactly `bytes`. */
function sized(bytes: number, marker: string): PutEventsRequestEntry {
  const base: PutEventsRequestEntry = {
    EventBusName: runtime.busName,
    Source: "parity.test",
    DetailType: "Sized",
    Detail: JSON.stringify({ marker, pad: "" }),
  };
  const pad = bytes - entrySize(base);
  return { ...base, Detail: JSON.stringify({ marker, pad: "x".repeat(pad) }) };
}

const markerOf = (event: EventBridgeEvent) => (event.detail as { marker?: string }).marker;

describe("PutEvents at 1 MB", () => {
  it("publishes a 900 KB event and delivers it whole through an asynchronous invocation", async () => {
    // Arrange
    const entry = sized(900 * KB, "nine-hundred");

    // Act
    const result = await client.send(new PutEventsCommand({ Entries: [entry] }));
    const delivered = await eventually(() => ran.find((e) => markerOf(e) === "nine-hundred"), 20_000);

    // Assert
    expect(result.FailedEntryCount).toBe(0);
    expect(JSON.stringify(delivered.detail)).toBe(entry.Detail);
    expect(Buffer.byteLength(JSON.stringify(delivered))).toBeGreaterThan(256 * KB);
  });

  it("refuses an entry of 1 MB + 1 byte with EventBridge's ValidationException", async () => {
    // Arrange
    const entry = sized(AWS_LIMITS.putEventsEntryBytes + 1, "over");

    // Act
    const error = await client.send(new PutEventsCommand({ Entries: [entry] })).then(
      () => undefined,
      (e: Error) => e,
    );

    // Assert
    expect(entrySize(entry)).toBe(1_048_577);
    expect(error?.name).toBe("ValidationException");
    expect(error?.message).toMatch(/^Total size of the entries in the request is over the limit\./);
  });
});

describe("asynchronous invocation at 1 MB", () => {
  const event = (bytes: number): EventBridgeEvent => {
    const base: EventBridgeEvent = {
      version: "0",
      id: "sized",
      "detail-type": "Sized",
      source: "parity.test",
      account: "000000000000",
      time: "2026-01-29T00:00:00Z",
      region: "us-east-1",
      resources: [],
      detail: { pad: "" },
    };
    const pad = bytes - Buffer.byteLength(JSON.stringify(base));
    return { ...base, detail: { pad: "x".repeat(pad) } };
  };

  it("accepts an event of exactly 1 MB", () => {
    // Arrange
    const exactly = event(AWS_LIMITS.asyncInvokePayloadBytes);

    // Act
    const act = () => invocations.invoke(exactly);

    // Assert
    expect(Buffer.byteLength(JSON.stringify(exactly))).toBe(1_048_576);
    expect(act).not.toThrow();
  });

  it("refuses an event of 1 MB + 1 byte with Lambda's RequestEntityTooLargeException, queueing nothing", () => {
    // Arrange
    const over = event(AWS_LIMITS.asyncInvokePayloadBytes + 1);
    const acceptedBefore = invocations.stats.accepted;

    // Act
    const act = () => invocations.invoke(over);

    // Assert
    expect(act).toThrow(
      expect.objectContaining({
        name: "RequestEntityTooLargeException",
        message: "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
      }),
    );
    expect(invocations.stats.accepted).toBe(acceptedBefore);
  });
});

describe("a DynamoDB item near its 400 KB bound", () => {
  it("fans a 390 KB item out as one event, nothing set aside", async () => {
    // Arrange
    const blob = "x".repeat(390 * KB);
    const S = (value: string): AttributeValue => ({ S: value });
    const item: Record<string, AttributeValue> = {
      user_id: S("user-large"),
      "timestamp#event_id": S("2026-01-29T00:00:00.000Z#evt-390kb"),
      event_id: S("evt-390kb"),
      event_type: S("order.placed"),
      status: S("pending"),
      timestamp: S("2026-01-29T00:00:00.000Z"),
      "event_type#timestamp": S("order.placed#2026-01-29T00:00:00.000Z"),
      "status#timestamp": S("pending#2026-01-29T00:00:00.000Z"),
      payload: { M: { blob: S(blob) } },
      retry_count: { N: "0" },
      created_at: S("2026-01-29T00:00:00.000Z"),
      updated_at: S("2026-01-29T00:00:00.000Z"),
      ttl: { N: "4102444800" },
    };

    // Act
    await runtime.dynamodb.send(new PutItemCommand({ TableName: "events", Item: item }));
    const delivered = await eventually(
      () => ran.find((e) => (e.detail as { data?: { event_id?: string } }).data?.event_id === "evt-390kb"),
      20_000,
    );
    await runtime.settled({ timeoutMs: 30_000 });
    const setAside = await readSetAside(runtime.dynamodb, "ripple-set-aside");

    // Assert
    expect(delivered["detail-type"]).toBe("StoredEventCreated");
    expect((delivered.detail as { data: { payload: { blob: string } } }).data.payload.blob).toBe(blob);
    expect(ran.filter((e) => e.id === delivered.id)).toHaveLength(1);
    expect(
      setAside.items.filter((i) => i.sequenceNumber !== "" && i.reasonCode === "OversizedEventError"),
    ).toEqual([]);
  });
});
