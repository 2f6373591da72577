import { BatchWriteItemCommand, GetItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

/**
 * A burst of 400 entries for one CarbonTrack user, written straight into the table with
 * BatchWriteItem from 8 writers at once, on the whole local runtime: every one of those events
 * rewrites the same user's summary in carbon-stats and in achievements. None may end in a dead
 * letter, and the statistics must count every entry exactly.
 */

const USER = "busy-user";
const ENTRIES = 400;
const WRITERS = 8;

/** Entry `i`: four a day from 2025-01-01, amounts with three decimals. */
function entry(i: number) {
  const day = new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 4) * 86_400_000).toISOString().slice(0, 10);
  return {
    userId: USER,
    timestamp: `${day}T${String(6 + (i % 4) * 4).padStart(2, "0")}:00:00.000Z`,
    category: ["transport", "energy", "food", "waste"][i % 4]!,
    activity: "burst",
    kgCO2e: `${(i % 9) + 1}.${String((i * 37) % 1000).padStart(3, "0")}`,
  };
}

/** The exact total in thousandths, by the test's own arithmetic. */
function expectedTotal(): string {
  let thousandths = 0n;
  for (let i = 0; i < ENTRIES; i++) thousandths += BigInt(entry(i).kgCO2e.replace(".", ""));
  const text = thousandths.toString().padStart(4, "0");
  return `${text.slice(0, -3)}.${text.slice(-3)}`.replace(/0+$/, "").replace(/\.$/, "");
}

describe("a burst of one user's entries", () => {
  let runtime: Runtime;
  const counter = (name: string) => runtime.stats().rows.find((row) => row.name === name)?.value ?? 0;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await fetch(`${runtime.endpoints.api}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: USER, name: "Busy" }),
    });
    const batches: WriteRequest[][] = [];
    for (let start = 0; start < ENTRIES; start += 25) {
      batches.push(
        Array.from({ length: 25 }, (_, k) => ({ PutRequest: { Item: marshall(entry(start + k)) } })),
      );
    }
    const table = pipeline.tables.carbonEntries!.tableName;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let b = writer; b < batches.length; b += WRITERS) {
          let pending: Record<string, WriteRequest[]> | undefined = { [table]: batches[b]! };
          while (pending !== undefined && Object.keys(pending).length > 0) {
            pending = (await runtime.dynamodb.send(new BatchWriteItemCommand({ RequestItems: pending })))
              .UnprocessedItems;
          }
        }
      }),
    );
    // Every record handed to the fan-out, then every event consumed.
    const deadline = Date.now() + 120_000;
    while (counter("carbontrack-entries: records delivered to fan-out") < ENTRIES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await runtime.settled({ timeoutMs: 300_000 });
  }, 420_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("sends no event of carbon-stats or achievements to a dead letter", () => {
    // Assert
    expect(counter("carbon-stats: dead letters")).toBe(0);
    expect(counter("achievements: dead letters")).toBe(0);
    expect(counter("achievements: runs")).toBeGreaterThanOrEqual(ENTRIES);
  });

  it("counts every entry exactly, and the audit agrees", async () => {
    // Act
    const { Item } = await runtime.dynamodb.send(
      new GetItemCommand({
        TableName: pipeline.tables.carbonUsers!.tableName,
        Key: marshall({ userId: USER }),
        ConsistentRead: true,
      }),
    );

    // Assert
    const { stats } = unmarshall(Item ?? {});
    expect(stats.entryCount).toBe(ENTRIES);
    expect(stats.totalKgCO2e).toBe(expectedTotal());
    expect(stats.longestStreakDays).toBe(ENTRIES / 4);
    expect(await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}))).toEqual([]);
  });
});
