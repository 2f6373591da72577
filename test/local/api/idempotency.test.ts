import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { apiLimits } from "../../helpers/function-config.ts";
import { type ApiHarness, apiEvent, handlerWith, startApiHarness, TOKEN, watchedClient } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
  await api.request("GET", "/pets");
  await api.request("POST", "/users", { body: { userId: "alice", name: "Alice" } });
});

afterAll(async () => {
  await api?.stop();
});

const withKey = (key: string, body: unknown) => ({ body, headers: { "idempotency-key": key } });

describe("Idempotency-Key", () => {
  it("answers a retried pet creation with the first result and writes one pet", async () => {
    // Arrange
    const before = (await api.items("pets")).length;

    // Act
    const first = await api.request(
      "POST",
      "/pets",
      withKey("pet-1", { name: "Echo", type: "bat", price: 5 }),
    );
    const retry = await api.request(
      "POST",
      "/pets",
      withKey("pet-1", { name: "Echo", type: "bat", price: 5 }),
    );

    // Assert
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await api.items("pets")).toHaveLength(before + 1);
  });

  it("answers a retried entry (timestamp left to the server) with the first entry, writing one", async () => {
    // Act
    const body = { category: "transport", activity: "train", kgCO2e: "2.5" };
    const first = await api.request("POST", "/users/alice/entries", withKey("entry-1", body));
    await new Promise((r) => setTimeout(r, 5));
    const retry = await api.request("POST", "/users/alice/entries", withKey("entry-1", body));

    // Assert
    expect(retry.json.timestamp).toBe(first.json.timestamp);
    expect((await api.request("GET", "/users/alice/entries")).json.count).toBe(1);
  });

  it.each([
    { description: "another body", path: "/pets", body: { name: "Echo", type: "bat", price: 6 } },
    { description: "another path", path: "/users", body: { name: "Echo" } },
  ])("refuses the same key with $description with 422, writing nothing", async ({ path, body }) => {
    // Arrange
    await api.request("POST", "/pets", withKey("pet-2", { name: "Echo", type: "bat", price: 5 }));
    const pets = (await api.items("pets")).length;
    const users = (await api.items("carbonUsers")).length;

    // Act
    const response = await api.request("POST", path, withKey("pet-2", body));

    // Assert
    expect(response.status).toBe(422);
    expect(response.json.error).toMatchObject({
      code: "idempotency_key_reused",
      message: expect.stringContaining("pet-2"),
    });
    expect(await api.items("pets")).toHaveLength(pets);
    expect(await api.items("carbonUsers")).toHaveLength(users);
  });

  it("lets only one of 10 concurrent requests with one key write", async () => {
    // Arrange
    const before = (await api.items("pets")).length;

    // Act
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.request("POST", "/pets", withKey("pet-race", { name: "Dash", type: "hare", price: "9.99" })),
      ),
    );

    // Assert
    expect(await api.items("pets")).toHaveLength(before + 1);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json.id)).size).toBe(1);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
  });

  it("keeps no record of a request that failed, so its retry runs", async () => {
    // Act
    const body = { category: "food", activity: "soup", kgCO2e: 0.4 };
    const failed = await api.request("POST", "/users/late/entries", withKey("late-1", body));
    await api.request("POST", "/users", { body: { userId: "late", name: "Late" } });
    const retried = await api.request("POST", "/users/late/entries", withKey("late-1", body));

    // Assert
    expect(failed.status).toBe(404);
    expect(retried.status).toBe(201);
    expect((await api.request("GET", "/users/late/entries")).json.count).toBe(1);
  });

  it("remembers a key for pipeline.api.idempotencyTtlSeconds through the table's TTL attribute", async () => {
    // Arrange
    const now = Math.floor(Date.now() / 1000);

    // Act
    await api.request("POST", "/pets", withKey("pet-ttl", { name: "Tick", type: "tortoise", price: 1 }));

    // Assert
    const record = (await api.items("idempotency")).find((r) =>
      (r.id as { S: string }).S.endsWith("#pet-ttl"),
    ) as Record<string, { S?: string; N?: string }> | undefined;
    const expiresAt = Number(record?.expiresAt?.N);
    expect(record?.status).toEqual({ S: "COMPLETED" });
    expect(expiresAt - now).toBeGreaterThanOrEqual(pipeline.api.idempotencyTtlSeconds - 5);
    expect(expiresAt - now).toBeLessThanOrEqual(pipeline.api.idempotencyTtlSeconds + 5);
  });
});

describe("Idempotency-Key per caller", () => {
  const iam = (user: string) => ({ iam: { userArn: `arn:aws:iam::123456789012:user/${user}` } });
  const parrot = { name: "Polly", type: "parrot", price: "79.99" };

  it("gives two callers using the same key and body each their own result", async () => {
    // Arrange
    const handler = handlerWith(watchedClient(api.dynamo).client);
    const before = (await api.items("pets")).length;
    const post = (authorizer: unknown) =>
      handler(
        apiEvent("POST", "/pets", { body: parrot, headers: { "idempotency-key": "shared-key" }, authorizer }),
      );

    // Act
    const ann = await post(iam("ann"));
    const bob = await post(iam("bob"));
    const annAgain = await post(iam("ann"));

    // Assert
    expect([ann.statusCode, bob.statusCode, annAgain.statusCode]).toEqual([201, 201, 201]);
    expect(JSON.parse(bob.body ?? "").id).not.toBe(JSON.parse(ann.body ?? "").id);
    expect(bob.headers?.["idempotent-replayed"]).toBeUndefined();
    expect(annAgain.body).toBe(ann.body);
    expect(annAgain.headers?.["idempotent-replayed"]).toBe("true");
    expect(await api.items("pets")).toHaveLength(before + 2);
  });

  it("keeps a hash of the bearer token's holder in its records, never the token", async () => {
    // Act
    await api.request("POST", "/pets", withKey("token-scoped", { name: "Kiwi", type: "bird", price: 3 }));

    // Assert
    const records = await api.items("idempotency");
    const ids = records.map((r) => (r.id as { S: string }).S);
    expect(ids.filter((id) => id.endsWith("#token-scoped"))).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}#token-scoped$/),
    ]);
    expect(JSON.stringify(records)).not.toContain(TOKEN);
  });
});

describe("Idempotency-Key when its record cannot be kept", () => {
  it("answers the written result even when completing the key's record fails", async () => {
    // Arrange
    const { client } = watchedClient(api.dynamo, ({ name, input }) => {
      const item = input.Item as Record<string, { S?: string }> | undefined;
      return name === "PutItemCommand" && item?.status?.S === "COMPLETED";
    });
    const handler = handlerWith(client);
    const before = (await api.items("pets")).length;

    // Act
    const response = await handler(
      apiEvent("POST", "/pets", {
        body: { name: "Lucky", type: "cat", price: "12.00" },
        headers: { "idempotency-key": "unkept" },
      }),
    );

    // Assert
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body ?? "")).toMatchObject({ name: "Lucky", price: 12 });
    expect(await api.items("pets")).toHaveLength(before + 1);
  });

  it("tells a retry to wait while the first request's lock holds, writing nothing more", async () => {
    // Arrange
    const before = (await api.items("pets")).length;

    // Act
    const retry = await api.request(
      "POST",
      "/pets",
      withKey("unkept", { name: "Lucky", type: "cat", price: "12.00" }),
    );

    // Assert
    expect(retry.status).toBe(409);
    expect(retry.headers.get("retry-after")).toBe("1");
    expect(await api.items("pets")).toHaveLength(before);
  });
});

/**
 * A request whose first run wrote and then stopped before its answer was kept under the key (the
 * process was killed, the Lambda timed out): its retry, once the first run's lock lapses, must
 * find that write and answer it, never write a second time.
 */
describe("Idempotency-Key when the first run stopped between its write and its answer", () => {
  const lockMs = (apiLimits.timeoutSeconds + 5) * 1000;
  // Some time ago, so that both runs lie in the past (stored events older than their ttl are not listed).
  const startedAt = new Date(Date.now() - 2 * lockMs);

  /** Runs `path` once with a client that fails to keep the result, as if the process died right after the write. */
  async function firstRunThenStop(key: string, path: string, body: unknown, status: number) {
    const { client } = watchedClient(api.dynamo, ({ name, input }) => {
      const item = input.Item as Record<string, { S?: string }> | undefined;
      return name === "PutItemCommand" && item?.status?.S === "COMPLETED";
    });
    const lost = await handlerWith(client, { now: () => startedAt })(
      apiEvent("POST", path, { body, headers: { "idempotency-key": key } }),
    );
    expect(lost.statusCode).toBe(status);
    return JSON.parse(lost.body ?? "");
  }

  /** The retry, after the first run's lock has lapsed. */
  async function retry(key: string, path: string, body: unknown) {
    const later = new Date(startedAt.getTime() + lockMs + 1_000);
    const response = await handlerWith(watchedClient(api.dynamo).client, { now: () => later })(
      apiEvent("POST", path, { body, headers: { "idempotency-key": key } }),
    );
    return { status: response.statusCode, json: JSON.parse(response.body ?? "") };
  }

  beforeAll(async () => {
    await api.request("POST", "/users", { body: { userId: "resumer", name: "Resumer" } });
  });

  /** How many items a listing of the API answers for `path`. */
  const listedCount = (path: string) => async () => (await api.request("GET", path)).json.count;
  /** How many items of a table mention `text`, for a listing the API does not offer. */
  const itemsMentioning = (tableKey: string, text: string) => async () =>
    (await api.items(tableKey)).filter((item) => JSON.stringify(item).includes(text)).length;

  it.each([
    {
      what: "an entry whose timestamp the server chose",
      path: "/users/resumer/entries",
      body: { category: "transport", activity: "bus", kgCO2e: "1.25" },
      count: listedCount("/users/resumer/entries?limit=100"),
    },
    {
      what: "an entry at a given timestamp",
      path: "/users/resumer/entries",
      body: { category: "food", activity: "lunch", kgCO2e: 0.75, timestamp: "2026-02-01T12:00:00Z" },
      count: listedCount("/users/resumer/entries?limit=100"),
    },
    {
      what: "a user whose id the server chose",
      path: "/users",
      body: { name: "Nameless" },
      count: itemsMentioning("carbonUsers", "Nameless"),
    },
    {
      what: "a goal",
      path: "/users/resumer/goals",
      body: { title: "Less driving", period: "monthly", targetKgCO2e: "120.5" },
      count: listedCount("/users/resumer/goals"),
    },
    {
      what: "a pet",
      path: "/pets",
      body: { name: "Twice", type: "cat", price: "4.10" },
      count: itemsMentioning("pets", "Twice"),
    },
    {
      what: "a stored event",
      path: "/users/resumer/events",
      body: { event_type: "login" },
      count: listedCount("/users/resumer/events?limit=100"),
    },
    {
      what: "a book added to a cart",
      path: "/carts/resumer/items",
      body: { bookId: "b-1", title: "Dune", author: "Herbert", price: "9.99", quantity: 2 },
      status: 200,
      count: async () => (await api.request("GET", "/carts/resumer")).json.totalItems,
    },
  ])("writes $what once and answers the retry with it", async ({ what, path, body, count, status = 201 }) => {
    // Arrange
    const key = `resumed ${what}`.replaceAll(" ", "-");
    const before = Number((await count()) ?? 0);
    const first = await firstRunThenStop(key, path, body, status);
    const afterFirst = Number(await count());

    // Act
    const answered = await retry(key, path, body);

    // Assert
    expect(afterFirst).toBeGreaterThan(before);
    expect(answered.status).toBe(status);
    expect(Number(await count())).toBe(afterFirst);
    const { requestId: _a, ...firstRest } = first;
    const { requestId: _b, ...answeredRest } = answered.json;
    expect(answeredRest).toEqual(firstRest);
  });
});
