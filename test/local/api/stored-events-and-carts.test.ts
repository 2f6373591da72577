import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { CART_TTL_SECONDS } from "#schemas/cart.ts";
import { STORED_EVENT_TTL_SECONDS } from "#schemas/stored-events.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.stop();
});

const store = (userId: string, event_type: string, payload?: object) =>
  api.request("POST", `/users/${userId}/events`, { body: { event_type, ...(payload ? { payload } : {}) } });

describe("Event storage routes", () => {
  it("stores an event pending, with its GSI keys and a ttl 30 days ahead", async () => {
    // Arrange
    const now = Math.floor(Date.now() / 1000);

    // Act
    const response = await store("u1", "order.placed", { orderId: "o-1", total: 249.99, lines: [1, 2] });

    // Assert
    expect(response.status).toBe(201);
    const e = response.json;
    expect(e).toMatchObject({ user_id: "u1", event_type: "order.placed", status: "pending", retry_count: 0 });
    expect(e["timestamp#event_id"]).toBe(`${e.timestamp}#${e.event_id}`);
    expect(e["event_type#timestamp"]).toBe(`order.placed#${e.timestamp}`);
    expect(e["status#timestamp"]).toBe(`pending#${e.timestamp}`);
    expect(e.ttl - now).toBeGreaterThanOrEqual(STORED_EVENT_TTL_SECONDS - 5);
    expect(e.ttl - now).toBeLessThanOrEqual(STORED_EVENT_TTL_SECONDS + 5);
    expect(response.text).toContain('"total":249.99');
  });

  it("finds events by type through EventTypeIndex and by status through StatusIndex", async () => {
    // Arrange
    const a = await store("u2", "login");
    const b = await store("u2", "purchase");
    const c = await store("u2", "login");
    await api.request("PATCH", `/users/u2/events/${c.json.event_id}`, { body: { status: "processing" } });

    // Act
    const byType = await api.request("GET", "/users/u2/events?type=login");
    const byStatus = await api.request("GET", "/users/u2/events?status=pending");
    const byBoth = await api.request("GET", "/users/u2/events?type=login&status=pending");
    const all = await api.request("GET", "/users/u2/events");

    // Assert
    const ids = (r: typeof all) => r.json.events.map((e: { event_id: string }) => e.event_id);
    expect(ids(byType)).toEqual([c.json.event_id, a.json.event_id]);
    expect(ids(byStatus)).toEqual([b.json.event_id, a.json.event_id]);
    expect(ids(byBoth)).toEqual([a.json.event_id]);
    expect(ids(all)).toEqual([c.json.event_id, b.json.event_id, a.json.event_id]);
  });

  it("bounds the listing by creation instant", async () => {
    // Arrange
    const first = await store("u3", "ping");
    await new Promise((r) => setTimeout(r, 5));
    const second = await store("u3", "ping");

    // Act
    const response = await api.request("GET", `/users/u3/events?type=ping&from=${second.json.timestamp}`);

    // Assert
    expect(response.json.events.map((e: { event_id: string }) => e.event_id)).toEqual([second.json.event_id]);
    expect(first.status).toBe(201);
  });

  it.each([
    { description: "pending → processing", path: ["processing"], status: "processing", retries: 0 },
    {
      description: "processing → failed → pending (a retry)",
      path: ["processing", "failed", "pending"],
      status: "pending",
      retries: 1,
    },
    {
      description: "processing → delivered",
      path: ["processing", "delivered"],
      status: "delivered",
      retries: 0,
    },
  ])("moves an event $description", async ({ path, status, retries }) => {
    // Arrange
    const created = await store("u4", "job");

    // Act
    let response = created;
    for (const next of path) {
      response = await api.request("PATCH", `/users/u4/events/${created.json.event_id}`, {
        body: { status: next },
      });
    }

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      status,
      retry_count: retries,
      "status#timestamp": `${status}#${created.json.timestamp}`,
    });
  });

  it.each([
    { description: "pending → delivered", path: [], next: "delivered" },
    { description: "delivered → pending", path: ["processing", "delivered"], next: "pending" },
  ])("refuses $description with 409 naming the allowed moves", async ({ path, next }) => {
    // Arrange
    const created = await store("u5", "job");
    for (const step of path) {
      await api.request("PATCH", `/users/u5/events/${created.json.event_id}`, { body: { status: step } });
    }

    // Act
    const response = await api.request("PATCH", `/users/u5/events/${created.json.event_id}`, {
      body: { status: next },
    });

    // Assert
    expect(response.status).toBe(409);
    expect(response.json.error.message).toMatch(/cannot move to/);
  });

  it("applies exactly one of 10 concurrent identical transitions; the rest get 409", async () => {
    // Arrange
    const created = await store("u6", "job");

    // Act
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.request("PATCH", `/users/u6/events/${created.json.event_id}`, { body: { status: "processing" } }),
      ),
    );

    // Assert
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    const stored = (await api.request("GET", "/users/u6/events")).json.events[0];
    expect(stored).toMatchObject({ status: "processing", retry_count: 0 });
  });

  it("answers an event id that is not there with 404", async () => {
    // Act
    const response = await api.request(
      "PATCH",
      "/users/u1/events/1764518712923-0123456789abcdef0123456789abcdef",
      {
        body: { status: "processing" },
      },
    );

    // Assert
    expect(response.status).toBe(404);
  });
});

describe("CloudShelf cart routes", () => {
  const book = (bookId: string, price: number | string, quantity: number) => ({
    bookId,
    title: `Title ${bookId}`,
    author: "Author",
    price,
    quantity,
  });

  it("adds books with exact totals and a refreshed ttl", async () => {
    // Arrange
    const now = Math.floor(Date.now() / 1000);

    // Act
    await api.request("POST", "/carts/reader/items", { body: book("book001", 15.99, 2) });
    const response = await api.request("POST", "/carts/reader/items", { body: book("book002", "0.10", 3) });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ userId: "reader", totalItems: 5, storage: "Amazon DynamoDB" });
    expect(response.text).toContain('"totalPrice":32.28');
    expect(response.json.ttl - now).toBeGreaterThanOrEqual(CART_TTL_SECONDS - 5);
    const item = await api.dynamo.client.send(
      new GetItemCommand({ TableName: pipeline.tables.carts!.tableName, Key: { userId: { S: "reader" } } }),
    );
    expect(item.Item?.totalPrice).toEqual({ N: "32.28" });
  });

  it("adds to the quantity of a book already in the cart", async () => {
    // Act
    const response = await api.request("POST", "/carts/reader/items", { body: book("book001", 15.99, 1) });

    // Assert
    expect(response.json.cartItems).toHaveLength(2);
    expect(response.json).toMatchObject({ totalItems: 6, totalPrice: 48.27 });
  });

  it("sets a quantity and recomputes the totals", async () => {
    // Act
    const response = await api.request("PATCH", "/carts/reader/items/book002", { body: { quantity: 1 } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ totalItems: 4, totalPrice: 48.07 });
  });

  it("removes a book and recomputes the totals", async () => {
    // Act
    const response = await api.request("DELETE", "/carts/reader/items/book001");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      totalItems: 1,
      totalPrice: 0.1,
      cartItems: [{ bookId: "book002" }],
    });
  });

  it("answers a book that is not in the cart with 404", async () => {
    // Act
    const response = await api.request("PATCH", "/carts/reader/items/book999", { body: { quantity: 1 } });

    // Assert
    expect(response.status).toBe(404);
  });

  it("clears a cart, after which it is gone", async () => {
    // Act
    const cleared = await api.request("DELETE", "/carts/reader");
    const read = await api.request("GET", "/carts/reader");

    // Assert
    expect(cleared.json).toEqual({ userId: "reader", cleared: true, storage: "Amazon DynamoDB" });
    expect(read.status).toBe(404);
  });

  it("keeps totals right under 20 concurrent adds to the same cart", async () => {
    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.request("POST", "/carts/crowd/items", {
          body: book(i % 2 === 0 ? "shared" : `book-${i}`, "12.99", 1),
        }),
      ),
    );

    // Assert
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const cart = (await api.request("GET", "/carts/crowd")).json;
    expect(cart.totalItems).toBe(20);
    expect(cart.totalPrice).toBe(259.8);
    expect(cart.cartItems).toHaveLength(11);
    expect(cart.cartItems.find((l: { bookId: string }) => l.bookId === "shared").quantity).toBe(10);
  });
});
