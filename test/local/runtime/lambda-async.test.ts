import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { LocalRuntimeError } from "#infra/local/errors.ts";
import type { EventBridgeEvent } from "#infra/local/eventbridge/delivery.ts";
import { redriveDeadLetters } from "#infra/local/eventbridge/redrive.ts";
import { startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { AsyncInvocations, type AsyncInvocationsProps } from "#infra/local/lambda-async.ts";
import { pipeline } from "#infra/pipeline.ts";
import { tableOf } from "#infra/topology.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb } from "../../helpers/dynamodb.ts";
import { startedForSuite } from "../../helpers/suite.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const setAsideTable = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;
const DLQ_ARN = `arn:aws:dynamodb:us-east-1:000000000000:table/${setAsideTable}`;
/** The unit of Lambda's retry waits in these tests: 1 minute in AWS. */
const UNIT_MS = 40;

const dynamo = startedForSuite(() => startTestDynamoDb());

let sequence = 0;
beforeEach(() => {
  sequence++;
});

const occupancyEvent = (): EventBridgeEvent => ({
  version: "0",
  id: `event-${sequence}`,
  "detail-type": DomainEvents.CarParkOccupancyChanged.detailType,
  source: DomainEvents.CarParkOccupancyChanged.source,
  account: "000000000000",
  time: "2026-01-02T03:04:05Z",
  region: "us-east-1",
  resources: [],
  detail: { metadata: { table: "parking-data", sequenceNumber: `${1000 + sequence}` }, data: {} },
});

/** A function that fails its first `failures` runs, recording each run's time and request id. */
function flakyFunction(failures: number) {
  const runs: { at: number; requestId: string }[] = [];
  const run = async (_event: EventBridgeEvent, requestId: string) => {
    runs.push({ at: Date.now(), requestId });
    if (runs.length <= failures) throw new TypeError(`boom ${runs.length}`);
  };
  return { runs, run };
}

function invocations(
  run: AsyncInvocationsProps["run"],
  overrides: Partial<AsyncInvocationsProps> = {},
): AsyncInvocations {
  return new AsyncInvocations({
    functionName: "ripple-parking-totals",
    run,
    config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 },
    retryDelayMs: (retry) => UNIT_MS * retry,
    deadLetter: { dynamodb: dynamo.client, tableName: setAsideTable, arn: DLQ_ARN, eventBusName: "ripple" },
    logger: silent,
    ...overrides,
  });
}

async function deadLetterOf(eventId: string): Promise<Record<string, unknown> | undefined> {
  const scanned = await dynamo.client.send(new ScanCommand({ TableName: setAsideTable }));
  return (scanned.Items ?? [])
    .map((item) => unmarshall(item))
    .find((item) => item.kind === "dead-letter" && item.eventId === eventId);
}

describe("Lambda's asynchronous invocation, locally", () => {
  it("accepts the event before the function runs, as Invoke with InvocationType Event does", async () => {
    // Arrange
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const subject = invocations(async () => {
      await gate;
      finished = true;
    });

    // Act
    subject.invoke(occupancyEvent());
    const finishedAtAccept = finished;
    release();
    await subject.drained();

    // Assert
    expect(finishedAtAccept).toBe(false);
    expect(finished).toBe(true);
    expect(subject.stats).toMatchObject({ accepted: 1, runs: 1, functionErrors: 0, deadLettered: 0 });
  });

  it("runs at most its reserved concurrency at once and holds the other events in the queue", async () => {
    // Arrange
    let running = 0;
    let most = 0;
    const subject = invocations(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
      { reservedConcurrency: 2 },
    );

    // Act
    for (let i = 0; i < 12; i++) subject.invoke(occupancyEvent());
    await subject.drained();

    // Assert
    expect(most).toBe(2);
    expect(subject.stats).toMatchObject({ accepted: 12, runs: 12, functionErrors: 0 });
  });

  it("runs a failing function again 1 and then 2 units later, with the same request id", async () => {
    // Arrange
    const fn = flakyFunction(2);
    const subject = invocations(fn.run);
    const event = occupancyEvent();

    // Act
    subject.invoke(event);
    await subject.drained();

    // Assert
    expect(fn.runs).toHaveLength(3);
    expect(new Set(fn.runs.map((r) => r.requestId)).size).toBe(1);
    expect(fn.runs[1]!.at - fn.runs[0]!.at).toBeGreaterThanOrEqual(UNIT_MS - 5);
    expect(fn.runs[2]!.at - fn.runs[1]!.at).toBeGreaterThanOrEqual(2 * UNIT_MS - 5);
    expect(subject.stats).toMatchObject({ runs: 3, functionErrors: 2, deadLettered: 0, dropped: 0 });
    expect(await deadLetterOf(event.id)).toBeUndefined();
  });

  it.each([
    { description: "2 retries", retries: 2, runs: 3 },
    { description: "no retries", retries: 0, runs: 1 },
  ])(
    "sends the event to the dead-letter queue after its last attempt fails ($description)",
    async ({ retries, runs }) => {
      // Arrange
      const fn = flakyFunction(Number.POSITIVE_INFINITY);
      const subject = invocations(fn.run, {
        config: { maximumRetryAttempts: retries, maximumEventAgeInSeconds: 21_600 },
      });
      const event = occupancyEvent();

      // Act
      subject.invoke(event);
      await subject.drained();

      // Assert
      expect(fn.runs).toHaveLength(runs);
      const letter = await deadLetterOf(event.id);
      expect(letter).toMatchObject({
        kind: "dead-letter",
        target: "ripple-parking-totals",
        eventBusName: "ripple",
        deadLetterArn: DLQ_ARN,
        attempts: runs,
        reasonCode: "DeadLetter",
        table: "parking-data",
        sequenceNumber: `${1000 + sequence}`,
        RequestID: fn.runs[0]!.requestId,
        ErrorCode: "200",
        ErrorMessage: `TypeError: boom ${runs}`,
      });
      expect(letter?.reason).toMatch(/RetryAttemptsExhausted.*npm run redrive/);
      expect(JSON.parse(letter?.event as string)).toEqual(event);
      expect(subject.stats).toMatchObject({ deadLettered: 1, dropped: 0 });
    },
  );

  it("gives up without waiting for a retry the event would be too old for", async () => {
    // Arrange
    let offsetMs = 0;
    const fn = flakyFunction(Number.POSITIVE_INFINITY);
    const subject = invocations(
      async (event, requestId) => {
        offsetMs += 61_000; // each run "takes" over a minute of the event's 60 s allowance
        await fn.run(event, requestId);
      },
      {
        config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
        now: () => Date.now() + offsetMs,
      },
    );
    const event = occupancyEvent();

    // Act
    subject.invoke(event);
    await subject.drained();

    // Assert
    expect(fn.runs).toHaveLength(1);
    expect((await deadLetterOf(event.id))?.reason).toMatch(/EventAgeExceeded/);
  });

  it("discards and counts an event whose function has no dead-letter queue", async () => {
    // Arrange
    const warnings: string[] = [];
    const subject = invocations(flakyFunction(Number.POSITIVE_INFINITY).run, {
      config: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      deadLetter: undefined,
      logger: { warn: (line: string) => warnings.push(line), error: () => {} },
    });
    const event = occupancyEvent();

    // Act
    subject.invoke(event);
    await subject.drained();

    // Assert
    expect(subject.stats).toMatchObject({ deadLettered: 0, dropped: 1 });
    expect(warnings.join("\n")).toMatch(/discarded — give the function a dead-letter queue/);
    expect(await deadLetterOf(event.id)).toBeUndefined();
  });

  it("discards the retries still waiting when it stops, and refuses new events", async () => {
    // Arrange
    const fn = flakyFunction(Number.POSITIVE_INFINITY);
    const subject = invocations(fn.run, { retryDelayMs: () => 60_000 });
    subject.invoke(occupancyEvent());
    await expect.poll(() => subject.stats.functionErrors).toBe(1);

    // Act
    await subject.stop();

    // Assert
    expect(subject.stats).toMatchObject({ runs: 1, dropped: 1, deadLettered: 0 });
    expect(() => subject.invoke(occupancyEvent())).toThrow(LocalRuntimeError);
  });

  it.each([
    { description: "3 retries", config: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 } },
    { description: "an age of 59 s", config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 59 } },
    {
      description: "an age over 6 hours",
      config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_601 },
    },
    {
      description: "a reserved concurrency of 0",
      config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
      reservedConcurrency: 0,
    },
  ])("refuses $description, naming the value", ({ config, reservedConcurrency }) => {
    // Act
    const act = () =>
      invocations(async () => {}, {
        config,
        ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
      });

    // Assert
    expect(act).toThrow(LocalRuntimeError);
    expect(act).toThrow(/\(given (3|59|21601|0)\)/);
  });

  it("hands a dead-lettered event back to the consumer through the bus once redriven", async () => {
    // Arrange
    const subject = invocations(flakyFunction(Number.POSITIVE_INFINITY).run, {
      config: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
    });
    const event = occupancyEvent();
    subject.invoke(event);
    await subject.drained();
    const bus = await startLocalEventBridge({ port: 0, pipeline, dynamodb: dynamo.client, logger: silent });
    const received: EventBridgeEvent[] = [];
    bus.registerConsumer("parking-totals", async (e) => {
      received.push(e);
    });
    const client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint });

    // Act
    let result: Awaited<ReturnType<typeof redriveDeadLetters>>;
    try {
      result = await redriveDeadLetters({
        dynamodb: dynamo.client,
        eventBridge: client,
        tableName: setAsideTable,
        select: (letter) => letter.eventId === event.id,
      });
      await bus.drained();
    } finally {
      client.destroy();
      await bus.stop();
    }

    // Assert
    expect(result.failed).toEqual([]);
    expect(result.redriven).toHaveLength(1);
    expect(received.map((e) => [e.source, e["detail-type"], e.detail])).toEqual([
      [event.source, event["detail-type"], event.detail],
    ]);
    expect(await deadLetterOf(event.id)).toBeUndefined();
  });
});
