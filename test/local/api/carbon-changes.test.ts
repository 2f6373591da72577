import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answeredProfile, N, oneDayCarbonStats, S } from "../../helpers/local.ts";
import { type ApiHarness, startApiHarness } from "./harness.ts";

/**
 * Changing and deleting CarbonTrack items through the API: a user's profile, an entry, a goal.
 * What flows on to the statistics is in test/e2e/carbon-changes.test.ts.
 */

let api: ApiHarness;
let goalId: string;

const ENTRY = "/users/dana/entries/2025-11-30T08:00:00.000Z";
const goalPath = () => `/users/dana/goals/${goalId}`;

function stored(table: "carbonUsers" | "carbonEntries" | "carbonGoals", key: Record<string, string>) {
  return api.item(table, Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }])));
}

beforeAll(async () => {
  api = await startApiHarness();
  await api.request("POST", "/users", { body: { userId: "dana", name: "Dana", email: "dana@example.org" } });
  await api.request("POST", "/users/dana/entries", {
    body: {
      category: "transport",
      activity: "bus",
      kgCO2e: "2.5",
      timestamp: "2025-11-30T08:00:00Z",
      note: "late bus",
    },
  });
  const goal = await api.request("POST", "/users/dana/goals", {
    body: { title: "Under 5 a day", period: "daily", targetKgCO2e: 5, category: "transport" },
  });
  goalId = goal.json.goalId;
});

afterAll(async () => {
  await api?.stop();
});

describe("PATCH /users/{userId}", () => {
  it("changes the profile's name and email and answers the user", async () => {
    // Act
    const response = await api.request("PATCH", "/users/dana", {
      body: { name: "Dana Scully", email: "dscully@example.org" },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual(
      answeredProfile({ userId: "dana", name: "Dana Scully", email: "dscully@example.org" }),
    );
    expect((await api.request("GET", "/users/dana")).json.name).toBe("Dana Scully");
  });

  it("answers the same user when the same change is sent again", async () => {
    // Arrange
    const change = { body: { name: "Dana K. Scully" } };
    const first = await api.request("PATCH", "/users/dana", change);

    // Act
    const second = await api.request("PATCH", "/users/dana", change);

    // Assert
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
  });

  it("removes the email when it is sent as null", async () => {
    // Act
    const response = await api.request("PATCH", "/users/dana", { body: { email: null } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.email).toBeUndefined();
    expect((await stored("carbonUsers", { userId: "dana" }))?.email).toBeUndefined();
  });

  it("keeps the statistics the pipeline wrote on the profile as they were", async () => {
    // Arrange
    const stats = oneDayCarbonStats({
      day: "2025-11-30",
      category: "food",
      totalKgCO2e: "7.125",
      entryCount: 2,
      longestStreakDays: 1,
    });
    await api.put("carbonUsers", {
      userId: S("with-stats"),
      name: S("Stats"),
      createdAt: S("2025-11-01T00:00:00.000Z"),
      stats,
      statsVersion: N("4"),
    });

    // Act
    const response = await api.request("PATCH", "/users/with-stats", { body: { name: "Renamed" } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.text).toContain('"totalKgCO2e":7.125');
    const item = await stored("carbonUsers", { userId: "with-stats" });
    expect(item?.stats).toEqual(stats);
    expect(item?.statsVersion).toEqual({ N: "4" });
  });

  it("answers an unknown user with 404, creating nothing", async () => {
    // Act
    const response = await api.request("PATCH", "/users/nobody", { body: { name: "Nobody" } });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json.error.message).toContain("user nobody does not exist; create it with POST /users");
    expect(await stored("carbonUsers", { userId: "nobody" })).toBeUndefined();
  });
});

describe("PATCH /users/{userId}/entries/{timestamp}", () => {
  it("corrects the entry's fields, keeping its key, and answers the entry", async () => {
    // Act
    const response = await api.request("PATCH", ENTRY, {
      body: { kgCO2e: "1.875", category: "energy", activity: "heating" },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      userId: "dana",
      timestamp: "2025-11-30T08:00:00.000Z",
      category: "energy",
      activity: "heating",
      kgCO2e: 1.875,
      note: "late bus",
      storage: "Amazon DynamoDB",
    });
    expect(
      (await stored("carbonEntries", { userId: "dana", timestamp: "2025-11-30T08:00:00.000Z" }))?.kgCO2e,
    ).toEqual({ N: "1.875" });
  });

  it("keeps a kgCO2e sent as a string digit for digit", async () => {
    // Act
    const response = await api.request("PATCH", ENTRY, { body: { kgCO2e: "99999.999" } });

    // Assert
    expect(response.text).toContain('"kgCO2e":99999.999');
  });

  it("answers the same entry when the same correction is sent again, and removes a note sent as null", async () => {
    // Arrange
    const first = await api.request("PATCH", ENTRY, { body: { kgCO2e: 2, note: null } });

    // Act
    const second = await api.request("PATCH", ENTRY, { body: { kgCO2e: 2, note: null } });

    // Assert
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(second.json.note).toBeUndefined();
  });

  it("finds the entry by any spelling of its instant", async () => {
    // Act
    const response = await api.request("PATCH", "/users/dana/entries/2025-11-30T09:00:00%2B01:00", {
      body: { activity: "train" },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.timestamp).toBe("2025-11-30T08:00:00.000Z");
  });

  it("answers an entry that is not there with 404, creating nothing", async () => {
    // Act
    const response = await api.request("PATCH", "/users/dana/entries/2025-11-29T08:00:00.000Z", {
      body: { kgCO2e: 1 },
    });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json.error.message).toContain("user dana has no entry at 2025-11-29T08:00:00.000Z");
    expect(
      await stored("carbonEntries", { userId: "dana", timestamp: "2025-11-29T08:00:00.000Z" }),
    ).toBeUndefined();
  });
});

describe("PATCH and DELETE /users/{userId}/goals/{goalId}", () => {
  it("changes the goal's budget and title and answers the goal", async () => {
    // Act
    const response = await api.request("PATCH", goalPath(), {
      body: { targetKgCO2e: "4.25", title: "Under 4.25 a day" },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      userId: "dana",
      goalId,
      title: "Under 4.25 a day",
      period: "daily",
      targetKgCO2e: 4.25,
      category: "transport",
      status: "active",
      createdAt: expect.any(String),
      storage: "Amazon DynamoDB",
    });
  });

  it("makes the goal count every category when category is sent as null, and answers the same when sent again", async () => {
    // Arrange
    const first = await api.request("PATCH", goalPath(), { body: { category: null, status: "cancelled" } });

    // Act
    const second = await api.request("PATCH", goalPath(), { body: { category: null, status: "cancelled" } });

    // Assert
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(second.json.category).toBeUndefined();
    expect(second.json.status).toBe("cancelled");
  });

  it("deletes the goal and answers it as it was; a second delete answers 404", async () => {
    // Act
    const first = await api.request("DELETE", goalPath());
    const second = await api.request("DELETE", goalPath());

    // Assert
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      deleted: expect.objectContaining({ goalId, title: "Under 4.25 a day", targetKgCO2e: 4.25 }),
      storage: "Amazon DynamoDB",
    });
    expect(second.status).toBe(404);
    expect(second.json.error.message).toContain(`user dana has no goal ${goalId}`);
    expect((await api.request("GET", "/users/dana/goals")).json.count).toBe(0);
  });

  it("answers a change of a goal that is not there with 404, creating nothing", async () => {
    // Act
    const response = await api.request("PATCH", goalPath(), { body: { title: "Back" } });

    // Assert
    expect(response.status).toBe(404);
    expect(await stored("carbonGoals", { userId: "dana", goalId })).toBeUndefined();
  });
});

describe("bad changes are refused with 400 naming the field, the value and the fix; nothing is written", () => {
  it.each([
    {
      description: "a profile change naming no field",
      path: "/users/dana",
      body: {},
      field: "body",
      value: {},
      says: 'at least one field to change: name, email (e.g. {"name":"Alice Smith"})',
    },
    {
      description: "statistics set on a profile",
      path: "/users/dana",
      body: { name: "Dana", stats: { totalKgCO2e: 0 } },
      field: "body.stats",
      value: { totalKgCO2e: 0 },
      says: "statistics are computed by the pipeline from the user's entries and goals and cannot be set; remove it",
    },
    {
      description: "the statistics' seal set on a profile",
      path: "/users/dana",
      body: { statsSeal: "0".repeat(64) },
      field: "body.statsSeal",
      value: "0".repeat(64),
      says: "statistics are computed by the pipeline from the user's entries and goals and cannot be set; remove it",
    },
    {
      description: "a statistics field set on a profile",
      path: "/users/dana",
      body: { totalKgCO2e: 0 },
      field: "body.totalKgCO2e",
      value: 0,
      says: "PATCH /users/{userId}/entries/{timestamp}",
    },
    {
      description: "a profile's entry count",
      path: "/users/dana",
      body: { entryCount: 100 },
      field: "body.entryCount",
      value: 100,
      says: "computed by the pipeline",
    },
    {
      description: "a profile's userId",
      path: "/users/dana",
      body: { userId: "fox" },
      field: "body.userId",
      value: "fox",
      says: "userId is part of the key and cannot change; remove it",
    },
    {
      description: "an empty name",
      path: "/users/dana",
      body: { name: "" },
      field: "body.name",
      value: "",
      says: "",
    },
    {
      description: "an email that is not one",
      path: "/users/dana",
      body: { email: "dana at example" },
      field: "body.email",
      value: "dana at example",
      says: "email",
    },
    {
      description: "an unknown profile field",
      path: "/users/dana",
      body: { nickname: "D" },
      field: "body.nickname",
      value: "D",
      says: "no such field; remove it (allowed: name, email)",
    },
    {
      description: "an entry correction naming no field",
      path: ENTRY,
      body: {},
      field: "body",
      value: {},
      says: 'at least one field to change: category, activity, kgCO2e, note (e.g. {"kgCO2e":"2.4"})',
    },
    {
      description: "a negative kgCO2e",
      path: ENTRY,
      body: { kgCO2e: -1 },
      field: "body.kgCO2e",
      value: -1,
      says: "0 or more",
    },
    {
      description: "a kgCO2e with 4 decimals",
      path: ENTRY,
      body: { kgCO2e: "1.2345" },
      field: "body.kgCO2e",
      value: "1.2345",
      says: "at most 3 digits after the decimal point",
    },
    {
      description: "an unknown category",
      path: ENTRY,
      body: { category: "flying" },
      field: "body.category",
      value: "flying",
      says: "transport",
    },
    {
      description: "an entry moved in time",
      path: ENTRY,
      body: { timestamp: "2025-12-01T08:00:00Z" },
      field: "body.timestamp",
      value: "2025-12-01T08:00:00Z",
      says: "DELETE it and POST it again with the new timestamp",
    },
    {
      description: "an entry's path timestamp that is not an instant",
      path: "/users/dana/entries/yesterday",
      body: { kgCO2e: 1 },
      field: "path.timestamp",
      value: "yesterday",
      says: "",
    },
    {
      description: "a goal budget that is not a number",
      path: "/users/dana/goals/g-1",
      body: { targetKgCO2e: "five" },
      field: "body.targetKgCO2e",
      value: "five",
      says: "a decimal number such as",
    },
    {
      description: "a weekly goal",
      path: "/users/dana/goals/g-1",
      body: { period: "weekly" },
      field: "body.period",
      value: "weekly",
      says: "monthly",
    },
    {
      description: "a goal's goalId",
      path: "/users/dana/goals/g-1",
      body: { goalId: "g-2" },
      field: "body.goalId",
      value: "g-2",
      says: "POST /users/{userId}/goals",
    },
  ])("refuses $description", async ({ path, body, field, value, says }) => {
    // Arrange
    const before = {
      users: await api.items("carbonUsers"),
      entries: await api.items("carbonEntries"),
      goals: await api.items("carbonGoals"),
    };

    // Act
    const response = await api.request("PATCH", path, { body });

    // Assert
    expect(response.status).toBe(400);
    expect(response.json.error.fields).toContainEqual(
      expect.objectContaining({ path: field, value, expected: expect.any(String) }),
    );
    const problem = response.json.error.fields.find((f: { path: string }) => f.path === field);
    expect(problem.expected).toContain(says);
    expect(response.json.error.message).toContain(`${field} (given `);
    expect({
      users: await api.items("carbonUsers"),
      entries: await api.items("carbonEntries"),
      goals: await api.items("carbonGoals"),
    }).toEqual(before);
  });

  it("names every statistics field sent, so one answer lists every fix", async () => {
    // Act
    const response = await api.request("PATCH", "/users/dana", {
      body: { stats: {}, byDay: {} },
    });

    // Assert
    expect(response.status).toBe(400);
    expect(response.json.error.fields.map((f: { path: string }) => f.path)).toEqual([
      "body.stats",
      "body.byDay",
    ]);
  });
});

describe("the OpenAPI document", () => {
  it.each([
    { path: "/users/{userId}", method: "patch", fields: ["name", "email"], refused: "stats" },
    {
      path: "/users/{userId}/entries/{timestamp}",
      method: "patch",
      fields: ["category", "activity", "kgCO2e", "note"],
      refused: "timestamp",
    },
    {
      path: "/users/{userId}/goals/{goalId}",
      method: "patch",
      fields: ["title", "period", "targetKgCO2e", "category", "status"],
      refused: "goalId",
    },
  ])(
    "describes $method $path: the fields it changes, at least one, and what it refuses",
    async ({ path, method, fields, refused }) => {
      // Act
      const doc = (await api.request("GET", "/openapi.json", { token: null })).json;

      // Assert
      const schema = doc.paths[path][method].requestBody.content["application/json"].schema;
      expect(Object.keys(schema.properties)).toEqual(fields);
      expect(schema).toMatchObject({ additionalProperties: false, minProperties: 1 });
      expect(schema.description).toContain(refused);
    },
  );

  it("describes DELETE /users/{userId}/goals/{goalId} and its 404", async () => {
    // Act
    const doc = (await api.request("GET", "/openapi.json", { token: null })).json;

    // Assert
    expect(Object.keys(doc.paths["/users/{userId}/goals/{goalId}"].delete.responses)).toEqual(
      expect.arrayContaining(["200", "404"]),
    );
  });
});
