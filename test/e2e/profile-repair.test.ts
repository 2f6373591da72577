import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import {
  addRule,
  callApi,
  type HttpSubscriber,
  startHttpSubscriber,
  startTestRuntime,
} from "../helpers/runtime.ts";

/**
 * A CarbonTrack profile rewritten with the SDK, around the API, on the whole local runtime: its
 * statistics erased or garbled are written back by carbon-stats from the user's aggregate,
 * without a new entry, and exactly as they were; carbon-stats' own write of them publishes
 * nothing, so every re-put costs one `UserStatsAltered` and no more.
 */

// biome-ignore lint/suspicious/noExplicitAny: items are asserted field by field
type Json = any;

const USER = "repair-user";
const USERS_TABLE = pipeline.tables.carbonUsers!.tableName;
const PROFILE = { userId: USER, name: "Grace Hopper", createdAt: "2025-01-01T00:00:00.000Z" };

interface ReceivedEvent {
  readonly "detail-type": string;
}

describe("a profile rewritten around the API", () => {
  let runtime: Runtime;
  let subscriber: HttpSubscriber<ReceivedEvent>;
  /** The statistics as carbon-stats wrote them after the entries, before any re-put. */
  let original: Json;

  const api = (method: string, path: string, body?: unknown) => callApi(runtime, method, path, body);
  const profileItem = async (): Promise<Json> => {
    const { Item } = await runtime.dynamodb.send(
      new GetItemCommand({ TableName: USERS_TABLE, Key: marshall({ userId: USER }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : unmarshall(Item);
  };
  const putAround = (item: Record<string, unknown>) =>
    runtime.dynamodb.send(new PutItemCommand({ TableName: USERS_TABLE, Item: marshall(item) }));
  const altered = () => subscriber.events.filter((e) => e["detail-type"] === "UserStatsAltered").length;
  const withoutTime = (stats: Json) => {
    const { updatedAt: _updatedAt, ...rest } = stats;
    return rest;
  };
  const counter = (name: string) => runtime.stats().rows.find((row) => row.name === name)?.value ?? 0;
  const carbonStatsRuns = () => counter("carbon-stats: runs");
  /**
   * Does `write`, waits until the stream poller has handed the fan-out the record it made (a
   * settled runtime may not have polled it yet), then until the pipeline has settled.
   */
  const settledAfter = async (table: string, write: () => Promise<unknown>) => {
    const name = `${table}: records delivered to fan-out`;
    const before = counter(name);
    await write();
    const deadline = Date.now() + 30_000;
    while (counter(name) === before) {
      if (Date.now() > deadline) throw new Error(`no ${table} stream record reached the fan-out in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await runtime.settled({ timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    subscriber = await startHttpSubscriber<ReceivedEvent>();
    await addRule(runtime, {
      name: "profile-repair-subscriber",
      pattern: { source: ["ripple.carbon"] },
      target: { Id: "http", Arn: subscriber.url },
    });
    await api("POST", "/users", { userId: USER, name: PROFILE.name });
    for (const [i, kgCO2e] of ["1.5", "2.25", "0.125", "4"].entries()) {
      await api("POST", `/users/${USER}/entries`, {
        category: ["transport", "energy", "food", "transport"][i],
        activity: "commute",
        kgCO2e,
        timestamp: new Date(Date.UTC(2025, 5, 1 + i, 8)).toISOString(),
      });
    }
    await runtime.settled({ timeoutMs: 60_000 });
    original = (await profileItem()).stats;
  }, 120_000);

  afterAll(async () => {
    await subscriber?.stop();
    await runtime?.stop();
  });

  it("keeps the statistics carbon-stats wrote without publishing its own write", () => {
    // Assert: the arranged entries are counted, and no profile write has been published yet
    expect(original.totalKgCO2e).toBe("7.875");
    expect(original.entryCount).toBe(4);
    expect(altered()).toBe(0);
  });

  it.each([
    {
      description: "a put of the profile fields alone (statistics erased)",
      item: () => ({ ...PROFILE, createdAt: PROFILE.createdAt }),
    },
    {
      description: "a put with the totals garbled and the old seal and version copied",
      item: async () => {
        const current = await profileItem();
        return { ...current, stats: { ...current.stats, totalKgCO2e: "999", entryCount: 1 } };
      },
    },
    {
      description:
        "a put with the day totals emptied (an empty map, which DynamoDB Local's stream writes as {})",
      item: async () => {
        const current = await profileItem();
        return { ...current, stats: { ...current.stats, byDay: {} } };
      },
    },
    {
      description: "a put with statistics of the wrong type",
      item: async () => ({ ...(await profileItem()), stats: "garbage" }),
    },
  ])(
    "writes the statistics back exactly after $description, with one event and no loop",
    async ({ item }) => {
      // Arrange
      const publishedBefore = altered();
      const runsBefore = carbonStatsRuns();

      // Act
      const rewritten = await item();
      await settledAfter(USERS_TABLE, () => putAround(rewritten));

      // Assert: restored as they were, from the aggregate (no entry was added)
      const restored = await profileItem();
      expect(withoutTime(restored.stats)).toEqual(withoutTime(original));
      expect(restored.name).toBe(PROFILE.name);
      // One UserStatsAltered for the re-put, one carbon-stats run for it, none for its repair
      expect(altered()).toBe(publishedBefore + 1);
      expect(carbonStatsRuns()).toBe(runsBefore + 1);
    },
  );

  it("repairs every one of five get-then-put copies in a row (the copied origin does not count as a hop)", async () => {
    // Arrange
    const publishedBefore = altered();

    // Act: each copy carries the rippleOrigin of the repair before it
    for (let i = 0; i < 5; i++) {
      const current = await profileItem();
      await settledAfter(USERS_TABLE, () =>
        putAround({ ...current, stats: { ...current.stats, entryCount: 100 + i } }),
      );
    }

    // Assert
    expect(withoutTime((await profileItem()).stats)).toEqual(withoutTime(original));
    expect(altered()).toBe(publishedBefore + 5);
  });

  it("publishes nothing for a profile change through the API that leaves the statistics as they are", async () => {
    // Arrange
    const publishedBefore = altered();

    // Act
    await settledAfter(USERS_TABLE, () => api("PATCH", `/users/${USER}`, { name: "Grace Brewster Hopper" }));

    // Assert
    const profile = await profileItem();
    expect(profile.name).toBe("Grace Brewster Hopper");
    expect(withoutTime(profile.stats)).toEqual(withoutTime(original));
    expect(altered()).toBe(publishedBefore);
  });

  it("counts a later entry on top of the restored statistics, and the audit agrees", async () => {
    // Arrange
    const publishedBefore = altered();

    // Act
    await settledAfter(pipeline.tables.carbonEntries!.tableName, () =>
      api("POST", `/users/${USER}/entries`, {
        category: "food",
        activity: "lunch",
        kgCO2e: "0.5",
        timestamp: new Date(Date.UTC(2025, 5, 5, 12)).toISOString(),
      }),
    );

    // Assert
    const { stats } = await profileItem();
    expect(stats.totalKgCO2e).toBe("8.375");
    expect(stats.entryCount).toBe(5);
    expect(stats.currentStreakDays).toBe(5);
    expect(altered()).toBe(publishedBefore);
    expect(await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}))).toEqual([]);
  });
});
