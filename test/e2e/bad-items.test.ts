import { type AttributeValue, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCartStats, readParkingTotals, readPetStats } from "#commons/aggregates.ts";
import { deterministicEventId } from "#commons/event-id.ts";
import { LOCAL_PUBLISHER_ACCESS_KEY_IDS } from "#commons/publisher.ts";
import { readSetAside } from "#commons/set-aside.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import type { SetAsideItem } from "#schemas/set-aside.ts";
import { LIBRARY_TEXT } from "../helpers/messages.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

const t = (name: keyof typeof pipeline.tables) => pipeline.tables[name]!.tableName;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: string): AttributeValue => ({ N: value });
const BOOL = (value: boolean): AttributeValue => ({ BOOL: value });
const NULL: AttributeValue = { NULL: true };

const pet = (id: string, over: Record<string, AttributeValue | undefined>) =>
  withOut({ id: N(id), name: S("Bad"), type: S("dog"), price: N("10"), ...over });
const park = (id: string, over: Record<string, AttributeValue | undefined>) =>
  withOut({
    carParkId: S(id),
    name: S("Bad park"),
    capacity: N("100"),
    occupied: N("10"),
    available: N("90"),
    percentFull: N("10"),
    status: S("green"),
    hourlyRate: N("1.5"),
    lastUpdated: S("2025-12-01T10:00:00.000Z"),
    ...over,
  });
const line = (over: Record<string, AttributeValue>) => ({
  M: {
    bookId: S("b1"),
    title: S("T"),
    author: S("A"),
    price: N("1"),
    quantity: N("1"),
    addedAt: S("2025-12-01T10:00:00.000Z"),
    ...over,
  },
});
const cart = (userId: string, cartItems: AttributeValue) => ({ userId: S(userId), cartItems });
const entry = (userId: string, over: Record<string, AttributeValue | undefined>) =>
  withOut({
    userId: S(userId),
    timestamp: S("2025-12-01T10:00:00.000Z"),
    category: S("food"),
    activity: S("lunch"),
    kgCO2e: N("1"),
    ...over,
  });

function withOut(item: Record<string, AttributeValue | undefined>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as Record<
    string,
    AttributeValue
  >;
}

interface TableCase {
  description: string;
  table: keyof typeof pipeline.tables;
  item: Record<string, AttributeValue>;
  /** The item's key as the set-aside reason names it. */
  key: string;
  /** What the reason must say about the field. */
  says: string;
}

/** Items written straight into the source tables, each set aside by the fan-out with its reason. */
const tableCases: TableCase[] = [
  {
    description: "a pet price that is text",
    table: "pets",
    item: pet("700", { price: S("cheap") }),
    key: '{"id":"700"}',
    says: "price",
  },
  {
    description: "a pet price with a separator",
    table: "pets",
    item: pet("701", { price: S("1,000") }),
    key: '{"id":"701"}',
    says: "price",
  },
  {
    description: "a negative pet price",
    table: "pets",
    item: pet("702", { price: N("-5") }),
    key: '{"id":"702"}',
    says: "0 or more",
  },
  {
    description: "a pet price of 39 digits",
    table: "pets",
    item: pet("703", { price: S("1.23456789012345678901234567890123456789") }),
    key: '{"id":"703"}',
    says: "at most 38 significant digits",
  },
  {
    description: "a pet price below DynamoDB's range",
    table: "pets",
    item: pet("704", { price: S("1E-131") }),
    key: '{"id":"704"}',
    says: "between 1E-130 and 9.99E+125",
  },
  {
    description: "a pet without a name",
    table: "pets",
    item: pet("705", { name: undefined }),
    key: '{"id":"705"}',
    says: "name",
  },
  {
    description: "a pet with an empty name",
    table: "pets",
    item: pet("706", { name: S("") }),
    key: '{"id":"706"}',
    says: "name",
  },
  {
    description: "a pet whose type is a boolean",
    table: "pets",
    item: pet("707", { type: BOOL(true) }),
    key: '{"id":"707"}',
    says: "type",
  },
  {
    description: "a pet whose price is a boolean",
    table: "pets",
    item: pet("708", { price: BOOL(true) }),
    key: '{"id":"708"}',
    says: "price",
  },
  {
    description: "a pet whose price is null",
    table: "pets",
    item: pet("709", { price: NULL }),
    key: '{"id":"709"}',
    says: "price",
  },
  {
    description: "a pet price with a currency",
    table: "pets",
    item: pet("710", { price: S("12.5 EUR") }),
    key: '{"id":"710"}',
    says: "price",
  },
  { description: "a pet with id 0", table: "pets", item: pet("0", {}), key: '{"id":"0"}', says: "id" },
  {
    description: "a car park capacity that is text",
    table: "parkingData",
    item: park("BAD-1", { capacity: S("lots") }),
    key: '{"carParkId":"BAD-1"}',
    says: "capacity",
  },
  {
    description: "a car park fuller than its capacity",
    table: "parkingData",
    item: park("BAD-2", { occupied: N("101") }),
    key: '{"carParkId":"BAD-2"}',
    says: "occupied must not exceed capacity",
  },
  {
    description: "a car park updated 'yesterday'",
    table: "parkingData",
    item: park("BAD-3", { lastUpdated: S("yesterday") }),
    key: '{"carParkId":"BAD-3"}',
    says: "lastUpdated",
  },
  {
    description: "a car park of an unknown colour",
    table: "parkingData",
    item: park("BAD-4", { status: S("purple") }),
    key: '{"carParkId":"BAD-4"}',
    says: "status",
  },
  {
    description: "a car park rate in pounds",
    table: "parkingData",
    item: park("BAD-5", { hourlyRate: S("£1.50") }),
    key: '{"carParkId":"BAD-5"}',
    says: "hourlyRate",
  },
  {
    description: "a car park of half a space",
    table: "parkingData",
    item: park("BAD-6", { capacity: N("1.5") }),
    key: '{"carParkId":"BAD-6"}',
    says: "whole number",
  },
  {
    description: "a cart line of quantity 0",
    table: "carts",
    item: cart("bad-cart-1", { L: [line({ quantity: N("0") })] }),
    key: '{"userId":"bad-cart-1"}',
    says: "quantity",
  },
  {
    description: "a cart line priced 'free'",
    table: "carts",
    item: cart("bad-cart-2", { L: [line({ price: S("free") })] }),
    key: '{"userId":"bad-cart-2"}',
    says: "price",
  },
  {
    description: "cart lines that are text",
    table: "carts",
    item: cart("bad-cart-3", S("none")),
    key: '{"userId":"bad-cart-3"}',
    says: "cartItems",
  },
  {
    description: "a cart line added 'now'",
    table: "carts",
    item: cart("bad-cart-4", { L: [line({ addedAt: S("now") })] }),
    key: '{"userId":"bad-cart-4"}',
    says: "addedAt",
  },
  {
    description: "a carbon entry of '2.5kg'",
    table: "carbonEntries",
    item: entry("bad-entry-1", { kgCO2e: S("2.5kg") }),
    key: '"userId":"bad-entry-1"',
    says: "kgCO2e",
  },
  {
    description: "a carbon entry dated 'yesterday'",
    table: "carbonEntries",
    item: entry("bad-entry-2", { timestamp: S("yesterday") }),
    key: '"userId":"bad-entry-2"',
    says: "timestamp",
  },
  {
    description: "a carbon entry of a boolean amount",
    table: "carbonEntries",
    item: entry("bad-entry-3", { kgCO2e: BOOL(true) }),
    key: '"userId":"bad-entry-3"',
    says: "kgCO2e",
  },
  {
    description: "a carbon entry of an unknown category",
    table: "carbonEntries",
    item: entry("bad-entry-4", { category: S("spaceflight") }),
    key: '"userId":"bad-entry-4"',
    says: "category",
  },
];

/** A domain event as the fan-out publishes one, about `keys` of `table`. */
function domainEvent(
  source: string,
  detailType: string,
  table: string,
  keys: Record<string, string>,
  data: unknown,
) {
  const sequenceNumber = "9".repeat(40);
  return {
    EventBusName: pipeline.bus.name,
    Source: source,
    DetailType: detailType,
    Detail: JSON.stringify({
      metadata: {
        eventId: deterministicEventId(table, sequenceNumber, detailType),
        version: 1,
        table,
        change: "MODIFY",
        sequenceNumber,
        changedAt: "2025-12-01T10:00:00.000Z",
        keys,
        depth: 0,
      },
      data,
    }),
  };
}

const forgedPark = {
  carParkId: "FORGED",
  name: "F",
  capacity: 1,
  occupied: 0,
  available: 1,
  percentFull: "0",
  status: "green",
  hourlyRate: "1",
  lastUpdated: "2025-12-01T10:00:00.000Z",
};

/** Events put on the bus with credentials other than the fan-out's or redrive's. */
const forgedCases = [
  {
    description: "a forged car park reading",
    entry: domainEvent(
      "ripple.parking",
      "CarParkOccupancyChanged",
      "parking-data",
      { carParkId: "FORGED" },
      forgedPark,
    ),
  },
  {
    description: "a forged pet update",
    entry: domainEvent(
      "ripple.petstore",
      "PetUpdated",
      "PetStore",
      { id: "720" },
      { id: 720, name: "F", type: "dragon", price: "1" },
    ),
  },
  {
    description: "a forged pet removal",
    entry: domainEvent("ripple.petstore", "PetRemoved", "PetStore", { id: "1" }, { id: 1 }),
  },
  {
    description: "a forged cart",
    entry: domainEvent(
      "ripple.cart",
      "CartUpdated",
      "cloudshelf-shopping-cart",
      { userId: "forged" },
      { userId: "forged", cartItems: [] },
    ),
  },
  {
    description: "a forged carbon entry",
    entry: domainEvent(
      "ripple.carbon",
      "CarbonEntryRecorded",
      "carbontrack-entries",
      { userId: "forged", timestamp: "2025-12-01T10:00:00.000Z" },
      {},
    ),
  },
  {
    description: "a forged stored event",
    entry: domainEvent("ripple.stored-events", "StoredEventCreated", "events", { user_id: "forged" }, {}),
  },
];

describe("bad items written around the API, and events put on the bus", () => {
  let runtime: Runtime;
  let setAside: SetAsideItem[];
  const forgedResults: { ErrorCode?: string; ErrorMessage?: string }[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime();
    // Act (shared): every bad item written with the SDK, every forged event put with the README's
    // credentials, one malformed event put with the fan-out's own.
    for (const c of tableCases) {
      await runtime.dynamodb.send(new PutItemCommand({ TableName: t(c.table), Item: c.item }));
    }
    const forger = new EventBridgeClient({
      endpoint: runtime.endpoints.eventbridge,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    for (const c of forgedCases) {
      const result = await forger.send(new PutEventsCommand({ Entries: [c.entry] }));
      forgedResults.push(result.Entries?.[0] ?? {});
    }
    forger.destroy();
    const fanOut = new EventBridgeClient({
      endpoint: runtime.endpoints.eventbridge,
      region: "us-east-1",
      credentials: { accessKeyId: LOCAL_PUBLISHER_ACCESS_KEY_IDS.fanOut, secretAccessKey: "local" },
    });
    await fanOut.send(
      new PutEventsCommand({
        Entries: [
          domainEvent(
            "ripple.petstore",
            "PetUpdated",
            "PetStore",
            { id: "730" },
            { id: 730, name: "No price", type: "dog" },
          ),
        ],
      }),
    );
    fanOut.destroy();
    await runtime.settled({ timeoutMs: 60_000 });
    setAside = (await readSetAside(runtime.dynamodb, t("setAside"))).items;
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it.each(tableCases)("sets $description aside once, naming the item and the field", ({ key, says }) => {
    // Act
    const mine = setAside.filter((i) => i.kind === "stream-record" && i.reason.includes(key));

    // Assert
    expect(mine.length).toBeGreaterThan(0);
    for (const item of mine) {
      expect(item.reasonCode).toBe("SchemaViolationError");
      expect(item.reason).toContain(says);
      expect(item.reason).not.toMatch(LIBRARY_TEXT);
    }
  });

  it("counts none of the refused items in any aggregate", async () => {
    // Act
    const pets = await readPetStats(runtime.dynamodb, t("aggregates"));
    const carts = await readCartStats(runtime.dynamodb, t("aggregates"));
    const parks = await readParkingTotals(runtime.dynamodb, t("aggregates"));

    // Assert
    for (const id of [
      "0",
      "700",
      "701",
      "702",
      "703",
      "704",
      "705",
      "706",
      "707",
      "708",
      "709",
      "710",
      "720",
      "730",
    ]) {
      expect(pets.pets[id]).toBeUndefined();
    }
    expect(pets.pets["1"]).toBeDefined();
    expect(Object.keys(carts.carts).filter((id) => id.startsWith("bad-cart") || id === "forged")).toEqual([]);
    expect(
      Object.keys(parks?.carParks ?? {}).filter((id) => id.startsWith("BAD") || id === "FORGED"),
    ).toEqual([]);
  });

  it.each(forgedCases.map((c, index) => ({ ...c, index })))(
    "refuses $description from other credentials with NotAuthorizedForSourceException",
    ({ index }) => {
      expect(forgedResults[index]).toEqual({
        ErrorCode: "NotAuthorizedForSourceException",
        ErrorMessage: "You do not have permissions to publish events with this source onto this event bus.",
      });
    },
  );

  it("sets a malformed event from the fan-out's credentials aside at the consumer, naming its item", () => {
    // Act
    const rejected = setAside.filter(
      (i) => i.kind === "consumer-rejected" && i.reason.includes('{"id":"730"}'),
    );

    // Assert
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]?.reason).toMatch(/about item \{"id":"730"\} of PetStore [\s\S]*price/);
    expect(rejected[0]?.reason).not.toMatch(LIBRARY_TEXT);
  });
});
