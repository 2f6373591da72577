import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { type ApiHarness, type RequestOptions, startApiHarness } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
  // Installed data (car parks, pets, a user, a cart, an event) is in place before the matrix runs.
  await api.request("GET", "/car-parks");
  await api.request("GET", "/pets");
  await api.request("POST", "/users", { body: { userId: "alice", name: "Alice" } });
  await api.request("POST", "/carts/alice/items", {
    body: { bookId: "b1", title: "T", author: "A", price: 1, quantity: 1 },
  });
  await api.request("POST", "/users/alice/events", { body: { event_type: "login" } });
});

afterAll(async () => {
  await api?.stop();
});

/** Every item of every table the API writes, to prove a refused request wrote nothing. */
async function snapshot(): Promise<string> {
  const tables = await Promise.all(
    pipeline.api.tables.map(async (key) => [key, await api.items(key)] as const),
  );
  return JSON.stringify(tables);
}

const pet = { name: "Rex", type: "dog", price: 10 };
const line = { bookId: "b2", title: "T", author: "A", price: 1.5, quantity: 1 };
const carbon = { category: "food", activity: "lunch", kgCO2e: 1 };
const json = (body: unknown): RequestOptions => ({ body });
const huge = "x".repeat(pipeline.api.maxBodyBytes + 1);

interface Case {
  description: string;
  method: string;
  path: string;
  options: RequestOptions;
  status: number;
  code: string;
  /** Field path the error must name. */
  field?: string;
}

const cases: Case[] = [
  // Missing fields and wrong types
  {
    description: "a pet without a name",
    method: "POST",
    path: "/pets",
    options: json({ type: "dog", price: 1 }),
    status: 400,
    code: "validation_failed",
    field: "body.name",
  },
  {
    description: "a pet whose name is a number",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, name: 42 }),
    status: 400,
    code: "validation_failed",
    field: "body.name",
  },
  {
    description: "a price that is not a number",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, price: "cheap" }),
    status: 400,
    code: "validation_failed",
    field: "body.price",
  },
  {
    description: "a price in exponent form",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, price: "1e3" }),
    status: 400,
    code: "validation_failed",
    field: "body.price",
  },
  {
    description: "a body that is an array",
    method: "POST",
    path: "/pets",
    options: json([pet]),
    status: 400,
    code: "validation_failed",
    field: "body",
  },
  {
    description: "a body that is null",
    method: "POST",
    path: "/pets",
    options: { rawBody: "null", headers: { "content-type": "application/json" } },
    status: 400,
    code: "validation_failed",
    field: "body",
  },
  {
    description: "no body where one is needed",
    method: "POST",
    path: "/pets",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "body",
  },
  {
    description: "a user without a name",
    method: "POST",
    path: "/users",
    options: json({ userId: "bob" }),
    status: 400,
    code: "validation_failed",
    field: "body.name",
  },
  {
    description: "an entry with an unknown category",
    method: "POST",
    path: "/users/alice/entries",
    options: json({ ...carbon, category: "rockets" }),
    status: 400,
    code: "validation_failed",
    field: "body.category",
  },
  {
    description: "an entry with a timestamp that is not an instant",
    method: "POST",
    path: "/users/alice/entries",
    options: json({ ...carbon, timestamp: "yesterday" }),
    status: 400,
    code: "validation_failed",
    field: "body.timestamp",
  },
  {
    description: "a goal with an unknown period",
    method: "POST",
    path: "/users/alice/goals",
    options: json({ title: "g", period: "weekly", targetKgCO2e: 1 }),
    status: 400,
    code: "validation_failed",
    field: "body.period",
  },
  {
    description: "an occupancy that is text",
    method: "PUT",
    path: "/car-parks/CP001/occupancy",
    options: json({ occupied: "ten" }),
    status: 400,
    code: "validation_failed",
    field: "body.occupied",
  },
  {
    description: "an event status that does not exist",
    method: "PATCH",
    path: "/users/alice/events/1764518712923-0123456789abcdef0123456789abcdef",
    options: json({ status: "done" }),
    status: 400,
    code: "validation_failed",
    field: "body.status",
  },
  // Negative and absurd quantities and prices
  {
    description: "a negative price",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, price: -1 }),
    status: 400,
    code: "validation_failed",
    field: "body.price",
  },
  {
    description: "an absurd price",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, price: 1e12 }),
    status: 400,
    code: "validation_failed",
    field: "body.price",
  },
  {
    description: "a price with fractions of a cent",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, price: 1.999 }),
    status: 400,
    code: "validation_failed",
    field: "body.price",
  },
  {
    description: "a zero quantity",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, quantity: 0 }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "a negative quantity",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, quantity: -3 }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "an absurd quantity",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, quantity: 1_000_000 }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "a fractional quantity",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, quantity: 2.5 }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "a quantity as a string",
    method: "PATCH",
    path: "/carts/alice/items/b1",
    options: json({ quantity: "3" }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "a quantity past the line limit",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, bookId: "b1", quantity: 999 }),
    status: 400,
    code: "validation_failed",
    field: "body.quantity",
  },
  {
    description: "a negative kgCO2e",
    method: "POST",
    path: "/users/alice/entries",
    options: json({ ...carbon, kgCO2e: -0.5 }),
    status: 400,
    code: "validation_failed",
    field: "body.kgCO2e",
  },
  {
    description: "an occupancy above capacity",
    method: "PUT",
    path: "/car-parks/CP001/occupancy",
    options: json({ occupied: 451 }),
    status: 400,
    code: "validation_failed",
    field: "body.occupied",
  },
  {
    description: "a negative occupancy",
    method: "PUT",
    path: "/car-parks/CP001/occupancy",
    options: json({ occupied: -1 }),
    status: 400,
    code: "validation_failed",
    field: "body.occupied",
  },
  // Unknown fields
  {
    description: "a pet with an unknown field",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, colour: "brown" }),
    status: 400,
    code: "validation_failed",
    field: "body.colour",
  },
  {
    description: "a cart line that sets its own total",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, totalPrice: 0 }),
    status: 400,
    code: "validation_failed",
    field: "body.totalPrice",
  },
  {
    description: "an event that sets its own status",
    method: "POST",
    path: "/users/alice/events",
    options: json({ event_type: "x", status: "delivered" }),
    status: 400,
    code: "validation_failed",
    field: "body.status",
  },
  {
    description: "a body on simulate with a field",
    method: "POST",
    path: "/car-parks/simulate",
    options: json({ carParks: 5 }),
    status: 400,
    code: "validation_failed",
    field: "body.carParks",
  },
  // Unicode and injection strings in keys and paths
  {
    description: "a unicode user id in the path",
    method: "POST",
    path: `/carts/${encodeURIComponent("ユーザー")}/items`,
    options: json(line),
    status: 400,
    code: "validation_failed",
    field: "path.userId",
  },
  {
    description: "a look-alike (Cyrillic a) user id",
    method: "POST",
    path: `/users/${encodeURIComponent("\u0430lice")}/entries`,
    options: json(carbon),
    status: 400,
    code: "validation_failed",
    field: "path.userId",
  },
  {
    description: "an injection string as user id",
    method: "POST",
    path: `/carts/${encodeURIComponent("x' OR '1'='1")}/items`,
    options: json(line),
    status: 400,
    code: "validation_failed",
    field: "path.userId",
  },
  {
    description: "an encoded slash in a path id",
    method: "POST",
    path: `/users/${encodeURIComponent("../alice")}/events`,
    options: json({ event_type: "x" }),
    status: 400,
    code: "validation_failed",
    field: "path.userId",
  },
  {
    description: "a control character in a book id",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ ...line, bookId: "b\u0000x" }),
    status: 400,
    code: "validation_failed",
    field: "body.bookId",
  },
  {
    description: "a script tag as a new user id",
    method: "POST",
    path: "/users",
    options: json({ userId: "<script>", name: "x" }),
    status: 400,
    code: "validation_failed",
    field: "body.userId",
  },
  {
    description: "an event type with a key separator",
    method: "POST",
    path: "/users/alice/events",
    options: json({ event_type: "login#pending" }),
    status: 400,
    code: "validation_failed",
    field: "body.event_type",
  },
  {
    description: "an event id that carries no instant",
    method: "PATCH",
    path: "/users/alice/events/abc",
    options: json({ status: "processing" }),
    status: 400,
    code: "validation_failed",
    field: "path.eventId",
  },
  {
    description: "a pet id that is not a number",
    method: "GET",
    path: "/pets/1%20OR%201=1",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "path.id",
  },
  {
    description: "a reversed date range",
    method: "GET",
    path: "/users/alice/entries?from=2025-12-01&to=2025-11-01",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "query.from",
  },
  {
    description: "a query parameter given twice",
    method: "GET",
    path: "/users/alice/events?type=a&type=b",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "query.type",
  },
  {
    description: "an unknown query parameter",
    method: "GET",
    path: "/users/alice/entries?sort=asc",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "query.sort",
  },
  {
    description: "a limit of 0",
    method: "GET",
    path: "/users/alice/entries?limit=0",
    options: {},
    status: 400,
    code: "validation_failed",
    field: "query.limit",
  },
  // Transport: size, JSON, content type
  {
    description: "a body over maxBodyBytes",
    method: "POST",
    path: "/pets",
    options: json({ ...pet, name: huge }),
    status: 413,
    code: "payload_too_large",
  },
  {
    description: "malformed JSON",
    method: "POST",
    path: "/pets",
    options: { rawBody: '{"name": "Rex",', headers: { "content-type": "application/json" } },
    status: 400,
    code: "malformed_json",
  },
  {
    description: "a form-encoded body",
    method: "POST",
    path: "/pets",
    options: {
      rawBody: "name=Rex&type=dog&price=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    },
    status: 415,
    code: "unsupported_media_type",
  },
  {
    description: "a JSON body sent as text/plain",
    method: "POST",
    path: "/users",
    options: { rawBody: JSON.stringify({ name: "x" }), headers: { "content-type": "text/plain" } },
    status: 415,
    code: "unsupported_media_type",
  },
  // Auth
  {
    description: "no token",
    method: "POST",
    path: "/pets",
    options: { ...json(pet), token: null },
    status: 401,
    code: "unauthorized",
  },
  {
    description: "a wrong token",
    method: "POST",
    path: "/carts/alice/items",
    options: { ...json(line), token: "guess" },
    status: 401,
    code: "unauthorized",
  },
  {
    description: "a token one character short",
    method: "DELETE",
    path: "/carts/alice",
    options: { token: "test-token-5f1c2b9" },
    status: 401,
    code: "unauthorized",
  },
  // Routing
  {
    description: "an unknown route",
    method: "POST",
    path: "/parrots",
    options: json(pet),
    status: 404,
    code: "not_found",
  },
  {
    description: "a wrong method",
    method: "PUT",
    path: "/pets",
    options: json(pet),
    status: 405,
    code: "method_not_allowed",
  },
  // Idempotency key that is not a key
  {
    description: "an Idempotency-Key with spaces",
    method: "POST",
    path: "/pets",
    options: { ...json(pet), headers: { "idempotency-key": "a b" } },
    status: 400,
    code: "validation_failed",
    field: "header.idempotency-key",
  },
];

describe("bad input", () => {
  it.each(cases)(
    "refuses $description with $status and writes nothing",
    async ({ method, path, options, status, code, field }) => {
      // Arrange
      const before = await snapshot();

      // Act
      const response = await api.request(method, path, options);

      // Assert
      expect(response.status).toBe(status);
      expect(response.json.error).toMatchObject({
        code,
        message: expect.any(String),
        requestId: response.headers.get("x-request-id"),
      });
      if (field !== undefined) {
        expect(response.json.error.fields).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: field, expected: expect.any(String) })]),
        );
        expect(response.json.error.message).toContain(field);
      }
      expect(await snapshot()).toBe(before);
    },
  );

  it("names every bad field of one request with its value and what is expected", async () => {
    // Act
    const response = await api.request("POST", "/pets", { body: { name: "", type: 7, price: -2, age: 3 } });

    // Assert
    expect(response.json.error.fields).toEqual([
      { path: "body.name", value: "", expected: expect.stringMatching(/>=1|at least/i) },
      { path: "body.type", value: 7, expected: "string, received number" },
      { path: "body.price", value: -2, expected: "a decimal of 0 or more" },
      { path: "body.age", value: 3, expected: expect.stringContaining("no such field") },
    ]);
  });

  it("answers a wrong method with the Allow header", async () => {
    // Act
    const response = await api.request("PATCH", "/pets");

    // Assert
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });
});
