import { BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

let api: ApiHarness;
const USER = "pager";
const ENTRIES = 250;

/** Entry `i`: one an hour from 2025-01-01T00:00Z, so entry 249 is the latest. */
const timestampOf = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString();

beforeAll(async () => {
  api = await startApiHarness();
  await api.request("POST", "/users", { body: { userId: USER, name: "Pager" } });
  const table = pipeline.tables.carbonEntries!.tableName;
  for (let start = 0; start < ENTRIES; start += 25) {
    const items = Array.from({ length: 25 }, (_, k) => ({
      PutRequest: {
        Item: marshall({
          userId: USER,
          timestamp: timestampOf(start + k),
          category: "food",
          activity: "lunch",
          kgCO2e: 1,
        }),
      },
    }));
    await api.dynamo.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
  }
});

afterAll(async () => {
  await api?.stop();
});

async function readAll(query: string): Promise<{ timestamps: string[]; pages: number[] }> {
  const timestamps: string[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const suffix = token === undefined ? "" : `&nextToken=${encodeURIComponent(token)}`;
    const response = await api.request("GET", `/users/${USER}/entries?${query}${suffix}`);
    expect(response.status).toBe(200);
    timestamps.push(...response.json.entries.map((e: { timestamp: string }) => e.timestamp));
    pages.push(response.json.count);
    token = response.json.nextToken;
  } while (token !== undefined);
  return { timestamps, pages };
}

describe("CarbonTrack entry listing pages", () => {
  it("reads past the first 100 entries, latest first, each entry once", async () => {
    // Act
    const { timestamps, pages } = await readAll("limit=100");

    // Assert
    expect(pages.slice(0, 3)).toEqual([100, 100, 50]);
    expect(timestamps).toEqual(Array.from({ length: ENTRIES }, (_, i) => timestampOf(ENTRIES - 1 - i)));
  });

  it("pages within a date range", async () => {
    // Act: 2025-01-03 and 2025-01-04 hold entries 48 to 95
    const { timestamps } = await readAll("limit=30&from=2025-01-03&to=2025-01-04");

    // Assert
    expect(timestamps).toEqual(Array.from({ length: 48 }, (_, i) => timestampOf(95 - i)));
  });

  it.each([
    { description: "an altered token", alter: (t: string) => `${t.slice(0, -2)}xx` },
    { description: "a token cut short", alter: (t: string) => t.slice(0, 10) },
    { description: "text that never was a token", alter: () => "bm90IGEgdG9rZW4" },
  ])("refuses $description with a 400 naming nextToken", async ({ alter }) => {
    // Arrange
    const first = await api.request("GET", `/users/${USER}/entries?limit=5`);
    const token = alter(first.json.nextToken as string);

    // Act
    const response = await api.request(
      "GET",
      `/users/${USER}/entries?limit=5&nextToken=${encodeURIComponent(token)}`,
    );

    // Assert
    expect(response.status).toBe(400);
    expect(response.text).toContain("query.nextToken");
    expect(response.text).toContain("pass the nextToken of the previous response unchanged");
  });

  it("refuses a token given with another range than the one that produced it", async () => {
    // Arrange
    const first = await api.request("GET", `/users/${USER}/entries?limit=5&from=2025-01-03`);

    // Act
    const response = await api.request(
      "GET",
      `/users/${USER}/entries?limit=5&from=2025-01-02&nextToken=${encodeURIComponent(first.json.nextToken)}`,
    );

    // Assert
    expect(response.status).toBe(400);
    expect(response.text).toContain("belongs to another listing or range");
  });

  it("answers no nextToken on the last page", async () => {
    // Act
    const response = await api.request("GET", `/users/${USER}/entries?limit=100&from=2025-01-11`);

    // Assert
    expect(response.json.count).toBe(10);
    expect(response.json.nextToken).toBeUndefined();
  });
});
