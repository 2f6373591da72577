import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { EventSourceMappingSettings } from "#infra/declaration.ts";
import { localMappingUuid } from "#infra/local/streams/on-failure.ts";
import { streamArnInRegion } from "#infra/local/streams/records.ts";
import { startTestDynamoDb } from "../../helpers/dynamodb.ts";
import { startedForSuite } from "../../helpers/suite.ts";
import {
  idOf,
  onFailureRecords,
  putItems,
  type recordingHandler,
  sequenceOf,
  startMappingOver,
} from "./harness.ts";

const db = startedForSuite(() => startTestDynamoDb());

const FIVE = ["r0", "r1", "r2", "r3", "r4"];

/** A table holding r0..r4 and a mapping reading it in one batch of five, without bisect. */
async function fiveRecords(
  respond: Parameters<typeof recordingHandler>[0],
  bisect = false,
  settings: EventSourceMappingSettings = {},
) {
  return startMappingOver(
    db,
    FIVE,
    { batchSize: 5, bisectBatchOnFunctionError: bisect, maximumRetryAttempts: 3, ...settings },
    respond,
  );
}

const sequenceAt = (event: DynamoDBStreamEvent, i: number) => sequenceOf(event.Records[i] ?? {});

describe("ReportBatchItemFailures", () => {
  it("retries from the reported record, delivering exactly the later records again", async () => {
    // Arrange
    const { recorder, mapping } = await fiveRecords((event, n) =>
      n === 1 ? { batchItemFailures: [{ itemIdentifier: sequenceAt(event, 2) }] } : undefined,
    );

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([FIVE, ["r2", "r3", "r4"]]);
    expect(mapping.stats()).toMatchObject({
      recordsDelivered: 5,
      batches: 2,
      failures: 1,
      batchesGivenUp: 0,
    });
  });

  it("resumes from the lowest of several reported records", async () => {
    // Arrange
    const { recorder, mapping } = await fiveRecords((event, n) =>
      n === 1
        ? {
            batchItemFailures: [
              { itemIdentifier: sequenceAt(event, 3) },
              { itemIdentifier: sequenceAt(event, 1) },
            ],
          }
        : undefined,
    );

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([FIVE, ["r1", "r2", "r3", "r4"]]);
  });

  /** A response as a row gives it: the value, or a function of the delivered event. */
  type BatchResponse = unknown | ((event: DynamoDBStreamEvent) => unknown);
  /** Rows of responses the mapping reads as `verdict`: it delivers `batches` and counts `failures`. */
  const readAs =
    (verdict: string, batches: string[][], failures: number) =>
    (description: string, response: BatchResponse) => ({ description, response, verdict, batches, failures });
  const failing = readAs("a failure of the whole batch", [FIVE, FIVE], 1);
  const succeeding = readAs("success", [FIVE], 0);

  it.each([
    failing("an itemIdentifier not in the batch", { batchItemFailures: [{ itemIdentifier: "999" }] }),
    failing("an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }),
    failing("a number as itemIdentifier", { batchItemFailures: [{ itemIdentifier: 42 }] }),
    failing("a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }),
    failing("an entry without itemIdentifier", { batchItemFailures: [{}] }),
    failing("a misspelt key", { batchItemFailures: [{ itemIdentifer: "1" }] }),
    failing("batchItemFailures that is not a list", { batchItemFailures: "r2" }),
    failing("a bare sequence number string of the batch", (event: DynamoDBStreamEvent) => ({
      batchItemFailures: [sequenceAt(event, 2)],
    })),
    failing("a bare sequence number next to a valid entry", (event: DynamoDBStreamEvent) => ({
      batchItemFailures: [{ itemIdentifier: sequenceAt(event, 3) }, sequenceAt(event, 2)],
    })),
    succeeding("undefined", undefined),
    succeeding("null", null),
    succeeding("{}", {}),
    succeeding("[] as the whole response", []),
    succeeding("an empty list", { batchItemFailures: [] }),
    succeeding("a null list", { batchItemFailures: null }),
  ])("reads $description as $verdict", async ({ response, batches, failures }) => {
    // Arrange
    const { recorder, mapping } = await fiveRecords((event, n) =>
      n === 1 ? (typeof response === "function" ? response(event) : response) : undefined,
    );

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual(batches);
    expect(mapping.stats()).toMatchObject({ recordsDelivered: 5, failures });
  });

  it.each([
    {
      description: "a thrown error",
      respond: (n: number) => {
        if (n === 1) throw new Error("boom");
      },
    },
    {
      description: "a rejected promise",
      respond: (n: number) => (n === 1 ? Promise.reject(new Error("boom")) : undefined),
    },
  ])("retries the whole batch after $description", async ({ respond }) => {
    // Arrange
    const { recorder, mapping } = await fiveRecords((_, n) => respond(n));

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([FIVE, FIVE]);
    expect(mapping.stats().lastError).toMatch(/streams-test failed: Error: boom/);
  });

  it("retries a batch whose handler outlives its timeout", async () => {
    // Arrange
    const { recorder, mapping } = await startMappingOver(
      db,
      ["t0", "t1"],
      { bisectBatchOnFunctionError: false },
      (_, n) => (n === 1 ? new Promise(() => {}) : undefined),
      { timeoutSeconds: 0.3 },
    );

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([
      ["t0", "t1"],
      ["t0", "t1"],
    ]);
    expect(mapping.stats().lastError).toMatch(/LambdaTimeoutError: streams-test timed out after 0.3 s/);
  });
});

describe("without ReportBatchItemFailures", () => {
  const off = { reportBatchItemFailures: false };

  it.each([
    {
      description: "a response naming a record",
      response: (event: DynamoDBStreamEvent) => ({
        batchItemFailures: [{ itemIdentifier: sequenceAt(event, 2) }],
      }),
    },
    {
      description: "an invalid itemIdentifier",
      response: () => ({ batchItemFailures: [{ itemIdentifier: "" }] }),
    },
    { description: "a response that is not an object", response: () => "ok" },
  ])("takes $description as success, since Lambda does not read it", async ({ response }) => {
    // Arrange
    const { recorder, mapping } = await fiveRecords((event) => response(event), false, off);

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([FIVE]);
    expect(mapping.stats()).toMatchObject({ recordsDelivered: 5, failures: 0 });
  });

  it("still retries the whole batch after a thrown error", async () => {
    // Arrange
    const { recorder, mapping } = await fiveRecords(
      (_, n) => {
        if (n === 1) throw new Error("boom");
      },
      false,
      off,
    );

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([FIVE, FIVE]);
    expect(mapping.stats()).toMatchObject({ recordsDelivered: 5, failures: 1 });
  });
});

describe("giving up", () => {
  it("bisects a failing batch until the poison record is alone, delivering every good record", async () => {
    // Arrange
    const ids = ["g0", "g1", "g2", "g3", "g4", "POISON", "g6", "g7"];
    const { table, recorder, mapping } = await startMappingOver(
      db,
      ids,
      { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 },
      (event) => {
        if (event.Records.some((r) => idOf(r) === "POISON")) throw new Error("cannot process POISON");
      },
    );

    // Act
    await mapping.idle();
    await mapping.stop();
    const failures = await onFailureRecords(db.client, table);

    // Assert
    const succeeded = recorder.invocations.filter((e) => !e.Records.some((r) => idOf(r) === "POISON"));
    expect(succeeded.flatMap((e) => e.Records.map(idOf))).toEqual(ids.filter((id) => id !== "POISON"));
    expect(recorder.batches().filter((b) => b.length === 1 && b[0] === "POISON")).toHaveLength(3);
    expect(failures).toHaveLength(1);
    const poison = recorder.invocations.find(
      (e) => e.Records.length === 1 && idOf(e.Records[0] ?? {}) === "POISON",
    );
    expect(failures[0]?.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: sequenceAt(poison as DynamoDBStreamEvent, 0),
      endSequenceNumber: sequenceAt(poison as DynamoDBStreamEvent, 0),
      batchSize: 1,
    });
    expect(failures[0]?.requestContext.condition).toBe("RetryAttemptsExhausted");
    expect(mapping.stats()).toMatchObject({ recordsDelivered: 7, batchesGivenUp: 1, recordsGivenUp: 1 });
  });

  it("describes a batch that ran out of retries to the on-failure destination as AWS does, then moves on", async () => {
    // Arrange
    const { table, recorder, mapping } = await startMappingOver(
      db,
      ["bad-0", "bad-1", "bad-2"],
      { batchSize: 10, bisectBatchOnFunctionError: false, maximumRetryAttempts: 2 },
      (event) => {
        if (event.Records.some((r) => idOf(r).startsWith("bad"))) throw new Error("always fails");
      },
    );

    // Act
    await mapping.idle();
    await putItems(db.client, table, ["good"]);
    await mapping.idle();
    await mapping.stop();
    const failures = await onFailureRecords(db.client, table);

    // Assert
    const bad = recorder.invocations[0] as DynamoDBStreamEvent;
    expect(recorder.batches()).toEqual([
      ["bad-0", "bad-1", "bad-2"],
      ["bad-0", "bad-1", "bad-2"],
      ["bad-0", "bad-1", "bad-2"],
      ["good"],
    ]);
    const arrival = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(failures).toEqual([
      {
        requestContext: {
          requestId: recorder.contexts[2]?.awsRequestId,
          functionArn: recorder.contexts[2]?.invokedFunctionArn,
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        version: "1.0",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: expect.stringMatching(/^shardId-/),
          startSequenceNumber: sequenceAt(bad, 0),
          endSequenceNumber: sequenceAt(bad, 2),
          approximateArrivalOfFirstRecord: arrival,
          approximateArrivalOfLastRecord: arrival,
          batchSize: 3,
          streamArn: streamArnInRegion(mapping.streamArn, "us-east-1"),
        },
      },
    ]);
    expect(JSON.stringify(failures[0])).not.toContain("bad-0");
  });

  it("gives up the records that outlive maximumRecordAgeInSeconds", async () => {
    // Arrange
    let clock = Date.now();
    const { table, recorder, mapping } = await startMappingOver(
      db,
      ["aged"],
      { maximumRetryAttempts: -1, maximumRecordAgeInSeconds: 60, bisectBatchOnFunctionError: false },
      (event) => {
        if (event.Records.some((r) => idOf(r) === "aged")) throw new Error("not yet");
      },
      { now: () => clock },
    );
    await expect.poll(() => recorder.invocations.length, { timeout: 10_000 }).toBeGreaterThan(1);

    // Act
    clock += 120_000;
    await expect.poll(() => mapping.stats().batchesGivenUp, { timeout: 10_000 }).toBe(1);
    clock = Date.now();
    await putItems(db.client, table, ["fresh"]);
    await mapping.idle();
    await mapping.stop();
    const failures = await onFailureRecords(db.client, table);

    // Assert
    expect(failures).toHaveLength(1);
    expect(failures[0]?.requestContext.condition).toBe("RecordAgeExceeded");
    expect(failures[0]?.DDBStreamBatchInfo.batchSize).toBe(1);
    expect(recorder.batches().at(-1)).toEqual(["fresh"]);
    expect(recorder.batches().filter((b) => b.includes("fresh"))).toEqual([["fresh"]]);
  });
});

describe("the local on-failure store", () => {
  it("keeps a given-up batch as the object Lambda writes to S3: its records under payload, at Lambda's key", async () => {
    // Arrange
    const store = mkdtempSync(join(tmpdir(), "ripple-store-test-"));
    const { table, recorder, mapping } = await startMappingOver(
      db,
      ["bad-0", "bad-1"],
      { batchSize: 10, bisectBatchOnFunctionError: false, maximumRetryAttempts: 1 },
      () => {
        throw new Error("always fails");
      },
      { onFailureStore: store },
    );

    try {
      // Act
      await mapping.idle();
      await mapping.stop();
      const files = readdirSync(store, { recursive: true, encoding: "utf8" }).filter((f) =>
        statSync(join(store, f)).isFile(),
      );
      const [failure] = await onFailureRecords(db.client, table);

      // Assert
      const uuid = localMappingUuid("streams-test", table);
      expect(files).toHaveLength(1);
      const key = files[0]!.split(sep).join("/");
      const shardId = failure!.DDBStreamBatchInfo.shardId;
      const day = failure!.timestamp.slice(0, 10);
      expect(key).toMatch(
        new RegExp(
          `^aws/lambda/${uuid}/${shardId}/${day.replaceAll("-", "/")}/${day}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
        ),
      );
      const object = JSON.parse(readFileSync(join(store, files[0]!), "utf8"));
      const { payload, ...invocationRecord } = object;
      expect(invocationRecord).toEqual(failure);
      expect(payload.Records.map(idOf)).toEqual(["bad-0", "bad-1"]);
      expect(payload.Records).toEqual(recorder.invocations.at(-1)!.Records);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});
