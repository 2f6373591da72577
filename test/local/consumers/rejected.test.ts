import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AggregateKeys } from "#commons/aggregates.ts";
import { readSetAside } from "#commons/set-aside.ts";
import { model } from "#infra/pipeline.ts";
import { petStatsOf } from "../../../functions/store-stats/stats.ts";
import { domainEvent } from "../../helpers/domain-events.ts";
import { type ConsumerRuntime, scanItems, startConsumerRuntime } from "./runtime.ts";

let runtime: ConsumerRuntime;
const handlers: Record<string, (event: unknown) => Promise<string>> = {};

beforeAll(async () => {
  runtime = await startConsumerRuntime();
  for (const name of ["parking-totals", "carbon-stats", "achievements", "store-stats"]) {
    handlers[name] = (await import(`../../../functions/${name}/handler.ts`)).handler;
  }
});

afterAll(async () => {
  await runtime?.stop();
});

const badReading = () => {
  const event = domainEvent(
    "CarParkOccupancyChanged",
    {
      carParkId: "CP001",
      name: "Town Centre",
      capacity: 100,
      occupied: 10,
      available: 90,
      percentFull: "10",
      status: "green",
      hourlyRate: "1.5",
      lastUpdated: "2025-11-30T16:05:12.923Z",
    },
    { sequenceNumber: "100000000000000000001" },
  );
  (event.detail.data as Record<string, unknown>).occupied = 150;
  return event;
};

const badEntry = () => {
  const event = domainEvent(
    "CarbonEntryRecorded",
    {
      userId: "u1",
      timestamp: "2025-11-30T16:05:12.923Z",
      category: "transport",
      activity: "bus",
      kgCO2e: "1",
    },
    { sequenceNumber: "100000000000000000002" },
  );
  (event.detail.data as Record<string, unknown>).kgCO2e = "-1";
  return event;
};

describe.each([
  {
    description: "occupied over capacity",
    consumer: "parking-totals",
    event: badReading,
    reason: /occupied must not exceed capacity/,
  },
  { description: "a negative amount", consumer: "carbon-stats", event: badEntry, reason: /kgCO2e/ },
  { description: "a negative amount", consumer: "achievements", event: badEntry, reason: /kgCO2e/ },
  {
    description: "an event it does not subscribe to",
    consumer: "store-stats",
    event: badEntry,
    reason: /does not subscribe/,
  },
])("$consumer given $description", ({ consumer, event, reason }) => {
  it("sets the event aside with the reason and writes no aggregate", async () => {
    // Arrange
    const delivered = event();

    // Act
    const outcome = await handlers[consumer]!(delivered);

    // Assert
    expect(outcome).toBe("rejected");
    const setAside = (await readSetAside(runtime.client, runtime.setAsideTable)).items.find(
      (item) => item.id === `consumer-rejected#${consumer}#${delivered.id}`,
    );
    expect(setAside?.reason).toMatch(reason);
    expect(setAside).toMatchObject({ kind: "consumer-rejected", consumer, record: delivered });
    const raw = (await scanItems(runtime.client, runtime.setAsideTable)).find((i) => i.id === setAside?.id);
    expect(raw).toMatchObject({ kind: "consumer-rejected", consumer });
    expect(await scanItems(runtime.client, runtime.tables.aggregates)).toEqual([]);
    expect(await scanItems(runtime.client, runtime.tables.carbonAchievements)).toEqual([]);
  });
});

describe("store-stats given a pet event older than the removals its aggregate has forgotten", () => {
  it("sets the event aside instead of counting a pet that may have been removed", async () => {
    // Arrange: the shard forgot a removal from an hour ago; the event is from two hours ago.
    const hour = 3600 * 1000;
    const key = AggregateKeys.pets(
      "41",
      model.consumers.find((c) => c.name === "store-stats")!.aggregateShards,
    );
    const stored = { ...key, ...petStatsOf({}), forgottenBefore: new Date(Date.now() - hour).toISOString() };
    await runtime.client.send(
      new PutItemCommand({ TableName: runtime.tables.aggregates, Item: marshall({ ...stored, version: 1 }) }),
    );
    const old = domainEvent(
      "PetListed",
      { id: 41, name: "Rex", type: "dog", price: "249.99" },
      { sequenceNumber: "100000000000000000041", changedAt: new Date(Date.now() - 2 * hour).toISOString() },
    );

    // Act
    const outcome = await handlers["store-stats"]!(old);

    // Assert
    expect(outcome).toBe("rejected");
    const setAside = (await readSetAside(runtime.client, runtime.setAsideTable)).items.find(
      (item) => item.id === `consumer-rejected#store-stats#${old.id}`,
    );
    expect(setAside).toMatchObject({ reasonCode: "BeyondTombstoneRetentionError", record: old });
    expect(setAside?.reason).toMatch(/may describe an item since removed; check with npm run audit/);
    const shard = (await scanItems(runtime.client, runtime.tables.aggregates)).find(
      (i) => i.pk === key.pk && i.sk === key.sk,
    );
    expect(shard).toMatchObject({ petCount: 0, version: 1 });
  });
});
