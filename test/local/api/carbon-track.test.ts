import { beforeAll, describe, expect, it } from "vitest";
import { answeredProfile, N, oneDayCarbonStats, S } from "../../helpers/local.ts";
import { startedForSuite } from "../../helpers/suite.ts";
import { startApiHarness } from "./harness.ts";

const api = startedForSuite(() => startApiHarness());

const entry = (timestamp: string, kgCO2e: number | string) => ({
  category: "transport",
  activity: "bus to work",
  kgCO2e,
  timestamp,
});

describe("CarbonTrack users", () => {
  it("creates a user and answers 201 with the profile", async () => {
    // Act
    const response = await api.request("POST", "/users", {
      body: { userId: "alice", name: "Alice", email: "alice@example.org" },
    });

    // Assert
    expect(response.status).toBe(201);
    expect(response.json).toEqual(
      answeredProfile({ userId: "alice", name: "Alice", email: "alice@example.org" }),
    );
  });

  it("generates a userId when none is given", async () => {
    // Act
    const response = await api.request("POST", "/users", { body: { name: "Anonymous" } });

    // Assert
    expect(response.status).toBe(201);
    expect(response.json.userId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a second user with the same userId with 409, leaving the first intact", async () => {
    // Act
    const response = await api.request("POST", "/users", { body: { userId: "alice", name: "Mallory" } });

    // Assert
    expect(response.status).toBe(409);
    expect((await api.request("GET", "/users/alice")).json.name).toBe("Alice");
  });

  it("answers the profile without stats before the first entry", async () => {
    // Act
    const response = await api.request("GET", "/users/alice");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.stats).toBeUndefined();
  });

  it("answers the stats the carbon-stats consumer wrote onto the user, decimals exact", async () => {
    // Arrange
    const goal = {
      goalId: S("g1"),
      title: S("Under 5 kg a day"),
      period: S("daily"),
      targetKgCO2e: N("5"),
      status: S("active"),
      currentPeriod: S("2025-11-30"),
      usedKgCO2e: N("3.25"),
      remainingKgCO2e: N("1.75"),
      withinBudget: { BOOL: true },
      metPeriods: N("0"),
    };
    await api.put("carbonUsers", {
      userId: S("stats-user"),
      name: S("Stats"),
      createdAt: S("2025-11-01T00:00:00.000Z"),
      stats: oneDayCarbonStats({
        day: "2025-11-30",
        category: "transport",
        totalKgCO2e: "12.345",
        entryCount: 3,
        longestStreakDays: 2,
        goals: [{ M: goal }],
      }),
    });

    // Act
    const response = await api.request("GET", "/users/stats-user");

    // Assert
    expect(response.status).toBe(200);
    expect(response.text).toContain('"totalKgCO2e":12.345');
    expect(response.json.stats).toMatchObject({
      entryCount: 3,
      byCategory: { transport: 12.345 },
      longestStreakDays: 2,
    });
    expect(response.text).toContain('"remainingKgCO2e":1.75');
    expect(response.json.stats.goals).toEqual([
      expect.objectContaining({ goalId: "g1", targetKgCO2e: 5, usedKgCO2e: 3.25, withinBudget: true }),
    ]);
  });

  it("answers an unknown user with 404", async () => {
    // Act
    const response = await api.request("GET", "/users/nobody");

    // Assert
    expect(response.status).toBe(404);
  });
});

describe("CarbonTrack entries", () => {
  beforeAll(async () => {
    for (const [i, day] of ["2025-11-01", "2025-11-02", "2025-11-03", "2025-11-04", "2025-11-05"].entries()) {
      await api.request("POST", "/users/alice/entries", { body: entry(`${day}T08:00:00Z`, `${i + 1}.1`) });
    }
  });

  it("records an entry with an exact kgCO2e and stores the timestamp in UTC", async () => {
    // Act
    const response = await api.request("POST", "/users/alice/entries", {
      body: {
        category: "energy",
        activity: "heating",
        kgCO2e: 0.125,
        timestamp: "2025-11-06T09:30:00+01:00",
        note: "cold",
      },
    });

    // Assert
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      timestamp: "2025-11-06T08:30:00.000Z",
      kgCO2e: 0.125,
      note: "cold",
    });
    expect(response.text).toContain('"kgCO2e":0.125');
  });

  it.each([
    {
      description: "every entry, latest first, when no bound is given",
      query: "",
      days: ["2025-11-06", "2025-11-05", "2025-11-04", "2025-11-03", "2025-11-02", "2025-11-01"],
    },
    {
      description: "a day range",
      query: "from=2025-11-02&to=2025-11-04",
      days: ["2025-11-04", "2025-11-03", "2025-11-02"],
    },
    {
      description: "an instant range",
      query: "from=2025-11-03T08:00:00Z&to=2025-11-03T08:00:00Z",
      days: ["2025-11-03"],
    },
    { description: "a lower bound only", query: "from=2025-11-05", days: ["2025-11-06", "2025-11-05"] },
    { description: "an upper bound only", query: "to=2025-11-02", days: ["2025-11-02", "2025-11-01"] },
    {
      description: "an upper bound given as an instant",
      query: "to=2025-11-03T07:59:59Z",
      days: ["2025-11-02", "2025-11-01"],
    },
    { description: "a limit", query: "limit=2", days: ["2025-11-06", "2025-11-05"] },
  ])("selects $description", async ({ query, days }) => {
    // Act
    const response = await api.request("GET", `/users/alice/entries?${query}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.entries.map((e: { timestamp: string }) => e.timestamp.slice(0, 10))).toEqual(days);
    expect(response.json.count).toBe(days.length);
  });

  it("cuts a list of more than 20 entries at the default limit of 20, latest first", async () => {
    // Arrange
    await api.request("POST", "/users", { body: { userId: "prolific", name: "Prolific" } });
    const stamps = Array.from({ length: 25 }, (_, i) => new Date(Date.UTC(2025, 9, 1 + i, 8)).toISOString());
    for (const stamp of stamps) {
      await api.request("POST", "/users/prolific/entries", { body: entry(stamp, 1) });
    }

    // Act
    const response = await api.request("GET", "/users/prolific/entries");

    // Assert
    expect(response.json.count).toBe(20);
    expect(response.json.entries.map((e: { timestamp: string }) => e.timestamp)).toEqual(
      stamps.slice(5).reverse(),
    );
  });

  it("refuses a second entry at the same timestamp with 409", async () => {
    // Act
    const response = await api.request("POST", "/users/alice/entries", {
      body: entry("2025-11-01T08:00:00Z", 9),
    });

    // Assert
    expect(response.status).toBe(409);
  });

  it("gives concurrent entries without a timestamp distinct timestamps, all stored", async () => {
    // Arrange
    await api.request("POST", "/users", { body: { userId: "busy", name: "Busy" } });

    // Act
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.request("POST", "/users/busy/entries", {
          body: { category: "food", activity: "lunch", kgCO2e: 1 },
        }),
      ),
    );

    // Assert
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(responses.map((r) => r.json.timestamp)).size).toBe(10);
    expect((await api.request("GET", "/users/busy/entries")).json.count).toBe(10);
  });

  it("deletes one entry by its timestamp and answers it", async () => {
    // Act
    const response = await api.request("DELETE", "/users/alice/entries/2025-11-01T08:00:00.000Z");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.deleted).toMatchObject({ timestamp: "2025-11-01T08:00:00.000Z", kgCO2e: 1.1 });
    const left = await api.request("GET", "/users/alice/entries?from=2025-11-01&to=2025-11-01");
    expect(left.json.entries).toEqual([]);
  });

  it("answers deleting an entry that is not there with 404", async () => {
    // Act
    const response = await api.request("DELETE", "/users/alice/entries/2020-01-01T00:00:00.000Z");

    // Assert
    expect(response.status).toBe(404);
  });

  it("refuses entries for a user that does not exist with 404, writing nothing", async () => {
    // Arrange
    const before = (await api.items("carbonEntries")).length;

    // Act
    const response = await api.request("POST", "/users/ghost/entries", {
      body: entry("2025-11-01T08:00:00Z", 1),
    });

    // Assert
    expect(response.status).toBe(404);
    expect(await api.items("carbonEntries")).toHaveLength(before);
  });
});

describe("CarbonTrack goals and achievements", () => {
  it("sets a goal and lists it", async () => {
    // Act
    const created = await api.request("POST", "/users/alice/goals", {
      body: { title: "Under 5 kg a day", period: "daily", targetKgCO2e: "5.5", category: "transport" },
    });
    const listed = await api.request("GET", "/users/alice/goals");

    // Assert
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      goalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "active",
      targetKgCO2e: 5.5,
    });
    const { storage: _storage, ...goal } = created.json;
    expect(listed.json.goals).toEqual([goal]);
  });

  it("lists the achievements unlocked for a user", async () => {
    // Arrange
    await api.put("carbonAchievements", {
      userId: S("alice"),
      achievementId: S("first-entry"),
      title: S("First entry"),
      unlockedAt: S("2025-11-01T08:00:01.000Z"),
    });

    // Act
    const response = await api.request("GET", "/users/alice/achievements");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      userId: "alice",
      achievements: [
        {
          userId: "alice",
          achievementId: "first-entry",
          title: "First entry",
          unlockedAt: "2025-11-01T08:00:01.000Z",
        },
      ],
      count: 1,
      storage: "Amazon DynamoDB",
    });
  });
});
