import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSourceMappingSettings } from "#infra/declaration.ts";
import { streamArnInRegion } from "#infra/local/streams/records.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import {
  createStreamTable,
  onFailureRecords,
  putItems,
  recordingHandler,
  sequenceOf,
  startTestMapping,
} from "../streams/harness.ts";

/**
 * The local event source mapping against DynamoDB Local, answering as Lambda's validated
 * behaviour for DynamoDB streams answers (docs/parity.md): which batch responses count as
 * success, and the invocation record sent to the on-failure destination, field for field.
 * Settings as in the validated runs: ReportBatchItemFailures on, 3 retries, no bisect.
 */

let db: TestDynamoDb;

beforeAll(async () => {
  db = await startTestDynamoDb();
});

afterAll(async () => {
  await db?.stop();
});

const SETTINGS: EventSourceMappingSettings = {
  batchSize: 3,
  maximumRetryAttempts: 3,
  bisectBatchOnFunctionError: false,
  reportBatchItemFailures: true,
};

/** One record in a fresh table, read by a mapping whose handler answers with `respond`. */
async function oneRecord(
  respond: Parameters<typeof recordingHandler>[0],
  settings: EventSourceMappingSettings = SETTINGS,
  extra: Parameters<typeof startTestMapping>[4] = {},
) {
  const table = await createStreamTable(db.client);
  await putItems(db.client, table, ["hello world"]);
  const recorder = recordingHandler(respond);
  const mapping = await startTestMapping(db, table, settings, recorder.handler, extra);
  return { table, recorder, mapping };
}

describe("batch responses Lambda counts as success", () => {
  it.each([
    { description: "[]", response: [] },
    { description: "null", response: null },
    { description: "{}", response: {} },
    { description: "{ batchItemFailures: [] }", response: { batchItemFailures: [] } },
    { description: "{ batchItemFailures: null }", response: { batchItemFailures: null } },
  ])("delivers once and sends nothing to the destination on $description", async ({ response }) => {
    // Arrange
    const { table, recorder, mapping } = await oneRecord(() => response);

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.invocations).toHaveLength(1);
    expect(mapping.stats()).toMatchObject({ recordsDelivered: 1, failures: 0, batchesGivenUp: 0 });
    expect(await onFailureRecords(db.client, table)).toEqual([]);
  });
});

describe("the on-failure record after retries run out", () => {
  it.each([
    {
      description: "an itemIdentifier that is a number",
      respond: () => ({ batchItemFailures: [{ itemIdentifier: 123 }] }),
      functionError: null,
    },
    {
      description: "an empty itemIdentifier",
      respond: () => ({ batchItemFailures: [{ itemIdentifier: "" }] }),
      functionError: null,
    },
    {
      description: "a null itemIdentifier",
      respond: () => ({ batchItemFailures: [{ itemIdentifier: null }] }),
      functionError: null,
    },
    {
      description: "an entry with a wrong key",
      respond: () => ({ batchItemFailures: [{ foo: 123 }] }),
      functionError: null,
    },
    {
      description: "an entry with a wrong key and a null value",
      respond: () => ({ batchItemFailures: [{ foo: null }] }),
      functionError: null,
    },
    {
      description: "a valid partial failure naming the record",
      respond: (event: { Records: { dynamodb?: { SequenceNumber?: string } }[] }) => ({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event.Records[0] ?? {}) }],
      }),
      functionError: null,
    },
    {
      description: "an unhandled exception",
      respond: () => {
        throw new ZeroDivisionError();
      },
      functionError: "Unhandled",
    },
  ])(
    "after $description: functionError $functionError, 4 invocations",
    async ({ respond, functionError }) => {
      // Arrange
      const { table, recorder, mapping } = await oneRecord(respond as Parameters<typeof recordingHandler>[0]);

      // Act
      await expect.poll(() => mapping.stats().batchesGivenUp, { timeout: 15_000 }).toBe(1);
      await mapping.stop();
      const [record, ...more] = await onFailureRecords(db.client, table);
      const [first] = recorder.invocations[0]?.Records ?? [];

      // Assert
      expect(more).toEqual([]);
      expect(recorder.invocations).toHaveLength(4);
      expect(record).toStrictEqual({
        requestContext: {
          requestId: recorder.contexts[3]?.awsRequestId,
          functionArn: recorder.contexts[3]?.invokedFunctionArn,
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 4,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError },
        version: "1.0",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: expect.stringMatching(/^shardId-/),
          startSequenceNumber: sequenceOf(first ?? {}),
          endSequenceNumber: sequenceOf(first ?? {}),
          approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          batchSize: 1,
          streamArn: streamArnInRegion(mapping.streamArn, "us-east-1"),
        },
      });
    },
  );
});

describe("the on-failure record of a batch too old to process", () => {
  it("counts one invocation and carries no responseContext when the record expired before it was read", async () => {
    // Arrange: the clock says the record is two minutes old when the mapping first reads it.
    const clock = Date.now() + 120_000;

    // Act
    const { table, recorder, mapping } = await oneRecord(
      () => undefined,
      { ...SETTINGS, maximumRetryAttempts: 0, maximumRecordAgeInSeconds: 60 },
      { now: () => clock },
    );
    await expect.poll(() => mapping.stats().batchesGivenUp, { timeout: 15_000 }).toBe(1);
    await mapping.stop();
    const [record] = await onFailureRecords(db.client, table);

    // Assert
    expect(recorder.invocations).toHaveLength(0);
    expect(record?.requestContext).toMatchObject({
      condition: "RecordAgeExceeded",
      approximateInvokeCount: 1,
    });
    expect(record !== undefined && "responseContext" in record).toBe(false);
  });

  it("counts the invocations made and carries no responseContext when the record expired while retrying", async () => {
    // Arrange
    let clock = Date.now();
    const { table, recorder, mapping } = await oneRecord(
      () => {
        throw new Error("not yet");
      },
      { ...SETTINGS, maximumRetryAttempts: -1, maximumRecordAgeInSeconds: 60 },
      { now: () => clock },
    );
    await expect.poll(() => recorder.invocations.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    // Act
    clock += 120_000;
    await expect.poll(() => mapping.stats().batchesGivenUp, { timeout: 15_000 }).toBe(1);
    await mapping.stop();
    const [record] = await onFailureRecords(db.client, table);

    // Assert
    expect(record?.requestContext.condition).toBe("RecordAgeExceeded");
    expect(record?.requestContext.approximateInvokeCount).toBe(recorder.invocations.length);
    expect(record !== undefined && "responseContext" in record).toBe(false);
  });
});

/** What Python's `1 / 0` raises in the validated runs' handler. */
class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
  constructor() {
    super("division by zero");
  }
}
