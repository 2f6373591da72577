import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

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
    const record = await api.dynamo.client.send(
      new GetItemCommand({
        TableName: pipeline.tables.idempotency!.tableName,
        Key: { id: { S: "pet-ttl" } },
      }),
    );
    const expiresAt = Number(record.Item?.expiresAt?.N);
    expect(record.Item?.status).toEqual({ S: "COMPLETED" });
    expect(expiresAt - now).toBeGreaterThanOrEqual(pipeline.api.idempotencyTtlSeconds - 5);
    expect(expiresAt - now).toBeLessThanOrEqual(pipeline.api.idempotencyTtlSeconds + 5);
  });
});
