import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import { AggregateKeys, readCartStats, readPetStats } from "#commons/aggregates.ts";
import { readSetAside } from "#commons/set-aside.ts";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runtimeWrittenAround } from "../helpers/runtime.ts";

const t = (name: keyof typeof pipeline.tables) => pipeline.tables[name]!.tableName;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: string | number): AttributeValue => ({ N: String(value) });

const entry = (day: number, kgCO2e: string): Record<string, AttributeValue> => ({
  userId: S("sdk-user"),
  timestamp: S(`2025-12-0${day}T08:00:00.000Z`),
  category: S("transport"),
  activity: S("bus"),
  kgCO2e: N(kgCO2e),
});

const carPark = (occupied: number): Record<string, AttributeValue> => ({
  carParkId: S("CP002"),
  name: S("Railway Station"),
  capacity: N(300),
  occupied: N(occupied),
  available: N(300 - occupied),
  percentFull: N(0),
  status: S("green"),
  hourlyRate: N("2.00"),
  lastUpdated: S(new Date().toISOString()),
});

const EVERY_EVENT_TWICE_SHUFFLED = { chaos: { duplicate: true, maxDelayMs: 150 } };

/**
 * Producers that bypass the API: items written straight into the source tables with the AWS SDK
 * (entries before their user exists, removals, a numeric price with more digits than a double),
 * every event delivered twice and shuffled. The aggregates must still come out exact.
 */
describe("aggregates from items written with the AWS SDK, every event delivered twice and shuffled", () => {
  const runtime = runtimeWrittenAround(EVERY_EVENT_TWICE_SHUFFLED, async ({ runtime, put }) => {
    // Act (shared by the assertions below)
    for (let day = 1; day <= 7; day++) await put(t("carbonEntries"), entry(day, `0.${day}`));
    await runtime.dynamodb.send(
      new DeleteItemCommand({
        TableName: t("carbonEntries"),
        Key: { userId: S("sdk-user"), timestamp: S("2025-12-07T08:00:00.000Z") },
      }),
    );
    await runtime.settled({ timeoutMs: 60_000 });
    await put(t("carbonUsers"), {
      userId: S("sdk-user"),
      name: S("Written with the SDK"),
      createdAt: S("2025-12-08T00:00:00.000Z"),
    });
    for (const occupied of [10, 250, 120]) await put(t("parkingData"), carPark(occupied));
    await put(t("pets"), {
      id: N(900),
      name: S("Precise"),
      type: S("axolotl"),
      price: N("12345678901234.99"),
    });
    await runtime.dynamodb.send(new DeleteItemCommand({ TableName: t("pets"), Key: { id: N(1) } }));
    await runtime.dynamodb.send(
      new UpdateItemCommand({
        TableName: t("pets"),
        Key: { id: N(2) },
        UpdateExpression: "SET #type = :type",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":type": S("hamster") },
      }),
    );
    // A cart as seed 004 puts one: no totals, a line without an author.
    await put(t("carts"), {
      userId: S("sdk-reader"),
      cartItems: {
        L: [
          {
            M: {
              bookId: S("book001"),
              title: S("The Great Gatsby"),
              price: N("12.99"),
              quantity: N(2),
              addedAt: S("2025-12-01T10:00:00.000Z"),
            },
          },
        ],
      },
    });
  });

  it("leaves every aggregate equal to a recomputation from its source tables", async () => {
    // Act
    const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));

    // Assert
    expect(differences).toEqual([]);
  });

  it("moves the statistics of entries written before the profile onto the profile", async () => {
    // Act
    const { Item } = await runtime.dynamodb.send(
      new GetItemCommand({
        TableName: t("carbonUsers"),
        Key: { userId: S("sdk-user") },
        ConsistentRead: true,
      }),
    );
    const summary = await runtime.dynamodb.send(
      new GetItemCommand({
        TableName: t("aggregates"),
        Key: { pk: S(AggregateKeys.carbonStats("sdk-user").pk), sk: S("sdk-user") },
        ConsistentRead: true,
      }),
    );

    // Assert
    expect(unmarshall(Item ?? {}).stats).toMatchObject({
      totalKgCO2e: "2.1",
      entryCount: 6,
      currentStreakDays: 6,
    });
    // The summary stays (it is carbon-stats' own aggregate); the stand-in statistics are gone from it.
    expect(summary.Item).toBeDefined();
    expect(unmarshall(summary.Item ?? {}).stats).toBeUndefined();
  });

  it("counts pets by type after an SDK insert, update and delete", async () => {
    // Act
    const stats = await readPetStats(runtime.dynamodb, t("aggregates"));

    // Assert
    expect(stats.pets["900"]).toBe("axolotl");
    expect(stats.pets["1"]).toBeUndefined();
    expect(stats.pets["2"]).toBe("hamster");
    expect(stats.petCount).toBe(15);
  });

  it("counts a cart written as seed 004 writes one, without totals or an author", async () => {
    // Act
    const stats = await readCartStats(runtime.dynamodb, t("aggregates"));

    // Assert
    expect(stats.carts["sdk-reader"]).toEqual({ items: 2, value: "25.98" });
  });

  it("keeps no dead letter and sets nothing aside", async () => {
    // Act
    const setAside = (await readSetAside(runtime.dynamodb, t("setAside"))).items;
    const given = runtime.stats().rows.filter((r) => /dead ?letter|discarded|dropped/i.test(r.name));

    // Assert
    expect(setAside).toEqual([]);
    expect(given.filter((r) => r.value > 0)).toEqual([]);
  });
});
