import { createServer, type Server } from "node:http";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import { redriveDeadLetters } from "#infra/local/eventbridge/redrive.ts";
import { type LocalEventBridge, startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { freePort } from "#infra/local/ports.ts";
import { pipeline } from "#infra/pipeline.ts";
import { ruleName, tableOf } from "#infra/topology.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const setAsideTable = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;
const parkingTotals = pipeline.consumers.find((c) => c.name === "parking-totals")!;
const parkingRule = ruleName(pipeline, parkingTotals);

let dynamo: TestDynamoDb;
let bus: LocalEventBridge;
let client: EventBridgeClient;
/** The clock the endpoint reads; tests move it forward to age events. */
let clockOffsetMs = 0;

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
});

afterAll(async () => {
  await dynamo.stop();
});

async function start(): Promise<void> {
  clockOffsetMs = 0;
  bus = await startLocalEventBridge({
    port: 0,
    pipeline,
    dynamodb: dynamo.client,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    now: () => Date.now() + clockOffsetMs,
    logger: silent,
  });
  client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint });
}

afterEach(async () => {
  client.destroy();
  await bus.stop();
});

const occupancyChanged = (carParkId = "cp-1"): PutEventsRequestEntry => ({
  EventBusName: pipeline.bus.name,
  Source: DomainEvents.CarParkOccupancyChanged.source,
  DetailType: DomainEvents.CarParkOccupancyChanged.detailType,
  Detail: JSON.stringify({ data: { carParkId } }),
  Resources: ["arn:aws:dynamodb:us-east-1:000000000000:table/parking-data"],
});

async function deadLetters(): Promise<Record<string, unknown>[]> {
  const scanned = await dynamo.client.send(new ScanCommand({ TableName: setAsideTable }));
  return (scanned.Items ?? []).map((item) => unmarshall(item)).filter((item) => item.kind === "dead-letter");
}

/** A run-time rule on the declared bus for the parking events, with the given target. */
async function ruleWithTarget(name: string, target: Target): Promise<void> {
  await client.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: pipeline.bus.name,
      EventPattern: JSON.stringify({ source: [DomainEvents.CarParkOccupancyChanged.source] }),
    }),
  );
  await client.send(
    new PutTargetsCommand({ Rule: name, EventBusName: pipeline.bus.name, Targets: [target] }),
  );
}

const deadLetterQueue = { DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:000000000000:ripple-dlq" } };

/** A target that is the Lambda function `id` of the local account, with `settings` (retries, DLQ). */
const functionTarget = (id: string, settings: Omit<Target, "Id" | "Arn"> = {}): Target => ({
  Id: id,
  Arn: `arn:aws:lambda:us-east-1:000000000000:function:${id}`,
  ...settings,
});

/** {@link ruleWithTarget} for a function target, bound to `run` as the local runtime binds a Lambda. */
async function ruleWithFunction(
  name: string,
  target: Target,
  run: Parameters<LocalEventBridge["registerFunctionTarget"]>[2],
): Promise<void> {
  await ruleWithTarget(name, target);
  bus.registerFunctionTarget(name, target.Id!, run);
}

describe("delivery", () => {
  it("delivers a matching event to the declared consumer's function in EventBridge's envelope", async () => {
    // Arrange
    await start();
    const received: EventBridgeEvent[] = [];
    bus.registerConsumer(parkingTotals.name, async (event) => {
      received.push(event);
    });

    // Act
    const put = await client.send(new PutEventsCommand({ Entries: [occupancyChanged()] }));
    await bus.drained();

    // Assert
    expect(received).toHaveLength(1);
    const event = received[0]!;
    expect(event).toMatchObject({
      version: "0",
      id: put.Entries?.[0]?.EventId,
      "detail-type": "CarParkOccupancyChanged",
      source: "ripple.parking",
      account: "000000000000",
      region: "us-east-1",
      resources: ["arn:aws:dynamodb:us-east-1:000000000000:table/parking-data"],
      detail: { data: { carParkId: "cp-1" } },
    });
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("does not deliver an event the rule's pattern does not match", async () => {
    // Arrange
    await start();
    const received: EventBridgeEvent[] = [];
    bus.registerFunctionTarget(parkingRule, parkingTotals.name, async (event) => {
      received.push(event);
    });

    // Act
    await client.send(
      new PutEventsCommand({ Entries: [{ ...occupancyChanged(), DetailType: "SomethingElse" }] }),
    );
    await bus.drained();

    // Assert
    expect(received).toHaveLength(0);
  });

  it("answers PutEvents before the target has run", async () => {
    // Arrange
    await start();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = 0;
    bus.registerFunctionTarget(parkingRule, parkingTotals.name, async () => {
      await gate;
      finished++;
    });

    // Act
    const put = await client.send(new PutEventsCommand({ Entries: [occupancyChanged()] }));
    const finishedWhenAnswered = finished;
    release();
    await bus.drained();

    // Assert
    expect(put.FailedEntryCount).toBe(0);
    expect(finishedWhenAnswered).toBe(0);
    expect(finished).toBe(1);
  });

  it("POSTs the event to an HTTP target attached at run time", async () => {
    // Arrange
    await start();
    const bodies: unknown[] = [];
    const port = await freePort();
    const hook: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(port, "127.0.0.1", resolve));
    await ruleWithTarget("http-subscriber", { Id: "hook", Arn: `http://127.0.0.1:${port}/events` });

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-http")] }));
    await bus.drained();
    hook.closeAllConnections();
    await new Promise<void>((resolve) => hook.close(() => resolve()));

    // Assert
    expect(bodies).toEqual([
      expect.objectContaining({ source: "ripple.parking", detail: { data: { carParkId: "cp-http" } } }),
    ]);
  });

  it("retries a failing target until it succeeds", async () => {
    // Arrange
    await start();
    let calls = 0;
    bus.registerFunctionTarget(parkingRule, parkingTotals.name, async () => {
      calls++;
      if (calls < 3) throw new Error(`transient failure ${calls}`);
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged()] }));
    await bus.drained();

    // Assert
    expect(calls).toBe(3);
    expect(bus.stats()).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0, dropped: 0 });
  });

  it("writes a dead letter to DynamoDB once the retry attempts are spent", async () => {
    // Arrange
    await start();
    let calls = 0;
    const target = functionTarget("always-fails", {
      RetryPolicy: { MaximumRetryAttempts: 2 },
      ...deadLetterQueue,
    });
    await ruleWithFunction("fragile", target, async () => {
      calls++;
      throw new Error("database is down");
    });

    // Act
    const put = await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-dead")] }));
    await bus.drained();

    // Assert
    expect(calls).toBe(3);
    const letters = (await deadLetters()).filter((l) => l.rule === "fragile");
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter).toMatchObject({
      kind: "dead-letter",
      target: "always-fails",
      attempts: 3,
      error: "database is down",
      RULE_ARN: `arn:aws:events:us-east-1:000000000000:rule/${pipeline.bus.name}/fragile`,
      TARGET_ARN: "arn:aws:lambda:us-east-1:000000000000:function:always-fails",
      ERROR_CODE: "SDK_CLIENT_ERROR",
      ERROR_MESSAGE: "database is down",
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
      RETRY_ATTEMPTS: 2,
      reasonCode: "DeadLetter",
      eventBusName: pipeline.bus.name,
    });
    expect(letter.reason).toContain('target "always-fails" of rule "fragile" failed 3 time(s)');
    expect(JSON.parse(letter.event as string)).toMatchObject({
      id: put.Entries?.[0]?.EventId,
      detail: { data: { carParkId: "cp-dead" } },
    });
  });

  it("redrives a dead letter to the bus once the target is fixed", async () => {
    // Arrange
    await start();
    let broken = true;
    const received: EventBridgeEvent[] = [];
    const target = functionTarget("flaky", { RetryPolicy: { MaximumRetryAttempts: 0 }, ...deadLetterQueue });
    await ruleWithFunction("healing", target, async (event) => {
      if (broken) throw new Error("bug in the consumer");
      received.push(event);
    });
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-heal")] }));
    await bus.drained();
    const before = (await deadLetters()).filter((l) => l.rule === "healing");
    broken = false;

    // Act
    const result = await redriveDeadLetters({
      dynamodb: dynamo.client,
      eventBridge: client,
      tableName: setAsideTable,
      select: (item) => item.rule === "healing",
    });
    await bus.drained();

    // Assert
    expect(before).toHaveLength(1);
    expect(result).toEqual({ redriven: [before[0]?.id], failed: [] });
    expect(received.map((e) => e.detail)).toEqual([{ data: { carParkId: "cp-heal" } }]);
    expect((await deadLetters()).filter((l) => l.rule === "healing")).toEqual([]);
  });

  it("stops retrying once the event is older than MaximumEventAgeInSeconds", async () => {
    // Arrange
    await start();
    let calls = 0;
    const target = functionTarget("slow", {
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 },
      ...deadLetterQueue,
    });
    await ruleWithFunction("aging", target, async () => {
      calls++;
      clockOffsetMs += 30_000;
      throw new Error("still failing");
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-old")] }));
    await bus.drained();

    // Assert
    expect(calls).toBe(2);
    const letters = (await deadLetters()).filter((l) => l.rule === "aging");
    expect(letters).toEqual([
      expect.objectContaining({ EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds", attempts: 2 }),
    ]);
  });

  it("dead-letters an HTTP target's 4xx answer without retrying it", async () => {
    // Arrange
    await start();
    let calls = 0;
    const port = await freePort();
    const hook = createServer((request, response) => {
      calls++;
      request.resume();
      request.on("end", () => response.writeHead(400).end("bad request"));
    });
    await new Promise<void>((resolve) => hook.listen(port, "127.0.0.1", resolve));
    await ruleWithTarget("rejecting", {
      Id: "hook",
      Arn: `http://127.0.0.1:${port}/events`,
      ...deadLetterQueue,
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-400")] }));
    await bus.drained();
    hook.closeAllConnections();
    await new Promise<void>((resolve) => hook.close(() => resolve()));

    // Assert
    expect(calls).toBe(1);
    const letters = (await deadLetters()).filter((l) => l.rule === "rejecting");
    expect(letters).toEqual([
      expect.objectContaining({ EXHAUSTED_RETRY_CONDITION: "NonRetryableError", attempts: 1 }),
    ]);
  });

  const missingLetter = {
    target: "nobody",
    attempts: 1,
    ERROR_CODE: "NO_RESOURCE",
    RETRY_ATTEMPTS: 0,
    TARGET_ARN: "arn:aws:lambda:us-east-1:000000000000:function:nobody",
  };

  it.each([
    {
      description: "dead-letters",
      rule: "missing",
      deadLetter: deadLetterQueue,
      letters: [expect.objectContaining(missingLetter)],
      dropped: 0,
    },
    { description: "drops", rule: "missing-no-dlq", deadLetter: {}, letters: [], dropped: 1 },
  ])(
    "$description an event for a target that does not exist at once, without retrying",
    async ({ rule, deadLetter, letters, dropped }) => {
      // Arrange: no function is bound to any target, the declared consumers' (which have DLQs) included.
      await start();
      await ruleWithTarget(rule, functionTarget("nobody", deadLetter));

      // Act
      await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-nobody")] }));
      await bus.drained();

      // Assert
      expect(bus.stats()).toMatchObject({ delivered: 0, retried: 0, dropped });
      expect((await deadLetters()).filter((l) => l.rule === rule)).toEqual(letters);
    },
  );

  it("drops and counts an event whose target has no dead-letter queue", async () => {
    // Arrange
    await start();
    await ruleWithFunction(
      "no-dlq",
      functionTarget("fails", { RetryPolicy: { MaximumRetryAttempts: 0 } }),
      async () => {
        throw new Error("nope");
      },
    );

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged("cp-drop")] }));
    await bus.drained();

    // Assert
    expect(bus.stats().dropped).toBe(1);
    expect((await deadLetters()).filter((l) => l.rule === "no-dlq")).toEqual([]);
  });

  it("delivers one event to every target of every matching rule", async () => {
    // Arrange
    await start();
    const seen: string[] = [];
    bus.registerFunctionTarget(parkingRule, parkingTotals.name, async () => {
      seen.push("declared");
    });
    await ruleWithTarget("second", functionTarget("a"));
    await client.send(
      new PutTargetsCommand({
        Rule: "second",
        EventBusName: pipeline.bus.name,
        Targets: [functionTarget("b")],
      }),
    );
    bus.registerFunctionTarget("second", "a", async () => {
      seen.push("a");
    });
    bus.registerFunctionTarget("second", "b", async () => {
      seen.push("b");
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [occupancyChanged()] }));
    await bus.drained();

    // Assert
    expect(seen.sort()).toEqual(["a", "b", "declared"]);
  });
});
