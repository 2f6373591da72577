import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import type { CarbonEntry, EmissionCategory } from "#schemas/carbon.ts";
import { seededShuffle } from "../helpers/domain-events.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

/**
 * One CarbonTrack user's history posted through the API of the whole local runtime, every event
 * delivered twice and late by up to 300 ms (so out of order), with items written around the API
 * beside it — malformed ones that must cost only themselves, and amounts beyond a double's
 * precision. The statistics and achievements are checked against the test's own arithmetic.
 */

const USER = "history";
const ENTRIES_TABLE = pipeline.tables.carbonEntries!.tableName;

/** Exact decimal arithmetic of the test's own: amounts as BigInt millionths of a kilogram and beyond. */
const SCALE = 25;
function scaled(text: string): bigint {
  const [whole = "0", fraction = ""] = text.split(".");
  return BigInt(whole + fraction.padEnd(SCALE, "0"));
}
function plain(units: bigint): string {
  const digits = units.toString().padStart(SCALE + 1, "0");
  const text = `${digits.slice(0, -SCALE)}.${digits.slice(-SCALE)}`.replace(/0+$/, "").replace(/\.$/, "");
  return text;
}

/** What the test posts of an entry (its activity is always "logged"), typed as the table holds it. */
type Posted = Pick<CarbonEntry, "timestamp" | "category" | "kgCO2e">;

/** 60 days from 2025-10-10 to 2025-12-08, without 2025-10-20 and 2025-11-01: 73 entries. */
function history(): Posted[] {
  const posted: Posted[] = [];
  const categories: readonly EmissionCategory[] = ["transport", "energy", "food", "shopping"];
  for (let d = 0; d < 60; d++) {
    const day = new Date(Date.UTC(2025, 9, 10) + d * 86_400_000).toISOString().slice(0, 10);
    if (day === "2025-10-20" || day === "2025-11-01") continue;
    const perDay = d % 4 === 0 ? 2 : 1;
    for (let k = 0; k < perDay; k++) {
      // October heavier than November, so November's total comes in under October's.
      const amount =
        day < "2025-11" ? `${(d % 5) + 2}.${((d * 7 + k) % 999) + 1}` : `0.${((d * 13 + k) % 999) + 1}`;
      posted.push({
        timestamp: `${day}T${String(8 + k * 9).padStart(2, "0")}:15:00.000Z`,
        category: categories[(d + k) % categories.length]!,
        kgCO2e: amount,
      });
    }
  }
  return posted;
}

let runtime: Runtime;
const posted = history();

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${runtime.endpoints.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** An entry written straight into the table, as an import or a script would. */
async function putAround(item: Record<string, unknown>): Promise<void> {
  await runtime.dynamodb.send(new PutItemCommand({ TableName: ENTRIES_TABLE, Item: item as never }));
}

async function profileStats(userId: string): Promise<Record<string, unknown> | undefined> {
  const got = await runtime.dynamodb.send(
    new GetItemCommand({
      TableName: pipeline.tables.carbonUsers!.tableName,
      Key: { userId: { S: userId } },
      ConsistentRead: true,
    }),
  );
  return got.Item === undefined ? undefined : (unmarshall(got.Item).stats as Record<string, unknown>);
}

/** The expected statistics, by the test's own arithmetic over what it wrote. */
function expectedStats(entries: readonly Posted[]) {
  const sum = (list: readonly Posted[]) => plain(list.reduce((s, e) => s + scaled(e.kgCO2e), 0n));
  const group = (key: (e: Posted) => string) => {
    const groups = new Map<string, Posted[]>();
    for (const e of entries) groups.set(key(e), [...(groups.get(key(e)) ?? []), e]);
    return new Map([...groups].map(([k, list]) => [k, sum(list)]));
  };
  const byDay = group((e) => e.timestamp.slice(0, 10));
  const days = [...byDay.keys()].sort();
  const last = days[days.length - 1]!;
  const windowStart = new Date(Date.parse(`${last}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
  let run = 0;
  let longest = 0;
  let previous: number | undefined;
  for (const day of days) {
    const t = Date.parse(`${day}T00:00:00Z`);
    run = previous !== undefined && t - previous === 86_400_000 ? run + 1 : 1;
    longest = Math.max(longest, run);
    previous = t;
  }
  return {
    totalKgCO2e: sum(entries),
    entryCount: entries.length,
    byCategory: Object.fromEntries(group((e) => e.category)),
    byDay: Object.fromEntries([...byDay].filter(([day]) => day >= windowStart)),
    byMonth: Object.fromEntries(group((e) => e.timestamp.slice(0, 7))),
    currentStreakDays: run,
    longestStreakDays: longest,
    lastEntryDate: last,
  };
}

beforeAll(async () => {
  runtime = await startTestRuntime({ chaos: { duplicate: true, maxDelayMs: 300 } });
  await call("POST", "/users", { userId: USER, name: "History" });
  await call("POST", "/users", { userId: "exact", name: "Exact" });
  const order = seededShuffle(posted, 11);
  const half = Math.floor(order.length / 2);
  for (const e of order.slice(0, half)) {
    await call("POST", `/users/${USER}/entries`, { ...e, activity: "logged" });
  }
  // Written around the API, between the user's valid entries: each must cost only itself.
  const base = { userId: { S: USER }, category: { S: "food" }, activity: { S: "import" } };
  await putAround({ ...base, timestamp: { S: "2025-11-05T10:00:00.000Z" }, kgCO2e: { S: "2.5kg" } });
  await putAround({ ...base, timestamp: { S: "yesterday" }, kgCO2e: { N: "1" } });
  await putAround({ ...base, timestamp: { S: "2025-11-06T10:00:00.000Z" }, kgCO2e: { BOOL: true } });
  for (const e of order.slice(half)) {
    await call("POST", `/users/${USER}/entries`, { ...e, activity: "logged" });
  }
  // Amounts beyond a double's precision and in exponent form, written with the SDK.
  const exact = { userId: { S: "exact" }, category: { S: "energy" }, activity: { S: "meter" } };
  await putAround({
    ...exact,
    timestamp: { S: "2025-11-01T08:00:00.000Z" },
    kgCO2e: { N: "0.1234567890123456789" },
  });
  await putAround({ ...exact, timestamp: { S: "2025-11-02T08:00:00.000Z" }, kgCO2e: { N: "1" } });
  await putAround({ ...exact, timestamp: { S: "2025-11-03T08:00:00.000Z" }, kgCO2e: { N: "1E-7" } });
  await runtime.settled({ timeoutMs: 120_000 });
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
});

describe("CarbonTrack statistics through the whole local runtime, duplicated and shuffled", () => {
  it("equal the test's own recomputation of the valid entries, the malformed ones left out", async () => {
    // Act
    const stats = await profileStats(USER);

    // Assert
    expect(stats).toMatchObject(expectedStats(posted));
    expect(stats?.byMonth).toEqual(expectedStats(posted).byMonth);
    expect(stats?.byDay).toEqual(expectedStats(posted).byDay);
  });

  it("unlocks each achievement the entries meet, once, at the time of an entry", async () => {
    // Act
    const result = await runtime.dynamodb.send(
      new QueryCommand({
        TableName: pipeline.tables.carbonAchievements!.tableName,
        KeyConditionExpression: "userId = :u",
        ExpressionAttributeValues: { ":u": { S: USER } },
      }),
    );
    const unlocked = (result.Items ?? []).map((item) => unmarshall(item));

    // Assert: 73 entries, a 37-day run from 2025-11-02, November under October
    expect(unlocked.map((a) => a.achievementId).sort()).toEqual([
      "first-entry",
      "month-under-previous",
      "streak-7-days",
    ]);
    const times = new Set(posted.map((e) => e.timestamp));
    for (const achievement of unlocked) expect(times).toContain(achievement.unlockedAt);
  });

  it("totals amounts beyond a double's precision and in exponent form exactly", async () => {
    // Act
    const stats = await profileStats("exact");

    // Assert
    expect(stats).toMatchObject({ totalKgCO2e: "1.1234568890123456789", entryCount: 3 });
  });

  it("subtracts removed entries exactly once and leaves an audit without differences", async () => {
    // Arrange: the malformed items and the exact user's entries go, through the table
    for (const timestamp of ["2025-11-05T10:00:00.000Z", "yesterday", "2025-11-06T10:00:00.000Z"]) {
      await runtime.dynamodb.send(
        new DeleteItemCommand({
          TableName: ENTRIES_TABLE,
          Key: { userId: { S: USER }, timestamp: { S: timestamp } },
        }),
      );
    }
    for (const day of ["01", "02", "03"]) {
      await runtime.dynamodb.send(
        new DeleteItemCommand({
          TableName: ENTRIES_TABLE,
          Key: { userId: { S: "exact" }, timestamp: { S: `2025-11-${day}T08:00:00.000Z` } },
        }),
      );
    }

    // Act
    await runtime.settled({ timeoutMs: 60_000 });

    // Assert
    expect(await profileStats("exact")).toMatchObject({ totalKgCO2e: "0", entryCount: 0 });
    expect(await profileStats(USER)).toMatchObject(expectedStats(posted));
    expect(await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}))).toEqual([]);
  });
});
