import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { LIBRARY_TEXT } from "../../helpers/messages.ts";
import { type ApiHarness, type RequestOptions, startApiHarness, TOKEN } from "./harness.ts";

let api: ApiHarness;
/** An event of alice's that exists, for requests that must not touch it. */
let aliceEvent = "";

beforeAll(async () => {
  api = await startApiHarness();
  // Installed data (car parks, pets, a user, a cart, an event) is in place before the matrix runs.
  await api.installSeedData();
  await api.request("POST", "/users", { body: { userId: "alice", name: "Alice" } });
  await api.request("POST", "/carts/alice/items", {
    body: { bookId: "b1", title: "T", author: "A", price: 1, quantity: 1 },
  });
  aliceEvent = (await api.request("POST", "/users/alice/events", { body: { event_type: "login" } })).json
    .event_id;
});

afterAll(async () => {
  await api?.stop();
});

/** Every item of every table the API writes, to prove a refused request wrote nothing. */
async function snapshot(): Promise<string> {
  const tables = await Promise.all(
    Object.keys(pipeline.api.tables).map(async (key) => [key, await api.items(key)] as const),
  );
  return JSON.stringify(tables);
}

const pet = { name: "Rex", type: "dog", price: 10 };
const line = { bookId: "b2", title: "T", author: "A", price: 1.5, quantity: 1 };
const carbon = { category: "food", activity: "lunch", kgCO2e: 1 };
const goal = { title: "g", period: "daily", targetKgCO2e: 1 };
const json = (body: unknown): RequestOptions => ({ body });
/** A body sent exactly as written, for JSON that JSON.stringify cannot produce. */
const raw = (text: string): RequestOptions => ({
  rawBody: text,
  headers: { "content-type": "application/json" },
});
const huge = "x".repeat(pipeline.api.maxBodyBytes + 1);
const missingEvent = "/users/alice/events/1764518712923-0123456789abcdef0123456789abcdef";
const enc = encodeURIComponent;

interface Case {
  description: string;
  method: string;
  /** A function when the path names data created in beforeAll. */
  path: string | (() => string);
  options: RequestOptions;
  status: number;
  code: string;
  /** Field path the error must name, with the value it must say was given. */
  field?: { path: string; value: unknown };
}

/** A 400 naming `path` with `value`. */
const invalid = (
  description: string,
  method: string,
  path: string,
  options: RequestOptions,
  field: string,
  value: unknown,
): Case => ({
  description,
  method,
  path,
  options,
  status: 400,
  code: "validation_failed",
  field: { path: field, value },
});

/**
 * A 400 naming the path parameter of `route` (written as the OpenAPI document writes it, e.g.
 * "/carts/{userId}/items"), sent `value` percent-encoded in its place.
 */
const invalidPathParameter = (
  description: string,
  method: string,
  route: string,
  value: string,
  options: RequestOptions = {},
): Case => {
  const [placeholder, name] = /\{(\w+)\}/.exec(route) ?? [];
  if (placeholder === undefined) throw new Error(`route ${route} names no path parameter, e.g. {userId}`);
  return invalid(description, method, route.replace(placeholder, enc(value)), options, `path.${name}`, value);
};

const cases: Case[] = [
  // Missing fields and wrong types
  invalid("a pet without a name", "POST", "/pets", json({ type: "dog", price: 1 }), "body.name", null),
  invalid("a pet whose name is a number", "POST", "/pets", json({ ...pet, name: 42 }), "body.name", 42),
  invalid(
    "a price that is not a number",
    "POST",
    "/pets",
    json({ ...pet, price: "cheap" }),
    "body.price",
    "cheap",
  ),
  invalid(
    "a price whose exponent leaves 3 decimals",
    "POST",
    "/pets",
    json({ ...pet, price: "1e-3" }),
    "body.price",
    "1e-3",
  ),
  invalid("a body that is an array", "POST", "/pets", json([pet]), "body", [pet]),
  invalid("a body that is null", "POST", "/pets", raw("null"), "body", null),
  invalid("no body where one is needed", "POST", "/pets", {}, "body", null),
  invalid("a user without a name", "POST", "/users", json({ userId: "bob" }), "body.name", null),
  invalid(
    "an entry with an unknown category",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, category: "rockets" }),
    "body.category",
    "rockets",
  ),
  invalid(
    "an entry with a timestamp that is not an instant",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, timestamp: "yesterday" }),
    "body.timestamp",
    "yesterday",
  ),
  invalid(
    "a goal with an unknown period",
    "POST",
    "/users/alice/goals",
    json({ ...goal, period: "weekly" }),
    "body.period",
    "weekly",
  ),
  invalid(
    "an occupancy that is text",
    "PUT",
    "/car-parks/CP001/occupancy",
    json({ occupied: "ten" }),
    "body.occupied",
    "ten",
  ),
  invalid(
    "an event status that does not exist",
    "PATCH",
    missingEvent,
    json({ status: "done" }),
    "body.status",
    "done",
  ),
  // Negative and absurd quantities and prices
  invalid("a negative price", "POST", "/pets", json({ ...pet, price: -1 }), "body.price", -1),
  invalid("an absurd price", "POST", "/pets", json({ ...pet, price: 1e12 }), "body.price", 1e12),
  invalid(
    "a price with fractions of a cent",
    "POST",
    "/pets",
    json({ ...pet, price: 1.999 }),
    "body.price",
    1.999,
  ),
  invalid(
    "a negative cart price",
    "POST",
    "/carts/alice/items",
    json({ ...line, price: -1 }),
    "body.price",
    -1,
  ),
  invalid(
    "an absurd cart price",
    "POST",
    "/carts/alice/items",
    json({ ...line, price: 1e12 }),
    "body.price",
    1e12,
  ),
  invalid(
    "a cart price with 3 decimals",
    "POST",
    "/carts/alice/items",
    json({ ...line, price: 1.555 }),
    "body.price",
    1.555,
  ),
  invalid(
    "a zero quantity",
    "POST",
    "/carts/alice/items",
    json({ ...line, quantity: 0 }),
    "body.quantity",
    0,
  ),
  invalid(
    "a negative quantity",
    "POST",
    "/carts/alice/items",
    json({ ...line, quantity: -3 }),
    "body.quantity",
    -3,
  ),
  invalid(
    "an absurd quantity",
    "POST",
    "/carts/alice/items",
    json({ ...line, quantity: 1_000_000 }),
    "body.quantity",
    1_000_000,
  ),
  invalid(
    "a fractional quantity",
    "POST",
    "/carts/alice/items",
    json({ ...line, quantity: 2.5 }),
    "body.quantity",
    2.5,
  ),
  invalid(
    "a quantity as a string",
    "PATCH",
    "/carts/alice/items/b1",
    json({ quantity: "3" }),
    "body.quantity",
    "3",
  ),
  invalid(
    "a quantity past the line limit",
    "POST",
    "/carts/alice/items",
    json({ ...line, bookId: "b1", quantity: 999 }),
    "body.quantity",
    999,
  ),
  invalid(
    "a negative kgCO2e",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, kgCO2e: -0.5 }),
    "body.kgCO2e",
    -0.5,
  ),
  invalid(
    "a kgCO2e over its limit",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, kgCO2e: 100000.5 }),
    "body.kgCO2e",
    100000.5,
  ),
  invalid(
    "a kgCO2e with too many decimals",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, kgCO2e: 0.1234 }),
    "body.kgCO2e",
    0.1234,
  ),
  invalid(
    "a negative targetKgCO2e",
    "POST",
    "/users/alice/goals",
    json({ ...goal, targetKgCO2e: -5 }),
    "body.targetKgCO2e",
    -5,
  ),
  invalid(
    "an absurd targetKgCO2e",
    "POST",
    "/users/alice/goals",
    json({ ...goal, targetKgCO2e: 1e9 }),
    "body.targetKgCO2e",
    1e9,
  ),
  invalid(
    "an occupancy above capacity",
    "PUT",
    "/car-parks/CP001/occupancy",
    json({ occupied: 451 }),
    "body.occupied",
    451,
  ),
  invalid(
    "a negative occupancy",
    "PUT",
    "/car-parks/CP001/occupancy",
    json({ occupied: -1 }),
    "body.occupied",
    -1,
  ),
  // Numbers a JSON parser would round: refused as sent, never stored rounded
  invalid(
    "a price past a double's precision",
    "POST",
    "/pets",
    raw('{"name":"Rex","type":"dog","price":9.999999999999999999}'),
    "body.price",
    "9.999999999999999999",
  ),
  invalid(
    "a cart price that rounds to 2 decimals",
    "POST",
    "/carts/alice/items",
    raw('{"bookId":"b2","title":"T","author":"A","price":0.1000000000000000001,"quantity":1}'),
    "body.price",
    "0.1000000000000000001",
  ),
  invalid(
    "a kgCO2e that rounds to 3 decimals",
    "POST",
    "/users/alice/entries",
    raw('{"category":"food","activity":"lunch","kgCO2e":1.0000000000000000001}'),
    "body.kgCO2e",
    "1.0000000000000000001",
  ),
  invalid(
    "a quantity that rounds to a whole number",
    "POST",
    "/carts/alice/items",
    raw('{"bookId":"b2","title":"T","author":"A","price":1,"quantity":1.0000000000000001}'),
    "body.quantity",
    "1.0000000000000001",
  ),
  invalid(
    "a payload id past a double's precision",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"orderId":12345678901234567890}}'),
    "body.payload.orderId",
    "12345678901234567890",
  ),
  // Payloads DynamoDB would not store as sent
  invalid(
    "a payload number past Number.MAX_SAFE_INTEGER",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"big":1e20}}'),
    "body.payload.big",
    1e20,
  ),
  invalid(
    "a payload number closer to 0 than 1e-130",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"lines":[1,{"tiny":1e-200}]}}'),
    "body.payload.lines.1.tiny",
    1e-200,
  ),
  invalid(
    "a payload key __proto__",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"__proto__":{"admin":true}}}'),
    "body.payload.__proto__",
    { admin: true },
  ),
  invalid(
    "a nested payload key constructor",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"user":{"constructor":"x"}}}'),
    "body.payload.user.constructor",
    "x",
  ),
  invalid(
    "a payload key prototype",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"prototype":1}}'),
    "body.payload.prototype",
    1,
  ),
  invalid(
    "an empty payload key",
    "POST",
    "/users/alice/events",
    raw('{"event_type":"x","payload":{"":1}}'),
    "body.payload.",
    1,
  ),
  // Unknown fields
  invalid(
    "a pet with an unknown field",
    "POST",
    "/pets",
    json({ ...pet, colour: "brown" }),
    "body.colour",
    "brown",
  ),
  invalid(
    "a cart line that sets its own total",
    "POST",
    "/carts/alice/items",
    json({ ...line, totalPrice: 0 }),
    "body.totalPrice",
    0,
  ),
  invalid(
    "an event that sets its own status",
    "POST",
    "/users/alice/events",
    json({ event_type: "x", status: "delivered" }),
    "body.status",
    "delivered",
  ),
  invalid(
    "a body on simulate with a field",
    "POST",
    "/car-parks/simulate",
    json({ carParks: 5 }),
    "body.carParks",
    5,
  ),
  // Unicode and injection strings in keys and paths
  invalidPathParameter(
    "a unicode user id in the path",
    "POST",
    "/carts/{userId}/items",
    "ユーザー",
    json(line),
  ),
  invalidPathParameter(
    "a look-alike (Cyrillic a) user id",
    "POST",
    "/users/{userId}/entries",
    "\u0430lice",
    json(carbon),
  ),
  invalidPathParameter(
    "an injection string as user id",
    "POST",
    "/carts/{userId}/items",
    "x' OR '1'='1",
    json(line),
  ),
  invalidPathParameter(
    "an encoded slash in a path id",
    "POST",
    "/users/{userId}/events",
    "../alice",
    json({ event_type: "x" }),
  ),
  invalidPathParameter(
    "an injection string as car park id",
    "PUT",
    "/car-parks/{carParkId}/occupancy",
    "CP001' OR '1'='1",
    json({ occupied: 1 }),
  ),
  invalidPathParameter(
    "a full-width unicode car park id",
    "PUT",
    "/car-parks/{carParkId}/occupancy",
    "ＣＰ００１",
    json({ occupied: 1 }),
  ),
  invalidPathParameter(
    "an injection string as book id in the path",
    "PATCH",
    "/carts/alice/items/{bookId}",
    "b1; DROP TABLE carts",
    json({ quantity: 2 }),
  ),
  invalidPathParameter("an emoji as book id in the path", "DELETE", "/carts/alice/items/{bookId}", "📚"),
  invalid(
    "a control character in a book id",
    "POST",
    "/carts/alice/items",
    json({ ...line, bookId: "b\u0000x" }),
    "body.bookId",
    "b\u0000x",
  ),
  invalid(
    "a script tag as a new user id",
    "POST",
    "/users",
    json({ userId: "<script>", name: "x" }),
    "body.userId",
    "<script>",
  ),
  invalid(
    "an event type with a key separator",
    "POST",
    "/users/alice/events",
    json({ event_type: "login#pending" }),
    "body.event_type",
    "login#pending",
  ),
  invalidPathParameter(
    "an event id that carries no instant",
    "PATCH",
    "/users/alice/events/{eventId}",
    "abc",
    json({ status: "processing" }),
  ),
  invalid("a pet id that is not a number", "GET", "/pets/1%20OR%201=1", {}, "path.id", "1 OR 1=1"),
  invalidPathParameter(
    "an entry timestamp in the path that is not an instant",
    "DELETE",
    "/users/alice/entries/{timestamp}",
    "not-a-time",
  ),
  invalidPathParameter(
    "an entry timestamp in the path with month 13",
    "DELETE",
    "/users/alice/entries/{timestamp}",
    "2025-13-01T00:00:00Z",
  ),
  // Bad reads: path ids and query parameters
  invalidPathParameter("a user id with a space", "GET", "/users/{userId}", "al ice"),
  invalidPathParameter("a script tag as user id of goals", "GET", "/users/{userId}/goals", "<script>"),
  invalidPathParameter(
    "a user id with a slash for achievements",
    "GET",
    "/users/{userId}/achievements",
    "a/b",
  ),
  invalidPathParameter("a unicode user id of a cart", "GET", "/carts/{userId}", "ユーザー"),
  invalid(
    "a reversed date range",
    "GET",
    "/users/alice/entries?from=2025-12-01&to=2025-11-01",
    {},
    "query.from",
    "2025-12-01",
  ),
  invalid(
    "a reversed range of events",
    "GET",
    "/users/alice/events?from=2025-12-01T10:00:00Z&to=2025-11-30",
    {},
    "query.from",
    "2025-12-01T10:00:00Z",
  ),
  invalid("a query parameter given twice", "GET", "/users/alice/events?type=a&type=b", {}, "query.type", "b"),
  invalid("an unknown query parameter", "GET", "/users/alice/entries?sort=asc", {}, "query.sort", "asc"),
  invalid("a limit of 0", "GET", "/users/alice/entries?limit=0", {}, "query.limit", "0"),
  invalid(
    "an event status filter that does not exist",
    "GET",
    "/users/alice/events?status=bogus",
    {},
    "query.status",
    "bogus",
  ),
  invalid("an events limit of 101", "GET", "/users/alice/events?limit=101", {}, "query.limit", "101"),
  invalid(
    "an events limit that is not a number",
    "GET",
    "/users/alice/events?limit=abc",
    {},
    "query.limit",
    "abc",
  ),
  // Transport: size, JSON, content type
  ...[
    { method: "POST", path: "/pets", body: { ...pet, name: huge } },
    { method: "POST", path: "/users/alice/entries", body: { ...carbon, note: huge } },
    { method: "POST", path: "/carts/alice/items", body: { ...line, title: huge } },
    { method: "PATCH", path: missingEvent, body: { status: huge } },
    { method: "PUT", path: "/car-parks/CP001/occupancy", body: { occupied: 1, pad: huge } },
  ].map(
    ({ method, path, body }): Case => ({
      description: `a body over maxBodyBytes on ${method} ${path}`,
      method,
      path,
      options: json(body),
      status: 413,
      code: "payload_too_large",
    }),
  ),
  ...[
    { method: "POST", path: "/pets", text: '{"name": "Rex",' },
    { method: "POST", path: "/carts/alice/items", text: '{"bookId":' },
    { method: "PATCH", path: missingEvent, text: "{status: processing}" },
    { method: "PUT", path: "/car-parks/CP001/occupancy", text: "{'occupied': 1}" },
    { method: "POST", path: "/users/alice/goals", text: '{"title":"g",}' },
  ].map(
    ({ method, path, text }): Case => ({
      description: `malformed JSON on ${method} ${path}`,
      method,
      path,
      options: raw(text),
      status: 400,
      code: "malformed_json",
    }),
  ),
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
  // Auth, on every kind of method
  ...[
    {
      description: "no token on a POST",
      method: "POST",
      path: "/pets",
      options: { ...json(pet), token: null },
    },
    {
      description: "a wrong token on a POST",
      method: "POST",
      path: "/carts/alice/items",
      options: { ...json(line), token: "guess" },
    },
    {
      description: "a token one character short on a DELETE",
      method: "DELETE",
      path: "/carts/alice",
      options: { token: "test-token-5f1c2b9" },
    },
    { description: "no token on a GET", method: "GET", path: "/users/alice", options: { token: null } },
    {
      description: "a wrong token on a GET",
      method: "GET",
      path: "/carts/alice",
      options: { token: "guess" },
    },
    {
      description: "no token on a PUT",
      method: "PUT",
      path: "/car-parks/CP001/occupancy",
      options: { ...json({ occupied: 7 }), token: null },
    },
    {
      description: "a wrong token on a PUT",
      method: "PUT",
      path: "/car-parks/CP001/occupancy",
      options: { ...json({ occupied: 7 }), token: `${TOKEN}x` },
    },
    {
      description: "no token on a PATCH",
      method: "PATCH",
      path: () => `/users/alice/events/${aliceEvent}`,
      options: { ...json({ status: "processing" }), token: null },
    },
    {
      description: "a wrong token on a PATCH",
      method: "PATCH",
      path: () => `/users/alice/events/${aliceEvent}`,
      options: { ...json({ status: "processing" }), token: "guess" },
    },
    {
      description: "a Basic scheme on a PATCH",
      method: "PATCH",
      path: "/carts/alice/items/b1",
      options: { ...json({ quantity: 5 }), token: null, headers: { authorization: `Basic ${TOKEN}` } },
    },
  ].map((c): Case => ({ ...c, status: 401, code: "unauthorized" })),
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
  // Instants in the future, beyond the declared clock skew
  invalid(
    "an entry dated 2999-01-01",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, timestamp: "2999-01-01T00:00:00Z" }),
    "body.timestamp",
    "2999-01-01T00:00:00.000Z",
  ),
  invalid(
    "an entry dated ten minutes ahead",
    "POST",
    "/users/alice/entries",
    json({ ...carbon, timestamp: new Date(Date.now() + 10 * 60_000).toISOString() }),
    "body.timestamp",
    expect.any(String),
  ),
  // Re-adding a book at another price would reprice the whole line silently
  {
    description: "a book re-added at another price",
    method: "POST",
    path: "/carts/alice/items",
    options: json({ bookId: "b1", title: "T", author: "A", price: 2, quantity: 1 }),
    status: 409,
    code: "conflict",
  },
  // An Idempotency-Key in UTF-8 (HTTP carries it as Latin-1 bytes), answered as sent
  invalid(
    "an Idempotency-Key with non-ASCII characters",
    "POST",
    "/pets",
    { ...json(pet), headers: { "idempotency-key": Buffer.from("clé-1", "utf8").toString("latin1") } },
    "header.idempotency-key",
    "clé-1",
  ),
  // Idempotency key that is not a key
  invalid(
    "an Idempotency-Key with spaces",
    "POST",
    "/pets",
    { ...json(pet), headers: { "idempotency-key": "a b" } },
    "header.idempotency-key",
    "a b",
  ),
];

describe("bad input", () => {
  it.each(cases)(
    "refuses $description with $status and writes nothing",
    async ({ method, path, options, status, code, field }) => {
      // Arrange
      const before = await snapshot();

      // Act
      const response = await api.request(method, typeof path === "function" ? path() : path, options);

      // Assert
      expect(response.status).toBe(status);
      expect(response.json.error).toMatchObject({
        code,
        message: expect.any(String),
        requestId: response.headers.get("x-request-id"),
      });
      if (field !== undefined) {
        expect(response.json.error.fields).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              path: field.path,
              value: field.value,
              expected: expect.stringMatching(/\S/),
            }),
          ]),
        );
        expect(response.json.error.message).toContain(field.path);
      }
      // ripple's words, never the validation library's ("Invalid input", "Too small: expected …").
      expect(response.json.error.message).not.toMatch(LIBRARY_TEXT);
      expect(await snapshot()).toBe(before);
    },
  );

  it.each([
    {
      description: "a price past a double's precision",
      path: "/pets",
      text: '{"name":"Rex","type":"dog","price":9.999999999999999999}',
      message: /body\.price \(sent as 9\.999999999999999999\).*at most 2 digits.*reads as 10/,
    },
    {
      description: "a payload number past a double's precision",
      path: "/users/alice/events",
      text: '{"event_type":"x","payload":{"orderId":12345678901234567890}}',
      message: /body\.payload\.orderId.*as a string \("12345678901234567890"\)/,
    },
    {
      description: "a quantity that rounds to a whole number",
      path: "/carts/alice/items",
      text: '{"bookId":"b2","title":"T","author":"A","price":1,"quantity":1.0000000000000001}',
      message: /body\.quantity.*at most 15 significant digits.*reads as 1\b/,
    },
  ])("says what to send instead of $description", async ({ path, text, message }) => {
    // Act
    const response = await api.request("POST", path, raw(text));

    // Assert
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(message);
  });

  it("names every bad field of one request with its value and what is expected", async () => {
    // Act
    const response = await api.request("POST", "/pets", { body: { name: "", type: 7, price: -2, age: 3 } });

    // Assert
    expect(response.json.error.fields).toEqual([
      {
        path: "body.name",
        value: "",
        expected: 'a non-empty string, such as "Rex"',
        fix: "send a non-empty body.name",
      },
      { path: "body.type", value: 7, expected: 'a string, such as "Rex"', fix: "send body.type as a string" },
      { path: "body.price", value: -2, expected: "a decimal of 0 or more" },
      { path: "body.age", value: 3, expected: expect.stringContaining("no such field") },
    ]);
  });

  it.each([
    { description: "1e2 as a JSON number and as a string", number: "1e2", text: '"1e2"', price: "100" },
    {
      description: "1.5e-1 as a JSON number and as a string",
      number: "1.5e-1",
      text: '"1.5e-1"',
      price: "0.15",
    },
  ])("reads $description the same way", async ({ number, text, price }) => {
    // Act
    const asNumber = await api.request("POST", "/pets", raw(`{"name":"N","type":"dog","price":${number}}`));
    const asString = await api.request("POST", "/pets", raw(`{"name":"S","type":"dog","price":${text}}`));

    // Assert
    expect([asNumber.status, asString.status]).toEqual([201, 201]);
    expect(asNumber.text).toContain(`"price":${price},`);
    expect(asString.text).toContain(`"price":${price},`);
  });

  it("answers a wrong method with the Allow header", async () => {
    // Act
    const response = await api.request("PATCH", "/pets");

    // Assert
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });
});
