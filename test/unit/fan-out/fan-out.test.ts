import { gunzipSync } from "node:zlib";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { AWS_LIMITS } from "#commons/limits.ts";
import { deliveredEventSize, entrySize, MAX_ENTRIES_PER_REQUEST } from "#commons/publisher.ts";
import { declaredNames, fanOutConfig } from "#infra/function-config.ts";
import { model } from "#infra/pipeline.ts";
import { fanOutConfigFrom } from "../../../functions/fan-out/config.ts";
import { UnresumableBatchError } from "../../../functions/fan-out/errors.ts";
import { fanOut, recordFanOutMetrics } from "../../../functions/fan-out/fan-out.ts";
import { loadStreamRecord, loadStreamRecords } from "../../helpers/events.ts";
import {
  CLIENT_CONFIG,
  detailOf,
  stubDynamoDb,
  stubEventBridge,
  stubNeverAnswers,
  testDeps,
} from "./stubs.ts";

const SMALL = [
  "parking-data/insert.json",
  "parking-data/modify.json",
  "carbontrack-entries/insert.json",
  "carbontrack-entries/ttl-expire.json",
  "carbontrack-users/insert.json",
  "carbontrack-goals/insert.json",
  "carbontrack-achievements/insert.json",
  "PetStore/insert.json",
  "PetStore/modify.json",
  "events/insert-all-types.json",
  "events/ttl-expire.json",
  "cloudshelf-shopping-cart/insert.json",
];

const sequenceOf = (entry: PutEventsRequestEntry) => detailOf(entry).metadata.sequenceNumber;
const seq = (file: string) => loadStreamRecord(file).dynamodb!.SequenceNumber!;
/** A batch of three records: `file` between two readings of a car park. */
const batchAround = (file: string) =>
  loadStreamRecords("parking-data/insert.json", file, "parking-data/modify.json");

/** Fans `records` out through the given stubs, with every other dependency as `testDeps` sets it. */
function fanOutThrough(
  records: DynamoDBRecord[],
  eventBridge: { readonly client: EventBridgeClient },
  dynamodb: { readonly client: DynamoDBClient },
) {
  return fanOut(records, testDeps({ eventBridge: eventBridge.client, dynamodb: dynamodb.client }));
}

describe("fanOut", () => {
  it("sends the exact PutEvents entry a record becomes", async () => {
    // Arrange
    const eventBridge = stubEventBridge();
    const records = loadStreamRecords("PetStore/insert.json");

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client }));

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests).toEqual([
      [
        {
          Time: new Date("2025-11-30T16:05:12.000Z"),
          Source: "ripple.petstore",
          DetailType: "PetListed",
          EventBusName: "ripple-test",
          Detail: JSON.stringify({
            metadata: {
              eventId: "d3ca4fc2-3769-8369-a08f-0a7a0203c90b",
              version: 1,
              table: "PetStore",
              change: "INSERT",
              sequenceNumber: seq("PetStore/insert.json"),
              changedAt: "2025-11-30T16:05:12.000Z",
              keys: { id: "42" },
              depth: 0,
            },
            data: { id: 42, name: "Biscuit", type: "dog", price: "249.99" },
          }),
        },
      ],
    ]);
  });

  it("packs a mixed batch greedily in record order into requests of at most 10 entries and 1 MB", async () => {
    // Arrange
    const eventBridge = stubEventBridge();
    const files = [
      ...SMALL,
      "events/large-under-limit.json",
      "parking-data/remove.json",
      "PetStore/remove.json",
    ];
    const records = loadStreamRecords(...files);

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client }));

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests.map((r) => r.length)).toEqual([10, 2, 1, 2]);
    expect(eventBridge.requests.flat().map(sequenceOf)).toEqual(
      records.map((r) => r.dynamodb!.SequenceNumber),
    );
    for (const request of eventBridge.requests) {
      expect(request.length).toBeLessThanOrEqual(MAX_ENTRIES_PER_REQUEST);
      expect(request.reduce((sum, e) => sum + entrySize(e), 0)).toBeLessThanOrEqual(
        AWS_LIMITS.putEventsRequestBytes,
      );
    }
    expect(deliveredEventSize(eventBridge.requests[2]![0]!)).toBe(1_048_500);
  });

  it("publishes nothing and calls nobody for changes with no declared mapping", async () => {
    // Arrange: a profile removed (the users table maps INSERT and MODIFY only)
    const eventBridge = stubEventBridge();
    const records = loadStreamRecords("carbontrack-users/modify.json").map((modify) => {
      const { NewImage: _image, ...dynamodb } = modify.dynamodb!;
      return { ...modify, eventName: "REMOVE" as const, dynamodb };
    });

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client }));

    // Assert
    expect(eventBridge.requests).toEqual([]);
    expect(result).toMatchObject({ batchItemFailures: [], stats: { recordsIn: 1, eventsOut: 0 } });
  });

  it("retries only failed entries and reports success once all are delivered", async () => {
    // Arrange
    const eventBridge = stubEventBridge((entries, call) =>
      call === 1
        ? entries.map((_, i) =>
            i % 3 === 1 ? { ErrorCode: "InternalFailure", ErrorMessage: "try again" } : { EventId: `e${i}` },
          )
        : undefined,
    );
    const records = loadStreamRecords(...SMALL.slice(0, 7));

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client }));

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests.map((r) => r.map(sequenceOf))).toEqual([
      records.map((r) => r.dynamodb!.SequenceNumber),
      [1, 4].map((i) => records[i]!.dynamodb!.SequenceNumber),
    ]);
    expect(result.stats).toMatchObject({ eventsOut: 7, failedEntries: 2 });
  });

  it.each([
    {
      description: "PetStore entries always fail",
      respond: (entries: PutEventsRequestEntry[]) =>
        entries.map((e) =>
          e.Source === "ripple.petstore"
            ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
            : { EventId: "ok" },
        ),
      earliest: "PetStore/insert.json",
    },
    {
      description: "every entry always fails",
      respond: (entries: PutEventsRequestEntry[]) =>
        entries.map(() => ({ ErrorCode: "InternalFailure", ErrorMessage: "down" })),
      earliest: SMALL[0]!,
    },
    {
      description: "PutEvents always throws",
      respond: () => new Error("connect ECONNREFUSED"),
      earliest: SMALL[0]!,
    },
  ])("names exactly the earliest undelivered record when $description", async ({ respond, earliest }) => {
    // Arrange
    const eventBridge = stubEventBridge(respond);
    const records = loadStreamRecords(...SMALL);

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client }));

    // Assert
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(earliest) }]);
    const earliestIndex = records.findIndex((r) => r.dynamodb!.SequenceNumber === seq(earliest));
    expect(result.stats.undeliveredRecords).toBe(records.length - earliestIndex);
  });

  it("gives up retrying when the invocation runs out of time, keeping a safety margin", async () => {
    // Arrange
    const eventBridge = stubEventBridge(() => new Error("ServiceUnavailable"));
    let remaining = 10_000;

    // Act
    const result = await fanOut(
      loadStreamRecords("parking-data/insert.json"),
      testDeps({
        eventBridge: eventBridge.client,
        remainingTimeMs: () => remaining,
        publish: {
          safetyMarginMs: 5_000,
          baseDelayMs: 1_000,
          random: () => 1,
          sleep: async (ms) => {
            remaining -= ms;
          },
        },
      }),
    );

    // Assert
    expect(eventBridge.requests).toHaveLength(3);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq("parking-data/insert.json") }]);
  });

  it.each([
    {
      description: "PutEvents never answers",
      hung: "eventBridge" as const,
      files: ["parking-data/insert.json", "PetStore/insert.json"],
      earliest: "parking-data/insert.json",
    },
    {
      description: "the set-aside PutItem never answers",
      hung: "dynamodb" as const,
      files: ["parking-data/insert.json", "PetStore/schema-violation.json", "PetStore/insert.json"],
      earliest: "PetStore/schema-violation.json",
    },
  ])(
    "answers within the remaining time, from the earliest undelivered record, when $description",
    async ({ hung, files, earliest }) => {
      // Arrange: 300 ms left before the 5 s safety margin, on the real clock.
      const stuck = stubNeverAnswers(
        hung === "eventBridge" ? new EventBridgeClient(CLIENT_CONFIG) : new DynamoDBClient(CLIENT_CONFIG),
      );
      const deadline = Date.now() + 5_300;
      const deps = testDeps({
        ...(hung === "eventBridge"
          ? { eventBridge: stuck.client as EventBridgeClient }
          : { dynamodb: stuck.client as DynamoDBClient }),
        remainingTimeMs: () => deadline - Date.now(),
        publish: { safetyMarginMs: 5_000, sleep: async () => {}, random: () => 0.5 },
      });
      const startedAt = Date.now();

      // Act
      const result = await fanOut(loadStreamRecords(...files), deps);

      // Assert
      expect(Date.now() - startedAt).toBeLessThan(1_500);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(earliest) }]);
      expect(stuck.signals.length).toBeGreaterThan(0);
      expect(stuck.signals.every((signal) => signal?.aborted === true)).toBe(true);
    },
  );

  it("sends nothing when no time is left before the safety margin, and resumes from the first record", async () => {
    // Arrange
    const eventBridge = stubEventBridge();
    const dynamodb = stubDynamoDb();
    const records = loadStreamRecords("PetStore/schema-violation.json", "parking-data/insert.json");

    // Act
    const result = await fanOut(
      records,
      testDeps({
        eventBridge: eventBridge.client,
        dynamodb: dynamodb.client,
        remainingTimeMs: () => 4_000,
        publish: { safetyMarginMs: 5_000 },
      }),
    );

    // Assert
    expect(eventBridge.requests).toEqual([]);
    expect(dynamodb.puts).toEqual([]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq("PetStore/schema-violation.json") }]);
  });

  it("abandons a PutEvents request after requestTimeoutMs and retries it", async () => {
    // Arrange: the first request hangs, the next one answers.
    const eventBridge = stubEventBridge();
    const signals: (AbortSignal | undefined)[] = [];
    eventBridge.send.mockImplementationOnce(((_: unknown, options?: { abortSignal?: AbortSignal }) => {
      signals.push(options?.abortSignal);
      return new Promise(() => {});
    }) as never);

    // Act
    const result = await fanOut(
      loadStreamRecords("parking-data/insert.json"),
      testDeps({
        eventBridge: eventBridge.client,
        publish: { requestTimeoutMs: 100, sleep: async () => {}, random: () => 0.5 },
      }),
    );

    // Assert
    expect(signals[0]?.aborted).toBe(true);
    expect(eventBridge.requests).toHaveLength(1);
    expect(result.batchItemFailures).toEqual([]);
    expect(result.stats).toMatchObject({ eventsOut: 1, failedEntries: 1 });
  });

  it("counts a record delivered only when all of its events are", async () => {
    // Arrange: pets INSERT becomes two events; only the second one of the first pet fails.
    // A configuration the declaration's checks would refuse (INSERT mapped twice), written as JSON.
    const declared = fanOutConfig(model.fanOut, { ...declaredNames(model), busName: "ripple-test" });
    const config = fanOutConfigFrom({
      ...declared,
      sources: declared.sources.map((s) =>
        s.itemSchema === "Pet"
          ? { ...s, changes: [...s.changes, { on: ["INSERT" as const], event: "PetUpdated" as const }] }
          : s,
      ),
    });
    const records = batchAround("PetStore/insert.json");
    const eventBridge = stubEventBridge((entries) =>
      entries.map((e) =>
        e.DetailType === "PetUpdated" ? { ErrorCode: "InternalFailure" } : { EventId: "ok" },
      ),
    );

    // Act
    const result = await fanOut(records, testDeps({ eventBridge: eventBridge.client, config }));

    // Assert
    expect(eventBridge.requests[0]!.map((e) => e.DetailType)).toEqual([
      "CarParkOccupancyChanged",
      "PetListed",
      "PetUpdated",
      "CarParkOccupancyChanged",
    ]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq("PetStore/insert.json") }]);
  });

  it("sets aside an event EventBridge refuses for good instead of retrying it, and goes on", async () => {
    // Arrange
    const eventBridge = stubEventBridge((entries) =>
      entries.map((e) =>
        e.DetailType === "PetListed"
          ? { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }
          : { EventId: "ok" },
      ),
    );
    const dynamodb = stubDynamoDb();
    const records = batchAround("PetStore/insert.json");

    // Act
    const result = await fanOutThrough(records, eventBridge, dynamodb);

    // Assert
    expect(eventBridge.requests).toHaveLength(1);
    expect(result.batchItemFailures).toEqual([]);
    expect(dynamodb.puts).toHaveLength(1);
    expect(dynamodb.puts[0]!.Item).toMatchObject({
      id: { S: `PetStore#${seq("PetStore/insert.json")}#PetListed` },
      reasonCode: { S: "RejectedByEventBridge" },
      detailType: { S: "PetListed" },
    });
    expect(dynamodb.puts[0]!.Item!.reason!.S).toContain("MalformedDetail: Detail is malformed.");
    expect(result.stats).toMatchObject({ eventsOut: 2, setAsideRecords: 1 });
  });

  it.each([
    { description: "a refused event's record", file: "PetStore/insert.json", refused: "PetListed" },
    { description: "an unmappable record", file: "PetStore/schema-violation.json", refused: undefined },
  ])(
    "reports $description as undelivered when it cannot be set aside either, so nothing is lost silently",
    async ({ file, refused }) => {
      // Arrange
      const eventBridge = stubEventBridge((entries) =>
        entries.map((e) => (e.DetailType === refused ? { ErrorCode: "InvalidArgument" } : { EventId: "ok" })),
      );
      const dynamodb = stubDynamoDb(() => new Error("ProvisionedThroughputExceededException"));
      const records = batchAround(file);

      // Act
      const result = await fanOutThrough(records, eventBridge, dynamodb);

      // Assert
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(file) }]);
      expect(result.stats.setAsideRecords).toBe(0);
    },
  );

  it("sets an unmappable record aside with its reason and goes on with the batch", async () => {
    // Arrange
    const eventBridge = stubEventBridge();
    const dynamodb = stubDynamoDb();
    const records = loadStreamRecords(
      "parking-data/insert.json",
      "parking-data/schema-violation.json",
      "PetStore/insert.json",
    );

    // Act
    const result = await fanOutThrough(records, eventBridge, dynamodb);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests.flat().map((e) => e.DetailType)).toEqual([
      "CarParkOccupancyChanged",
      "PetListed",
    ]);
    expect(dynamodb.puts).toHaveLength(1);
    const { TableName, Item } = dynamodb.puts[0]!;
    expect(TableName).toBe("ripple-set-aside");
    expect(Item).toMatchObject({
      id: { S: `parking-data#${seq("parking-data/schema-violation.json")}#CarParkOccupancyChanged` },
      reasonCode: { S: "SchemaViolationError" },
      table: { S: "parking-data" },
      sequenceNumber: { S: seq("parking-data/schema-violation.json") },
      detailType: { S: "CarParkOccupancyChanged" },
      setAsideAt: { S: "2025-11-30T16:06:00.000Z" },
    });
    expect(Item!.reason!.S).toMatch(/occupied \(given "300"\): expected .*occupied must not exceed capacity/);
    expect(Item!.eventId!.S).toMatch(/^[0-9a-f]{8}-/);
    expect(JSON.parse(Item!.record!.S!)).toEqual(records[1]);
    expect(result.stats).toMatchObject({ setAsideRecords: 1, eventsOut: 2 });
  });

  it.each([
    {
      description: "an unknown table",
      file: "undeclared-table/insert.json",
      id: (s: string) => `orders#${s}`,
    },
    {
      description: "a loop",
      file: "carbontrack-achievements/insert-loop.json",
      id: (s: string) => `carbontrack-achievements#${s}`,
    },
    {
      description: "a malformed record",
      file: "parking-data/malformed-no-image.json",
      id: (s: string) => `parking-data#${s}`,
    },
  ])("does not let $description block the records after it", async ({ file, id }) => {
    // Arrange
    const eventBridge = stubEventBridge();
    const dynamodb = stubDynamoDb();
    const records = loadStreamRecords(file, "parking-data/insert.json");

    // Act
    const result = await fanOutThrough(records, eventBridge, dynamodb);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests.flat().map((e) => e.DetailType)).toEqual(["CarParkOccupancyChanged"]);
    expect(dynamodb.puts.map((p) => p.Item!.id!.S)).toEqual([id(seq(file))]);
  });

  it("sets an event over 1 MB aside, gzipped, instead of sending it", async () => {
    // Arrange
    const eventBridge = stubEventBridge();
    const dynamodb = stubDynamoDb();
    const records = loadStreamRecords("events/large-over-limit.json", "PetStore/insert.json");

    // Act
    const result = await fanOutThrough(records, eventBridge, dynamodb);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(eventBridge.requests.flat().map((e) => e.DetailType)).toEqual(["PetListed"]);
    const item = dynamodb.puts[0]!.Item!;
    expect(item.reasonCode!.S).toBe("OversizedEventError");
    expect(item.record).toBeUndefined();
    expect(JSON.parse(gunzipSync(item.recordGzip!.B!).toString("utf8"))).toEqual(records[0]);
  });

  it("writes the same set-aside item again when the batch is retried", async () => {
    // Arrange
    const dynamodb = stubDynamoDb();
    const deps = testDeps({ dynamodb: dynamodb.client });

    // Act
    await fanOut(loadStreamRecords("PetStore/schema-violation.json"), deps);
    await fanOut(loadStreamRecords("PetStore/schema-violation.json"), deps);

    // Assert
    expect(dynamodb.puts).toHaveLength(2);
    expect(dynamodb.puts[1]).toEqual(dynamodb.puts[0]);
  });

  it("fails the whole batch when the record to resume from has no sequence number", async () => {
    // Arrange
    const dynamodb = stubDynamoDb(() => new Error("AccessDeniedException"));
    const [record] = loadStreamRecords("parking-data/insert.json");
    delete record!.dynamodb!.SequenceNumber;

    // Act
    const act = fanOut([record!], testDeps({ dynamodb: dynamodb.client }));

    // Assert
    await expect(act).rejects.toThrow(UnresumableBatchError);
    await expect(act).rejects.toMatchObject({
      stats: { recordsIn: 1, setAsideRecords: 0, undeliveredRecords: 1 },
    });
  });

  it("measures the batch age from the oldest record", async () => {
    // Arrange
    const records = loadStreamRecords("parking-data/insert.json", "parking-data/modify.json");
    records[1]!.dynamodb!.ApproximateCreationDateTime = 1764518700;

    // Act
    const result = await fanOut(records, testDeps({ now: () => 1764518712_000 + 250 }));

    // Assert
    expect(result.stats.batchAgeMs).toBe(12_250);
  });
});

describe("recordFanOutMetrics", () => {
  it("adds RecordsIn, EventsOut, FailedEntries, SetAsideRecords and BatchAgeMs in the ripple namespace", () => {
    // Arrange
    const metrics = new Metrics({ namespace: "ripple", serviceName: "fan-out" });

    // Act
    recordFanOutMetrics(metrics, {
      recordsIn: 5,
      eventsOut: 4,
      failedEntries: 2,
      setAsideRecords: 1,
      batchAgeMs: 1500,
      undeliveredRecords: 0,
    });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] };
    };

    // Assert
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe("ripple");
    expect(emf._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: "RecordsIn", Unit: "Count" },
      { Name: "EventsOut", Unit: "Count" },
      { Name: "FailedEntries", Unit: "Count" },
      { Name: "SetAsideRecords", Unit: "Count" },
      { Name: "BatchAgeMs", Unit: "Milliseconds" },
    ]);
    expect(emf).toMatchObject({
      service: "fan-out",
      RecordsIn: 5,
      EventsOut: 4,
      FailedEntries: 2,
      SetAsideRecords: 1,
      BatchAgeMs: 1500,
    });
  });
});
