import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { readAggregate } from "#commons/aggregates.ts";
import { AggregateContentionError } from "#commons/errors.ts";
import { readModifyWrite } from "#commons/read-modify-write.ts";
import { createPkSkTable, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";

const TABLE = "read-modify-write-test";
/** Writers racing on one item at once: far more than 8 lost races for the last of them. */
const WRITERS = 40;

let dynamo: TestDynamoDb;

beforeAll(async () => {
  dynamo = await startTestDynamoDb({ createTables: false });
  await createPkSkTable(dynamo.client, TABLE);
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

const CountSchema = z.object({ writers: z.array(z.string()) });

/** Writer `n` adds itself to the item's list once (a second delivery changes nothing). */
const addWriter = (sk: string, n: number, limit: { remainingTimeMs?: () => number; maxAttempts?: number }) =>
  readModifyWrite(dynamo.client, {
    tableName: TABLE,
    key: { pk: "race", sk },
    decode: (item) => CountSchema.parse(item),
    apply: (current) =>
      current?.writers.includes(`w${n}`) ? undefined : { writers: [...(current?.writers ?? []), `w${n}`] },
    encode: (value) => value,
    ...limit,
  });

describe("readModifyWrite with many writers racing on one item", () => {
  it("applies every writer's change while the invocation's time remains, however many races each loses", async () => {
    // Arrange: each writer is an invocation with a minute and a half left.
    const deadline = Date.now() + 90_000;
    const remainingTimeMs = () => deadline - Date.now();

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, n) => addWriter("timed", n, { remainingTimeMs })),
    );

    // Assert
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    const stored = await readAggregate(dynamo.client, TABLE, { pk: "race", sk: "timed" }, CountSchema);
    expect(stored?.writers.toSorted()).toEqual(Array.from({ length: WRITERS }, (_, n) => `w${n}`).toSorted());
  }, 120_000);

  it("gives up with AggregateContentionError, naming the item and the fix, once too little time is left", async () => {
    // Arrange: invocations with half a second left, under the time kept in hand for an attempt.
    const remainingTimeMs = () => 500;

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, n) => addWriter("late", n, { remainingTimeMs })),
    );

    // Assert: the race's winners wrote; the others gave up at once instead of running past the timeout.
    const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((e) => e instanceof AggregateContentionError)).toBe(true);
    expect(String((failures[0] as Error).message)).toMatch(
      /aggregate \{"pk":"race","sk":"late"\} in read-modify-write-test changed under 1 attempt in \d+ ms.*aggregateShards/,
    );
    const stored = await readAggregate(dynamo.client, TABLE, { pk: "race", sk: "late" }, CountSchema);
    expect(stored?.writers.length).toBe(WRITERS - failures.length);
  });

  it("without an invocation, gives up after maxAttempts lost races", async () => {
    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, n) => addWriter("script", n, { maxAttempts: 1 })),
    );

    // Assert
    const failures = outcomes.filter((o) => o.status === "rejected");
    expect(failures.length).toBeGreaterThan(0);
    expect(String((failures[0] as PromiseRejectedResult).reason)).toMatch(/every one of 1 attempts/);
  });
});
