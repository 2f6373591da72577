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
  it.each([
    {
      description: "GET /pets/{id} after POST /pets",
      write: () => handler(apiEvent("POST", "/pets", { body: { name: "Fresh", type: "cat", price: 1 } })),
      read: (written: { id?: number }) => `/pets/${written.id}`,
      command: "GetItemCommand",
      tableKey: "pets",
    },
    {
      description: "GET entries after POST entries",
      write: () =>
        handler(
          apiEvent("POST", "/users/reader/entries", {
            body: { category: "food", activity: "lunch", kgCO2e: 1 },
          }),
        ),
      read: () => "/users/reader/entries",
      command: "QueryCommand",
      tableKey: "carbonEntries",
    },
    {
      description: "GET goals after POST goals",
      write: () =>
        handler(
          apiEvent("POST", "/users/reader/goals", { body: { title: "g", period: "daily", targetKgCO2e: 5 } }),
        ),
      read: () => "/users/reader/goals",
      command: "QueryCommand",
      tableKey: "carbonGoals",
    },
    {
      description: "GET achievements",
      write: undefined,
      read: () => "/users/reader/achievements",
      command: "QueryCommand",
      tableKey: "carbonAchievements",
    },
    {
      description: "GET events (base table) after POST events",
      write: () => handler(apiEvent("POST", "/users/reader/events", { body: { event_type: "login" } })),
      read: () => "/users/reader/events",
      command: "QueryCommand",
      tableKey: "storedEvents",
    },
    {
      description: "GET /users/{userId} after POST /users",
      write: undefined,
      read: () => "/users/reader",
      command: "GetItemCommand",
      tableKey: "carbonUsers",
    },
    {
      description: "GET /carts/{userId} after POST items",
      write: () =>
        handler(
          apiEvent("POST", "/carts/reader/items", {
            body: { bookId: "b1", title: "T", author: "A", price: 1, quantity: 1 },
          }),
        ),
      read: () => "/carts/reader",
      command: "GetItemCommand",
      tableKey: "carts",
    },
  ])("reads strongly consistent for $description", async ({ write, read, command, tableKey }) => {
    // Arrange
    const written = write === undefined ? {} : JSON.parse((await write()).body ?? "{}");
    sent.length = 0;

    // Act
    const response = await handler(apiEvent("GET", read(written)));

    // Assert
    expect(response.statusCode).toBe(200);
    const reads = sent.filter((c) => c.name === command && c.input.TableName === table(tableKey));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((c) => c.input.ConsistentRead)).toEqual(reads.map(() => true));
  });
});
