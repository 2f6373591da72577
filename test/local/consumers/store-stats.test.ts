import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AggregateKeys,
  readAggregate,
  readCartStats,
  readPetStats,
  readStoredEventTotals,
  StoredEventStatsSchema,
} from "#commons/aggregates.ts";
import { auditAll } from "#infra/audit/audit.ts";
import type { Cart } from "#schemas/cart.ts";
import type { Pet } from "#schemas/pets.ts";
import type { StoredEvent, StoredEventStatus } from "#schemas/stored-events.ts";
import type { EventBridgeTargetEvent } from "../../helpers/domain-events.ts";
import { deliveryOrders, domainEvent, sequenceNumbers } from "../../helpers/domain-events.ts";
import { type ConsumerRuntime, clearTables, putItems, startConsumerRuntime } from "./runtime.ts";

let runtime: ConsumerRuntime;
let handler: (event: unknown) => Promise<string>;

function storedEvent(userId: string, id: string, status: StoredEventStatus): StoredEvent {
  const timestamp = "2025-11-30T16:05:12.923Z";
  return {
    user_id: userId,
    "timestamp#event_id": `${timestamp}#${id}`,
    event_id: id,
    event_type: "signup",
    status,
    timestamp,
    "event_type#timestamp": `signup#${timestamp}`,
    "status#timestamp": `${status}#${timestamp}`,
    retry_count: 0,
    created_at: timestamp,
    updated_at: timestamp,
    ttl: 4_102_444_800,
  };
}

function cart(userId: string, lines: { price: string; quantity: number }[]): Cart {
  return {
    userId,
    cartItems: lines.map((l, i) => ({
      bookId: `b${i}`,
      title: "A book",
      author: "An author",
      price: l.price,
      quantity: l.quantity,
      addedAt: "2025-11-30T16:05:12.923Z",
    })),
    totalItems: lines.reduce((s, l) => s + l.quantity, 0),
    totalPrice: "0",
    lastUpdated: "2025-11-30T16:05:12.923Z",
  };
}

/** Writes to pets, stored events and carts, the events they became, and what the tables end with. */
function history() {
  const seqs = sequenceNumbers(40);
  let n = 0;
  const seq = () => seqs[n++]!;
  const pets: Pet[] = [
    { id: 1, name: "Rex", type: "dog", price: "249.99" },
    { id: 2, name: "Tom", type: "cat", price: "99.5" },
    { id: 3, name: "Nemo", type: "fish", price: "0.1" },
  ];
  const events: EventBridgeTargetEvent[] = [
    ...pets.map((p) => domainEvent("PetListed", p, { sequenceNumber: seq() })),
    domainEvent("PetUpdated", { ...pets[1]!, type: "kitten" }, { sequenceNumber: seq(), change: "MODIFY" }),
    domainEvent("PetRemoved", { id: 3 }, { sequenceNumber: seq() }),
    domainEvent("StoredEventCreated", storedEvent("u1", "e1", "pending"), { sequenceNumber: seq() }),
    domainEvent("StoredEventCreated", storedEvent("u1", "e2", "pending"), { sequenceNumber: seq() }),
    domainEvent("StoredEventUpdated", storedEvent("u1", "e1", "processing"), {
      sequenceNumber: seq(),
      change: "MODIFY",
    }),
    domainEvent("StoredEventUpdated", storedEvent("u1", "e1", "delivered"), {
      sequenceNumber: seq(),
      change: "MODIFY",
    }),
    domainEvent("StoredEventCreated", storedEvent("u2", "e3", "failed"), { sequenceNumber: seq() }),
    domainEvent(
      "StoredEventRemoved",
      { user_id: "u2", "timestamp#event_id": storedEvent("u2", "e3", "failed")["timestamp#event_id"] },
      { sequenceNumber: seq(), change: "EXPIRE" },
    ),
    domainEvent("CartUpdated", cart("u1", [{ price: "0.1", quantity: 2 }]), { sequenceNumber: seq() }),
    domainEvent(
      "CartUpdated",
      cart("u1", [
        { price: "0.1", quantity: 2 },
        { price: "0.2", quantity: 1 },
      ]),
      {
        sequenceNumber: seq(),
        change: "MODIFY",
      },
    ),
    domainEvent("CartUpdated", cart("u2", [{ price: "19.99", quantity: 3 }]), { sequenceNumber: seq() }),
    domainEvent("CartUpdated", cart("u3", [{ price: "5", quantity: 1 }]), { sequenceNumber: seq() }),
    domainEvent("CartRemoved", { userId: "u3" }, { sequenceNumber: seq() }),
  ];
  return {
    events,
    pets: [pets[0]!, { ...pets[1]!, type: "kitten" }],
    storedEvents: [storedEvent("u1", "e1", "delivered"), storedEvent("u1", "e2", "pending")],
    carts: [
      cart("u1", [
        { price: "0.1", quantity: 2 },
        { price: "0.2", quantity: 1 },
      ]),
      cart("u2", [{ price: "19.99", quantity: 3 }]),
    ],
  };
}

beforeAll(async () => {
  runtime = await startConsumerRuntime();
  ({ handler } = await import("../../../functions/store-stats/handler.ts"));
  const h = history();
  await putItems(runtime.client, runtime.tables.pets, h.pets);
  await putItems(runtime.client, runtime.tables.storedEvents, h.storedEvents);
  await putItems(runtime.client, runtime.tables.carts, h.carts);
});

afterAll(async () => {
  await runtime?.stop();
});

beforeEach(async () => {
  await clearTables(runtime.client, [runtime.tables.aggregates]);
});

describe.each(deliveryOrders(11))("store-stats with $description", ({ deliveries }) => {
  it("counts pets by type, stored events by status and open carts with their exact value", async () => {
    // Arrange
    const { events } = history();

    // Act
    for (const event of deliveries(events)) await handler(event);

    // Assert
    const { client, tables } = runtime;
    const pets = await readPetStats(client, tables.aggregates);
    const carts = await readCartStats(client, tables.aggregates);
    const u1 = await readAggregate(
      client,
      tables.aggregates,
      AggregateKeys.storedEvents("u1"),
      StoredEventStatsSchema,
    );
    const u2 = await readAggregate(
      client,
      tables.aggregates,
      AggregateKeys.storedEvents("u2"),
      StoredEventStatsSchema,
    );
    expect(pets).toMatchObject({ petCount: 2, byType: { dog: 1, kitten: 1 } });
    expect(carts).toMatchObject({ openCarts: 2, totalItems: 6, totalValue: "60.37" });
    expect(u1).toMatchObject({ eventCount: 2, byStatus: { delivered: 1, pending: 1 } });
    expect(u2).toMatchObject({ eventCount: 0, byStatus: {} });
    expect(await readStoredEventTotals(client, tables.aggregates)).toEqual({
      eventCount: 2,
      byStatus: { delivered: 1, pending: 1 },
      users: 1,
    });
    expect(await auditAll(client, tables)).toEqual([]);
  });
});
