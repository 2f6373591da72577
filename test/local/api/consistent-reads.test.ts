import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import {
  type ApiHarness,
  apiEvent,
  handlerWith,
  type SentCommand,
  startApiHarness,
  watchedClient,
} from "./harness.ts";

let api: ApiHarness;
let sent: SentCommand[];
let handler: ReturnType<typeof handlerWith>;

beforeAll(async () => {
  api = await startApiHarness();
  const watched = watchedClient(api.dynamo);
  sent = watched.sent;
  handler = handlerWith(watched.client);
  await handler(apiEvent("POST", "/users", { body: { userId: "reader", name: "Reader" } }));
});

afterAll(async () => {
  await api?.stop();
});

const table = (key: string) => pipeline.tables[key]!.tableName;

/**
 * In AWS an eventually consistent read may miss a write made a moment before, so a GET right
 * after the caller's own POST could answer 404 or an older list. Every read of the caller's
 * data is strongly consistent; only the GSIs (which cannot be) are read eventually.
 */
describe("reads after the caller's own write", () => {
  /** The caller's own write before the read: a POST of `body` to `path`. */
  const post = (path: string, body: unknown) => () => handler(apiEvent("POST", path, { body }));

  it.each<{
    description: string;
    write?: () => ReturnType<typeof handler>;
    /** The path read, from the written item where it names it. */
    read: string | ((written: { id?: number }) => string);
    command: string;
    tableKey: string;
  }>([
    {
      description: "GET /pets/{id} after POST /pets",
      write: post("/pets", { name: "Fresh", type: "cat", price: 1 }),
      read: (written) => `/pets/${written.id}`,
      command: "GetItemCommand",
      tableKey: "pets",
    },
    {
      description: "GET entries after POST entries",
      write: post("/users/reader/entries", { category: "food", activity: "lunch", kgCO2e: 1 }),
      read: "/users/reader/entries",
      command: "QueryCommand",
      tableKey: "carbonEntries",
    },
    {
      description: "GET goals after POST goals",
      write: post("/users/reader/goals", { title: "g", period: "daily", targetKgCO2e: 5 }),
      read: "/users/reader/goals",
      command: "QueryCommand",
      tableKey: "carbonGoals",
    },
    {
      description: "GET achievements",
      read: "/users/reader/achievements",
      command: "QueryCommand",
      tableKey: "carbonAchievements",
    },
    {
      description: "GET events (base table) after POST events",
      write: post("/users/reader/events", { event_type: "login" }),
      read: "/users/reader/events",
      command: "QueryCommand",
      tableKey: "storedEvents",
    },
    {
      description: "GET /users/{userId} after POST /users",
      read: "/users/reader",
      command: "GetItemCommand",
      tableKey: "carbonUsers",
    },
    {
      description: "GET /carts/{userId} after POST items",
      write: post("/carts/reader/items", { bookId: "b1", title: "T", author: "A", price: 1, quantity: 1 }),
      read: "/carts/reader",
      command: "GetItemCommand",
      tableKey: "carts",
    },
  ])("reads strongly consistent for $description", async ({ write, read, command, tableKey }) => {
    // Arrange
    const written = write === undefined ? {} : JSON.parse((await write()).body ?? "{}");
    sent.length = 0;

    // Act
    const response = await handler(apiEvent("GET", typeof read === "string" ? read : read(written)));

    // Assert
    expect(response.statusCode).toBe(200);
    const reads = sent.filter((c) => c.name === command && c.input.TableName === table(tableKey));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((c) => c.input.ConsistentRead)).toEqual(reads.map(() => true));
  });
});
