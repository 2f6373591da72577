import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DeclarationError } from "#infra/errors.ts";
import { InvalidFilterCriteriaError, StreamNotEnabledError } from "#infra/local/streams/errors.ts";
import { streamArnInRegion } from "#infra/local/streams/records.ts";
import { startTestDynamoDb } from "../../helpers/dynamodb.ts";
import { startedForSuite } from "../../helpers/suite.ts";
import {
  createStreamTable,
  deleteItem,
  idOf,
  putItems,
  recordingHandler,
  SET_ASIDE_TABLE,
  sequenceOf,
  startTestMapping,
} from "./harness.ts";

const db = startedForSuite(() => startTestDynamoDb());

describe("delivery", () => {
  it("delivers records in the shape Lambda delivers them", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { id: { S: "a" }, price: { N: "1.50" }, blob: { B: Buffer.from("hi") }, ok: { BOOL: true } },
      }),
    );
    await db.client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { id: { S: "a" } },
        UpdateExpression: "SET price = :p",
        ExpressionAttributeValues: { ":p": { N: "2" } },
      }),
    );
    await deleteItem(db.client, table, "a");
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, {}, recorder.handler);

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    const records = recorder.invocations.flatMap((e) => e.Records);
    const common = {
      eventID: expect.any(String),
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      eventSourceARN: streamArnInRegion(mapping.streamArn, "us-east-1"),
    };
    const dynamodb = {
      ApproximateCreationDateTime: expect.any(Number),
      Keys: { id: { S: "a" } },
      SequenceNumber: expect.stringMatching(/^\d+$/),
      SizeBytes: expect.any(Number),
      StreamViewType: "NEW_IMAGE",
    };
    /** A record of item "a" written with `price`, its binary as base64 (as Lambda's JSON has it). */
    const written = (eventName: "INSERT" | "MODIFY", price: string) => ({
      ...common,
      eventName,
      dynamodb: {
        ...dynamodb,
        NewImage: {
          id: { S: "a" },
          price: { N: price },
          blob: { B: Buffer.from("hi").toString("base64") },
          ok: { BOOL: true },
        },
      },
    });
    expect(records).toEqual([
      written("INSERT", "1.5"),
      written("MODIFY", "2"),
      { ...common, eventName: "REMOVE", dynamodb },
    ]);
    const created = records[0]?.dynamodb?.ApproximateCreationDateTime ?? 0;
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(600);
    expect(recorder.contexts[0]).toMatchObject({
      functionName: "streams-test",
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      invokedFunctionArn: expect.stringMatching(/^arn:aws:lambda:[^:]+:\d{12}:function:streams-test$/),
    });
  });

  it("delivers every change of an item in the order it was made", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, { batchSize: 3 }, recorder.handler);

    // Act
    for (let version = 1; version <= 12; version++) {
      await db.client.send(
        new PutItemCommand({
          TableName: table,
          Item: { id: { S: "same" }, version: { N: String(version) } },
        }),
      );
    }
    await mapping.idle();
    await mapping.stop();

    // Assert
    const versions = recorder.invocations.flatMap((e) =>
      e.Records.map((r) => r.dynamodb?.NewImage?.version?.N),
    );
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    const sequences = recorder.invocations.flatMap((e) => e.Records.map((r) => BigInt(sequenceOf(r))));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
  });

  it("delivers no batch larger than batchSize", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    await putItems(
      db.client,
      table,
      Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, "0")}`),
    );
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, { batchSize: 10 }, recorder.handler);

    // Act
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches().map((b) => b.length)).toEqual([10, 10, 5]);
    expect(recorder.batches().flat()).toEqual(
      Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, "0")}`),
    );
  });

  it("gathers records written within the batching window into one batch", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    const recorder = recordingHandler();
    const mapping = await startTestMapping(
      db,
      table,
      { batchSize: 100, maximumBatchingWindowInSeconds: 2 },
      recorder.handler,
    );

    // Act
    await putItems(db.client, table, ["w1", "w2", "w3", "w4", "w5"]);
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches()).toEqual([["w1", "w2", "w3", "w4", "w5"]]);
  });

  it("starts after the records already in the stream with startingPosition LATEST", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    await putItems(db.client, table, ["old-1", "old-2"]);
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, { startingPosition: "LATEST" }, recorder.handler);

    // Act
    await putItems(db.client, table, ["new-1"]);
    await mapping.idle();
    await mapping.stop();

    // Assert
    expect(recorder.batches().flat()).toEqual(["new-1"]);
  });

  it("delivers a TTL deletion as a REMOVE made by the DynamoDB service", async () => {
    // Arrange
    const table = await createStreamTable(db.client, { ttl: "expiresAt" });
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, {}, recorder.handler);

    // Act
    await putItems(db.client, table, ["expired"], {
      expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) },
    });
    await expect
      .poll(() => recorder.invocations.flatMap((e) => e.Records).length, { timeout: 30_000 })
      .toBe(2);
    await mapping.stop();

    // Assert
    const [insert, removal] = recorder.invocations.flatMap((e) => e.Records);
    expect(insert?.eventName).toBe("INSERT");
    expect(insert?.userIdentity).toBeUndefined();
    expect(removal).toMatchObject({
      eventName: "REMOVE",
      dynamodb: { Keys: { id: { S: "expired" } } },
      userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" },
    });
    expect(removal?.dynamodb?.NewImage).toBeUndefined();
  });

  it("resumes after the last handled record when restarted with the same checkpoint file", async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), "ripple-streams-"));
    const checkpointFile = join(dir, "checkpoints", "mapping.json");
    const table = await createStreamTable(db.client);
    const first = recordingHandler();
    const second = recordingHandler();
    try {
      await putItems(db.client, table, ["before-1", "before-2", "before-3"]);
      const mapping = await startTestMapping(db, table, {}, first.handler, { checkpointFile });
      await mapping.idle();
      await mapping.stop();

      // Act
      await putItems(db.client, table, ["after-1", "after-2"]);
      const restarted = await startTestMapping(db, table, {}, second.handler, { checkpointFile });
      await restarted.idle();
      await restarted.stop();

      // Assert
      expect(first.batches().flat()).toEqual(["before-1", "before-2", "before-3"]);
      expect(second.batches().flat()).toEqual(["after-1", "after-2"]);
      const saved = JSON.parse(await readFile(checkpointFile, "utf8"));
      expect(saved).toMatchObject({ version: 1, streamArn: restarted.streamArn });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("stops promptly while a handler is still running", async () => {
    // Arrange
    const table = await createStreamTable(db.client);
    await putItems(db.client, table, ["slow"]);
    let started = false;
    const mapping = await startTestMapping(
      db,
      table,
      {},
      () => {
        started = true;
        return new Promise(() => {});
      },
      { timeoutSeconds: 600 },
    );
    await expect.poll(() => started, { timeout: 10_000 }).toBe(true);

    // Act
    await mapping.stop();

    // Assert
    expect(mapping.stats()).toMatchObject({ state: "stopped", batches: 1, recordsDelivered: 0 });
  });

  it("refuses a table without a stream", async () => {
    // Arrange
    const table = SET_ASIDE_TABLE;

    // Act
    const starting = startTestMapping(db, table, {}, recordingHandler().handler);

    // Assert
    await expect(starting).rejects.toThrow(StreamNotEnabledError);
    await expect(starting).rejects.toThrow(/declare stream: "NEW_IMAGE"/);
  });
});

describe("filter criteria", () => {
  it.each([
    {
      description: "eventName INSERT keeps inserts only",
      pattern: { eventName: ["INSERT"] },
      expected: ["open:INSERT", "closed:INSERT", "count:INSERT", "flag:INSERT"],
    },
    {
      description: "a string value on NewImage keeps matching items only",
      pattern: { dynamodb: { NewImage: { status: { S: ["OPEN"] } } } },
      expected: ["open:INSERT", "open:MODIFY"],
    },
    {
      description: "a numeric filter never matches an N value, which is a string in the record",
      pattern: { dynamodb: { NewImage: { count: { N: [{ numeric: [">", 5] }] } } } },
      expected: [],
    },
    {
      description: "an N value matches its string form",
      pattern: { dynamodb: { NewImage: { count: { N: ["10"] } } } },
      expected: ["count:INSERT"],
    },
    {
      description: "a BOOL matches a JSON boolean",
      pattern: { dynamodb: { NewImage: { flag: { BOOL: [true] } } } },
      expected: ["flag:INSERT"],
    },
    {
      description: "a REMOVE carries only Keys, so a NewImage filter drops it",
      pattern: { eventName: ["REMOVE"], dynamodb: { NewImage: { status: { S: ["OPEN"] } } } },
      expected: [],
    },
  ])("delivers only what the pattern matches: $description", async ({ pattern, expected }) => {
    // Arrange
    const table = await createStreamTable(db.client);
    const recorder = recordingHandler();
    const mapping = await startTestMapping(db, table, { filterPatterns: [pattern] }, recorder.handler);

    // Act
    await putItems(db.client, table, ["open"], { status: { S: "OPEN" } });
    await putItems(db.client, table, ["closed"], { status: { S: "CLOSED" } });
    await putItems(db.client, table, ["count"], { count: { N: "10" } });
    await putItems(db.client, table, ["flag"], { flag: { BOOL: true } });
    await putItems(db.client, table, ["open"], { status: { S: "OPEN" }, note: { S: "again" } });
    await deleteItem(db.client, table, "closed");
    await mapping.idle();
    await mapping.stop();

    // Assert
    const delivered = recorder.invocations.flatMap((e) => e.Records.map((r) => `${idOf(r)}:${r.eventName}`));
    expect(delivered).toEqual(expected);
    expect(mapping.stats()).toMatchObject({ recordsRead: 6, recordsFiltered: 6 - expected.length });
  });

  it("consumes filtered-out records so a restart does not read them again", async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), "ripple-streams-"));
    const checkpointFile = join(dir, "mapping.json");
    const table = await createStreamTable(db.client);
    const settings = { filterPatterns: [{ eventName: ["REMOVE"] }] };
    try {
      await putItems(db.client, table, ["x", "y"]);
      const mapping = await startTestMapping(db, table, settings, recordingHandler().handler, {
        checkpointFile,
      });
      await mapping.idle();
      await mapping.stop();

      // Act
      const restarted = await startTestMapping(db, table, settings, recordingHandler().handler, {
        checkpointFile,
      });
      await restarted.idle();
      await restarted.stop();

      // Assert
      expect(restarted.stats()).toMatchObject({ recordsRead: 0, recordsFiltered: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    {
      description: "more filters than Lambda takes",
      filterPatterns: Array.from({ length: 6 }, () => ({ eventName: ["INSERT"] })),
      message: /filterPatterns holds 6 patterns, over the 5 filters Lambda takes/,
    },
    {
      description: "a filter pattern longer than Lambda takes",
      filterPatterns: [{ eventName: ["INSERT", "x".repeat(4096)] }],
      message: /filterPatterns\[0\] is 4123 characters as JSON, over the 4096 Lambda takes/,
    },
  ])("refuses to start with $description", async ({ filterPatterns, message }) => {
    // Arrange
    const table = await createStreamTable(db.client);

    // Act
    const starting = startTestMapping(db, table, { filterPatterns }, recordingHandler().handler);

    // Assert
    await expect(starting).rejects.toThrow(DeclarationError);
    await expect(starting).rejects.toThrow(message);
  });

  it("refuses a pattern Lambda would refuse, naming it", async () => {
    // Arrange
    const table = await createStreamTable(db.client);

    // Act
    const starting = startTestMapping(
      db,
      table,
      { filterPatterns: [{ eventName: "INSERT" }] },
      recordingHandler().handler,
    );

    // Assert
    await expect(starting).rejects.toThrow(InvalidFilterCriteriaError);
    await expect(starting).rejects.toThrow(/filterPatterns\[0\] \{"eventName":"INSERT"\}/);
  });
});
