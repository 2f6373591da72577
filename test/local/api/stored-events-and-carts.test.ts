import { GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { CART_TTL_SECONDS } from "#schemas/cart.ts";
import { STORED_EVENT_TTL_SECONDS } from "#schemas/stored-events.ts";
import { startedForSuite } from "../../helpers/suite.ts";
import { startApiHarness } from "./harness.ts";

const api = startedForSuite(() => startApiHarness());

const store = (userId: string, event_type: string, payload?: object) =>
  api.request("POST", `/users/${userId}/events`, { body: { event_type, ...(payload ? { payload } : {}) } });

/** Moves an event's ttl into the past, as an event does that DynamoDB has not deleted yet (up to 48 h). */
async function expire(userId: string, event: { "timestamp#event_id": string }): Promise<void> {
  await api.dynamo.client.send(
    new UpdateItemCommand({
      TableName: pipeline.tables.storedEvents!.tableName,
      Key: { user_id: { S: userId }, "timestamp#event_id": { S: event["timestamp#event_id"] } },
      UpdateExpression: "SET #ttl = :past",
      ExpressionAttributeNames: { "#ttl": "ttl" },
      ExpressionAttributeValues: { ":past": { N: String(Math.floor(Date.now() / 1000) - 60) } },
    }),
  );
}

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
    { description: "on the base table", query: (from: string, to: string) => `from=${from}&to=${to}` },
    {
      description: "through StatusIndex",
      query: (from: string, to: string) => `status=pending&from=${from}&to=${to}`,
    },
    {
      description: "through EventTypeIndex with a status filter",
      query: (from: string, to: string) => `type=tick&status=pending&from=${from}&to=${to}`,
    },
  ])("bounds the listing by from and to $description", async ({ query }) => {
    // Arrange
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push((await store("u3b", "tick")).json);
      await new Promise((r) => setTimeout(r, 5));
    }
    const middle = made[1];

    // Act
    const response = await api.request(
      "GET",
      `/users/u3b/events?${query(middle.timestamp, middle.timestamp)}`,
    );

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.events.map((e: { event_id: string }) => e.event_id)).toEqual([middle.event_id]);
  });

  it.each([
    { description: "on the base table", query: "" },
    { description: "through EventTypeIndex", query: "?type=old" },
    { description: "through StatusIndex", query: "?status=pending" },
    { description: "through EventTypeIndex with a status filter", query: "?type=old&status=pending" },
  ])("leaves events past their ttl out of the listing $description", async ({ query }) => {
    // Arrange
    const live = await store("u7", "old");
    const expired = await store("u7", "old");
    await expire("u7", expired.json);

    // Act
    const response = await api.request("GET", `/users/u7/events${query}`);

    // Assert
    const ids = response.json.events.map((e: { event_id: string }) => e.event_id);
    expect(ids).toContain(live.json.event_id);
    expect(ids).not.toContain(expired.json.event_id);
  });

  it("answers a PATCH of an event past its ttl with 404 and leaves it unchanged", async () => {
    // Arrange
    const created = await store("u8", "job");
    await expire("u8", created.json);

    // Act
    const response = await api.request("PATCH", `/users/u8/events/${created.json.event_id}`, {
      body: { status: "processing" },
    });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json.error.message).toContain("expired");
    const item = await api.dynamo.client.send(
      new GetItemCommand({
        TableName: pipeline.tables.storedEvents!.tableName,
        Key: { user_id: { S: "u8" }, "timestamp#event_id": { S: created.json["timestamp#event_id"] } },
      }),
    );
    expect(item.Item?.status).toEqual({ S: "pending" });
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

const book = (bookId: string, price: number | string, quantity: number) => ({
  bookId,
  title: `Title ${bookId}`,
  author: "Author",
  price,
  quantity,
});
const emptyCart = (userId: string) => ({
  userId,
  cartItems: [],
  totalItems: 0,
  totalPrice: 0,
  storage: "Amazon DynamoDB",
});

describe("CloudShelf cart routes", () => {
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

  it("clears a cart with 204, after which it reads as empty, and clears it again with 204", async () => {
    // Act
    const cleared = await api.request("DELETE", "/carts/reader");
    const read = await api.request("GET", "/carts/reader");
    const again = await api.request("DELETE", "/carts/reader");
    const never = await api.request("DELETE", "/carts/never-had-one");

    // Assert
    expect(cleared.status).toBe(204);
    expect(cleared.text).toBe("");
    expect(read.status).toBe(200);
    expect(read.json).toEqual(emptyCart("reader"));
    expect(again.status).toBe(204);
    expect(never.status).toBe(204);
  });

  it("answers a user without a cart with an empty cart, as seed 004's get_cart does, writing nothing", async () => {
    // Act
    const response = await api.request("GET", "/carts/nobody");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual(emptyCart("nobody"));
    expect((await api.items("carts")).map((c) => c.userId)).not.toContainEqual({ S: "nobody" });
  });

  it("stamps lastUpdated on every change", async () => {
    // Arrange
    const before = new Date().toISOString();

    // Act
    const added = await api.request("POST", "/carts/stamped/items", { body: book("b1", 1, 1) });
    await new Promise((r) => setTimeout(r, 5));
    const changed = await api.request("PATCH", "/carts/stamped/items/b1", { body: { quantity: 2 } });
    await new Promise((r) => setTimeout(r, 5));
    const removed = await api.request("DELETE", "/carts/stamped/items/b1");

    // Assert
    const stamps = [added, changed, removed].map((r) => r.json.lastUpdated as string);
    expect(stamps[0]! >= before).toBe(true);
    expect(stamps[0]! < stamps[1]! && stamps[1]! < stamps[2]!).toBe(true);
    expect(added.json.cartItems[0].addedAt).toBe(stamps[0]);
    const stored = await api.dynamo.client.send(
      new GetItemCommand({ TableName: pipeline.tables.carts!.tableName, Key: { userId: { S: "stamped" } } }),
    );
    expect(stored.Item?.lastUpdated).toEqual({ S: stamps[2] });
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

describe("CloudShelf carts under concurrent changes", () => {
  it.each([
    {
      description: "PATCH of a book races adds of other books",
      change: () => api.request("PATCH", "/carts/race1/items/base", { body: { quantity: 7 } }),
      base: { quantity: 7 },
    },
    {
      description: "DELETE of a book races adds of other books",
      change: () => api.request("DELETE", "/carts/race1/items/base"),
      base: undefined,
    },
  ])("keeps every change and totals right when a $description", async ({ change, base }) => {
    // Arrange
    await api.request("DELETE", "/carts/race1");
    await api.request("POST", "/carts/race1/items", { body: book("base", "2.50", 1) });

    // Act
    const responses = await Promise.all([
      change(),
      ...Array.from({ length: 10 }, (_, i) =>
        api.request("POST", "/carts/race1/items", { body: book(`add-${i}`, "1.25", 1) }),
      ),
    ]);

    // Assert
    expect(responses.map((r) => r.status)).toEqual(Array(11).fill(200));
    const cart = (await api.request("GET", "/carts/race1")).json;
    const baseLine = cart.cartItems.find((l: { bookId: string }) => l.bookId === "base");
    expect(baseLine === undefined ? undefined : { quantity: baseLine.quantity }).toEqual(base);
    expect(cart.cartItems).toHaveLength(base === undefined ? 10 : 11);
    expect(cart.totalItems).toBe(10 + (base?.quantity ?? 0));
    expect(cart.totalPrice).toBe(12.5 + 2.5 * (base?.quantity ?? 0));
    const latest = responses
      .map((r) => r.json.lastUpdated as string)
      .sort()
      .at(-1);
    expect(cart.lastUpdated).toBe(latest);
  });
});

describe("CloudShelf carts written around the API", () => {
  const putCart = (item: Record<string, unknown>) =>
    api.dynamo.client.send(
      new PutItemCommand({
        TableName: pipeline.tables.carts!.tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
      }),
    );
  /** Seed 004's data model example: a line without author, and no version. */
  const seedExample = (userId: string) => ({
    userId,
    cartItems: [
      {
        bookId: "book001",
        title: "The Great Gatsby",
        quantity: 2,
        price: 15.99,
        addedAt: "2025-09-03T10:30:00Z",
      },
    ],
    totalItems: 2,
    totalPrice: 31.98,
    lastUpdated: "2025-09-03T10:30:00Z",
    ttl: 1725552600,
  });

  it.each([
    {
      description: "seed 004's data model example (no author, no version)",
      item: seedExample("seed-example"),
      expected: {
        cartItems: [{ bookId: "book001", title: "The Great Gatsby", quantity: 2, price: 15.99 }],
        totalItems: 2,
        totalPrice: 31.98,
        lastUpdated: "2025-09-03T10:30:00Z",
      },
    },
    {
      description: "seed 004's put-item test (only userId and an empty cartItems)",
      item: { userId: "test123", cartItems: [] },
      expected: { cartItems: [], totalItems: 0, totalPrice: 0 },
    },
  ])("reads a cart put as $description", async ({ item, expected }) => {
    // Arrange
    await putCart(item);

    // Act
    const response = await api.request("GET", `/carts/${item.userId}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ userId: item.userId, ...expected, storage: "Amazon DynamoDB" });
  });

  it.each([
    {
      description: "adds a book",
      request: (userId: string) =>
        api.request("POST", `/carts/${userId}/items`, { body: book("book002", "4.00", 1) }),
      totalItems: 3,
      totalPrice: 35.98,
    },
    {
      description: "sets a quantity",
      request: (userId: string) =>
        api.request("PATCH", `/carts/${userId}/items/book001`, { body: { quantity: 3 } }),
      totalItems: 3,
      totalPrice: 47.97,
    },
    {
      description: "removes a book",
      request: (userId: string) => api.request("DELETE", `/carts/${userId}/items/book001`),
      totalItems: 0,
      totalPrice: 0,
    },
  ])(
    "$description in a cart that has no version yet, and versions it",
    async ({ request, totalItems, totalPrice }) => {
      // Arrange
      const userId = `unversioned-${totalItems}-${totalPrice}`.replace(".", "-");
      await putCart(seedExample(userId));

      // Act
      const response = await request(userId);

      // Assert
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ totalItems, totalPrice });
      const stored = await api.dynamo.client.send(
        new GetItemCommand({ TableName: pipeline.tables.carts!.tableName, Key: { userId: { S: userId } } }),
      );
      expect(stored.Item?.version).toEqual({ N: "1" });
      expect(stored.Item?.totalItems).toEqual({ N: String(totalItems) });
    },
  );

  it("answers a stored cart that breaks seed 004's model with 409 naming the field, never 500", async () => {
    // Arrange
    await putCart({ userId: "broken", cartItems: [{ bookId: "b", title: "T", quantity: "many" }] });

    // Act
    const response = await api.request("GET", "/carts/broken");

    // Assert
    expect(response.status).toBe(409);
    expect(response.json.error.message).toMatch(/cart\.cartItems\.0\.(quantity|price|addedAt)/);
  });
});
