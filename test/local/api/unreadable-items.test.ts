import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { N, S } from "../../helpers/local.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
  // Arrange (shared): the installed data, a user with one good item of each kind, and one item
  // of each listed table written around the API that does not fit its schema.
  await api.installSeedData();
  await api.request("POST", "/users", { body: { userId: "mallory", name: "Mallory" } });
  await api.request("POST", "/users/mallory/entries", {
    body: { category: "food", activity: "lunch", kgCO2e: 1, timestamp: "2025-12-01T12:00:00Z" },
  });
  await api.request("POST", "/users/mallory/goals", {
    body: { title: "g", period: "daily", targetKgCO2e: 5 },
  });
  await api.request("POST", "/users/mallory/events", { body: { event_type: "login" } });
  await api.request("POST", "/users", { body: { userId: "trent", name: "Trent" } });
  await api.request("POST", "/users/trent/goals", { body: { title: "g", period: "daily", targetKgCO2e: 5 } });
  await api.put("pets", { id: N("77"), name: S("Malformed"), type: S("dog"), price: S("cheap") });
  await api.put("parkingData", { carParkId: S("CP-BAD"), name: S("No numbers"), capacity: S("lots") });
  await api.put("carbonEntries", {
    userId: S("mallory"),
    timestamp: S("2025-12-02T12:00:00.000Z"),
    category: S("food"),
    activity: S("dinner"),
    kgCO2e: S("2.5kg"),
  });
  await api.put("carbonGoals", { userId: S("mallory"), goalId: S("bad"), title: S("no period") });
  await api.put("carbonAchievements", { userId: S("mallory"), achievementId: S("bad") });
  await api.put("storedEvents", {
    user_id: S("mallory"),
    "timestamp#event_id": S("2025-12-02T12:00:00.000Z#bad"),
    event_id: S("bad"),
    ttl: N(String(Math.floor(Date.now() / 1000) + 3600)),
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
});

describe("listings with an item written around the API that does not fit its schema", () => {
  it("answers GET /pets 200 with every readable pet, counting the skipped one in a header", async () => {
    // Act
    const response = await api.request("GET", "/pets");

    // Assert
    expect(response.status).toBe(200);
    expect(Array.isArray(response.json)).toBe(true);
    expect(response.json).toHaveLength(15);
    expect(response.headers.get("x-ripple-skipped-items")).toBe("1");
  });

  it.each([
    { description: "car parks", path: "/car-parks", list: "carParks", readable: 4 },
    { description: "a user's entries", path: "/users/mallory/entries", list: "entries", readable: 1 },
    { description: "a user's goals", path: "/users/mallory/goals", list: "goals", readable: 1 },
    {
      description: "a user's achievements",
      path: "/users/mallory/achievements",
      list: "achievements",
      readable: 0,
    },
    { description: "a user's stored events", path: "/users/mallory/events", list: "events", readable: 1 },
  ])("answers $description 200 with the readable items and skipped: 1", async ({ path, list, readable }) => {
    // Act
    const response = await api.request("GET", path);

    // Assert
    expect(response.status).toBe(200);
    expect(response.json[list]).toHaveLength(readable);
    expect(response.json.skipped).toBe(1);
    expect(response.headers.get("x-ripple-skipped-items")).toBe("1");
  });

  it("answers a read of the one malformed pet 409, naming the field, the value and the fix", async () => {
    // Act
    const response = await api.request("GET", "/pets/77");

    // Assert
    expect(response.status).toBe(409);
    expect(response.json.error.code).toBe("unreadable_item");
    expect(response.json.error.message).toContain('price (given "cheap")');
    expect(response.json.error.message).toContain("correct it with the SDK or delete it");
  });

  it("says nothing of skipping when nothing was skipped", async () => {
    // Act
    const response = await api.request("GET", "/users/trent/goals");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.goals).toHaveLength(1);
    expect(response.headers.get("x-ripple-skipped-items")).toBeNull();
    expect(response.json?.skipped).toBeUndefined();
  });
});
