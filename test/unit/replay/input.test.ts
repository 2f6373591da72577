import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ReplayInputError } from "#infra/replay/errors.ts";
import { readOnFailureObject, readRecords } from "#infra/replay/input.ts";
import { orderRecords, redeliveryStart, seededRandom, toBatches } from "#infra/replay/plan.ts";
import { loadStreamEvent, loadStreamRecord, loadStreamRecords } from "../../helpers/events.ts";

const declared = new Set(["PetStore", "parking-data"]);

describe("reading recorded stream records", () => {
  it.each([
    {
      description: "JSONL, one record per line",
      name: "rec.jsonl",
      text: () =>
        loadStreamRecords("PetStore/insert.json", "PetStore/modify.json")
          .map((r) => JSON.stringify(r))
          .join("\n"),
    },
    {
      description: "a Lambda event",
      name: "event.json",
      text: () => JSON.stringify(loadStreamEvent("PetStore/insert.json")),
    },
    {
      description: "an S3 on-failure object whose payload is the event as text",
      name: "s3-object.json",
      text: () =>
        JSON.stringify({
          requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 },
          version: "1.0",
          DDBStreamBatchInfo: { shardId: "shardId-1", batchSize: 1 },
          payload: JSON.stringify(loadStreamEvent("PetStore/insert.json")),
        }),
    },
    {
      description: "an S3 on-failure object whose payload is the event itself",
      name: "s3-object-inline.json",
      text: () => JSON.stringify({ version: "1.0", payload: loadStreamEvent("PetStore/insert.json") }),
    },
  ])("reads $description", ({ name, text }) => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), "ripple-replay-read-"));
    writeFileSync(join(dir, name), text());

    // Act
    const records = readRecords([join(dir, name)], declared);

    // Assert
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.table === "PetStore")).toBe(true);
    expect(records[0]?.record.dynamodb?.SequenceNumber).toBe(
      loadStreamRecord("PetStore/insert.json").dynamodb?.SequenceNumber,
    );
  });

  it("reads every .json and .jsonl under a folder, in name order, and nothing else", () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), "ripple-replay-dir-"));
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "b", "2.json"), JSON.stringify(loadStreamEvent("PetStore/modify.json")));
    writeFileSync(join(dir, "a.jsonl"), JSON.stringify(loadStreamRecord("PetStore/insert.json")));
    writeFileSync(join(dir, "notes.txt"), "not a record");

    // Act
    const records = readRecords([dir], declared);

    // Assert
    expect(records.map((r) => r.record.eventName)).toEqual(["INSERT", "MODIFY"]);
    expect(records[0]?.where).toMatch(/a\.jsonl:1$/);
  });
});

describe("reading on-failure objects", () => {
  const sample = fileURLToPath(new URL("../../../events/on-failure/", import.meta.url));

  it("finds the objects Lambda writes to an S3 on-failure bucket in a folder by their key, with no extension", () => {
    // Act
    const records = readRecords([sample], declared);

    // Assert
    expect(records.map((r) => r.record.dynamodb?.Keys?.carParkId?.S)).toEqual([
      "cp-harbour",
      "cp-station",
      "cp-harbour",
    ]);
    expect(records.every((r) => r.table === "parking-data")).toBe(true);
    expect(records[0]?.where).toMatch(/aws\/lambda\/.+\/2025-11-30T16\.41\.07-[0-9a-f-]{36} record 1$/);
  });

  it.each([
    {
      description: "a Lambda event",
      text: JSON.stringify(loadStreamEvent("PetStore/insert.json")),
      message: "not an on-failure object",
    },
    {
      description: "an SQS destination's record, which holds no records",
      text: JSON.stringify({ version: "1.0", DDBStreamBatchInfo: { shardId: "shardId-1" } }),
      message: "not an on-failure object",
    },
    { description: "text that is not JSON", text: "{", message: "not JSON" },
  ])("refuses $description where an on-failure object is expected, naming it", ({ text, message }) => {
    // Act
    const read = () => readOnFailureObject(text, "s3://bucket/aws/lambda/x", declared);

    // Assert
    expect(read).toThrow(ReplayInputError);
    expect(read).toThrow(new RegExp(`^s3://bucket/aws/lambda/x: ${message}`));
  });
});

describe("the order a replay delivers in", () => {
  const records = loadStreamRecords(
    "parking-data/insert.json",
    "parking-data/modify.json",
    "PetStore/insert.json",
    "PetStore/modify.json",
    "PetStore/remove.json",
  ).map((record, i) => ({
    record,
    table: record.eventSourceARN?.includes("PetStore") ? "PetStore" : "parking-data",
    where: `r${i}`,
  }));
  const sequenceOf = (r: (typeof records)[number]) => BigInt(r.record.dynamodb?.SequenceNumber ?? "0");

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "keeps each item's changes in sequence order when shuffled (seed %i)",
    (seed) => {
      // Act
      const ordered = orderRecords([...records].reverse(), seededRandom(seed));

      // Assert
      expect(ordered).toHaveLength(records.length);
      for (const table of ["PetStore", "parking-data"]) {
        const mine = ordered.filter((r) => r.table === table).map(sequenceOf);
        expect(mine).toEqual([...mine].sort((a, b) => (a < b ? -1 : 1)));
      }
    },
  );

  it("keeps the input's places when not shuffled, swapping only an item's own records", () => {
    // Act
    const ordered = orderRecords([records[1]!, records[2]!, records[0]!]);

    // Assert: the car park's two records swap places, the pet stays in the middle
    expect(ordered.map((r) => r.where)).toEqual(["r0", "r2", "r1"]);
  });

  it("cuts batches at a change of table and at the batch size", () => {
    // Act
    const batches = toBatches(records, (table) => (table === "PetStore" ? 2 : 100));

    // Assert
    expect(batches.map((b) => b.map((r) => r.where))).toEqual([["r0", "r1"], ["r2", "r3"], ["r4"]]);
  });

  it("resends a batch from a record on with the asked chance, and never at 0", () => {
    // Arrange
    const random = seededRandom(3);

    // Act
    const never = Array.from({ length: 100 }, () => redeliveryStart(10, 0, random));
    const always = redeliveryStart(10, 1, random);

    // Assert
    expect(never.every((x) => x === undefined)).toBe(true);
    expect(always).toBe(0);
  });
});
