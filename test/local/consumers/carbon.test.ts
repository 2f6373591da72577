import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AggregateKeys } from "#commons/aggregates.ts";
import { auditAll } from "#infra/audit/audit.ts";
import type { CarbonEntry, Goal } from "#schemas/carbon.ts";
import {
  domainEvent,
  type EventBridgeTargetEvent,
  seededShuffle,
  sequenceNumbers,
} from "../../helpers/domain-events.ts";
import { type ConsumerRuntime, putItems, readStream, scanItems, startConsumerRuntime } from "./runtime.ts";

let runtime: ConsumerRuntime;
let carbonStats: (event: unknown) => Promise<string>;
let achievements: (event: unknown) => Promise<string>;

/**
 * One user's history: entries on eight consecutive days (one of them later deleted, one
 * corrected), a daily goal, and the events those writes became. Amounts are chosen so that float
 * addition would not give the exact total.
 */
function userHistory(userId: string) {
  const seqs = sequenceNumbers(20, 99_999_999_999_999_999_000n);
  let next = 0;
  const seq = () => seqs[next++]!;
  const events: EventBridgeTargetEvent[] = [];
  const entries: CarbonEntry[] = [];
  for (let day = 1; day <= 8; day++) {
    const entry: CarbonEntry = {
      userId,
      timestamp: `2025-11-${String(day).padStart(2, "0")}T08:00:00.000Z`,
      category: day % 2 === 0 ? "energy" : "transport",
      activity: "commute",
      kgCO2e: "0.1",
    };
    entries.push(entry);
    events.push(domainEvent("CarbonEntryRecorded", entry, { sequenceNumber: seq() }));
  }
  const corrected = { ...entries[0]!, kgCO2e: "0.2" };
  events.push(domainEvent("CarbonEntryRecorded", corrected, { sequenceNumber: seq(), change: "MODIFY" }));
  const extra: CarbonEntry = { ...entries[1]!, timestamp: "2025-11-02T20:00:00.000Z", kgCO2e: "7.7" };
  events.push(domainEvent("CarbonEntryRecorded", extra, { sequenceNumber: seq() }));
  events.push(
    domainEvent("CarbonEntryRemoved", { userId, timestamp: extra.timestamp }, { sequenceNumber: seq() }),
  );
  const goal: Goal = {
    userId,
    goalId: "g1",
    title: "Under 1 kg a day",
    period: "daily",
    targetKgCO2e: "1",
    status: "active",
    createdAt: "2025-10-30T00:00:00.000Z",
  };
  events.push(domainEvent("GoalSet", goal, { sequenceNumber: seq() }));
  const finalEntries = [corrected, ...entries.slice(1)];
  return { events, entries: finalEntries, goal };
}

async function seedUser(userId: string, withProfile: boolean) {
  const history = userHistory(userId);
  await putItems(runtime.client, runtime.tables.carbonEntries, history.entries);
  await putItems(runtime.client, runtime.tables.carbonGoals, [history.goal]);
  if (withProfile) {
    await putItems(runtime.client, runtime.tables.carbonUsers, [
      { userId, name: `User ${userId}`, createdAt: "2025-10-01T00:00:00.000Z" },
    ]);
  }
  return history;
}

async function deliver(events: readonly EventBridgeTargetEvent[]): Promise<void> {
  for (const event of events) {
    await carbonStats(event);
    await achievements(event);
  }
}

beforeAll(async () => {
  runtime = await startConsumerRuntime();
  ({ handler: carbonStats } = await import("../../../functions/carbon-stats/handler.ts"));
  ({ handler: achievements } = await import("../../../functions/achievements/handler.ts"));
});

afterAll(async () => {
  await runtime?.stop();
});

const EXPECTED_ACHIEVEMENTS = ["first-entry", "goal-met", "streak-7-days"];

describe.each([
  {
    description: "delivered once, in order",
    userId: "in-order",
    deliveries: (e: EventBridgeTargetEvent[]) => e,
  },
  {
    description: "every event delivered twice",
    userId: "twice",
    deliveries: (e: EventBridgeTargetEvent[]) => e.flatMap((x) => [x, x]),
  },
  {
    description: "deliveries shuffled",
    userId: "shuffled",
    deliveries: (e: EventBridgeTargetEvent[]) => seededShuffle(e, 42),
  },
  {
    description: "stale events after newer ones",
    userId: "stale",
    deliveries: (e: EventBridgeTargetEvent[]) => [...e, ...[...e].reverse()],
  },
])("carbon-stats and achievements with $description", ({ userId, deliveries }) => {
  it("keeps exact statistics on the profile and unlocks each achievement once", async () => {
    // Arrange
    const history = await seedUser(userId, true);

    // Act
    await deliver(deliveries(history.events));

    // Assert
    const profile = (await scanItems(runtime.client, runtime.tables.carbonUsers)).find(
      (u) => u.userId === userId,
    );
    expect(profile?.stats).toMatchObject({
      totalKgCO2e: "0.9",
      entryCount: 8,
      byCategory: { transport: "0.5", energy: "0.4" },
      currentStreakDays: 8,
      longestStreakDays: 8,
      lastEntryDate: "2025-11-08",
      goals: [{ goalId: "g1", usedKgCO2e: "0.1", metPeriods: 7 }],
    });
    expect(profile?.rippleOrigin).toMatchObject({ consumer: "carbon-stats", depth: 0 });
    const unlocked = (await scanItems(runtime.client, runtime.tables.carbonAchievements)).filter(
      (a) => a.userId === userId,
    );
    expect(unlocked.map((a) => a.achievementId).sort()).toEqual(EXPECTED_ACHIEVEMENTS);
    expect(unlocked.every((a) => (a.rippleOrigin as { consumer: string }).consumer === "achievements")).toBe(
      true,
    );
    expect(await auditAll(runtime.client, runtime.tables)).toEqual([]);
  });
});

describe("carbon-stats without a profile", () => {
  it("keeps the statistics in the aggregates table and the audit agrees", async () => {
    // Arrange
    const history = await seedUser("no-profile", false);

    // Act
    await deliver(seededShuffle(history.events, 3));

    // Assert
    const stored = (await scanItems(runtime.client, runtime.tables.aggregates)).find(
      (i) => i.pk === AggregateKeys.carbonStats("no-profile").pk && i.sk === "no-profile",
    );
    expect(stored?.stats).toMatchObject({ totalKgCO2e: "0.9", entryCount: 8 });
    expect(await auditAll(runtime.client, runtime.tables)).toEqual([]);
  });

  it.each([
    { description: "once", times: 1 },
    { description: "twice", times: 2 },
  ])(
    "moves them onto the profile when the user registers later (delivered $description)",
    async ({ times }) => {
      // Arrange
      const userId = `late-${times}`;
      const history = await seedUser(userId, false);
      await deliver(history.events);
      const profile = { userId, name: `User ${userId}`, createdAt: "2025-11-09T00:00:00.000Z" };
      await putItems(runtime.client, runtime.tables.carbonUsers, [profile]);
      const registered = domainEvent("UserRegistered", profile, { sequenceNumber: "100000000000000000500" });

      // Act
      const outcomes: string[] = [];
      for (let i = 0; i < times; i++) outcomes.push(await carbonStats(registered));

      // Assert
      expect(outcomes).toEqual(["written", "unchanged"].slice(0, times));
      const user = (await scanItems(runtime.client, runtime.tables.carbonUsers)).find(
        (u) => u.userId === userId,
      );
      expect(user?.stats).toMatchObject({ totalKgCO2e: "0.9", entryCount: 8 });
      const summary = (await scanItems(runtime.client, runtime.tables.aggregates)).find(
        (i) => i.pk === AggregateKeys.carbonStats(userId).pk && i.sk === userId,
      );
      expect(summary?.stats).toBeUndefined();
      expect(await auditAll(runtime.client, runtime.tables)).toEqual([]);
    },
  );

  it("writes nothing for a user who registers before any entry", async () => {
    // Arrange
    const profile = { userId: "fresh", name: "Fresh", createdAt: "2025-11-09T00:00:00.000Z" };
    await putItems(runtime.client, runtime.tables.carbonUsers, [profile]);

    // Act
    const outcome = await carbonStats(
      domainEvent("UserRegistered", profile, { sequenceNumber: "100000000000000000600" }),
    );

    // Assert
    expect(outcome).toBe("unchanged");
    const user = (await scanItems(runtime.client, runtime.tables.carbonUsers)).find(
      (u) => u.userId === "fresh",
    );
    expect(user?.stats).toBeUndefined();
  });
});

describe("achievements on the bus", () => {
  it("publishes exactly one AchievementUnlocked INSERT per achievement when deliveries race and repeat", async () => {
    // Arrange
    const history = await seedUser("racing", true);
    const first = history.events[0]!;

    // Act
    await Promise.all([first, first, first, first].map((event) => achievements(event)));
    await deliver([...history.events, ...history.events]);

    // Assert
    const inserts = (await readStream(runtime, runtime.tables.carbonAchievements)).filter(
      (r) => r.eventName === "INSERT" && r.dynamodb?.Keys?.userId?.S === "racing",
    );
    const ids = inserts.map((r) => r.dynamodb?.Keys?.achievementId?.S).sort();
    expect(ids).toEqual(EXPECTED_ACHIEVEMENTS);
  });

  it("writes nothing when a duplicate arrives after everything is unlocked and counted", async () => {
    // Arrange
    const history = await seedUser("settled", true);
    await deliver(history.events);

    // Act
    const outcomes = [await carbonStats(history.events[3]), await achievements(history.events[3])];

    // Assert
    expect(outcomes).toEqual(["unchanged", "unchanged"]);
  });
});

describe("carbon-stats with each change applied once", () => {
  function entryEvent(userId: string, timestamp: string, kgCO2e: string, seq: string, change = "INSERT") {
    const entry: CarbonEntry = { userId, timestamp, category: "food", activity: "lunch", kgCO2e };
    return domainEvent("CarbonEntryRecorded", entry, {
      sequenceNumber: seq,
      change: change as "INSERT" | "MODIFY",
    });
  }

  it.each([
    {
      description: "beyond double precision",
      amounts: ["0.1234567890123456789", "1"],
      total: "1.1234567890123456789",
    },
    { description: "written with an exponent", amounts: ["1E-7", "2"], total: "2.0000001" },
    {
      description: "of 38 significant digits",
      amounts: ["1234567890123456789012345678.012345678", "0.000000001"],
      total: "1234567890123456789012345678.012345679",
    },
  ])("totals amounts $description exactly", async ({ description, amounts, total }) => {
    // Arrange
    const userId = `exact-${description.replaceAll(" ", "-")}`;
    const seqs = sequenceNumbers(amounts.length, 200_000_000_000_000_000_000n);
    const events = amounts.map((kg, i) =>
      entryEvent(userId, `2025-11-0${i + 1}T08:00:00.000Z`, kg, seqs[i]!),
    );

    // Act
    await deliver(events);

    // Assert
    const stored = (await scanItems(runtime.client, runtime.tables.aggregates)).find(
      (i) => i.pk === AggregateKeys.carbonStats(userId).pk && i.sk === userId,
    );
    expect(stored?.stats).toMatchObject({ totalKgCO2e: total });
  });

  it("replaces a corrected entry's amount and subtracts a removed one once, whatever the order", async () => {
    // Arrange
    const userId = "corrections";
    const [s1, s2, s3, s4] = sequenceNumbers(4, 300_000_000_000_000_000_000n);
    const events = [
      entryEvent(userId, "2025-11-01T08:00:00.000Z", "5", s1!),
      entryEvent(userId, "2025-11-01T08:00:00.000Z", "2.5", s2!, "MODIFY"),
      entryEvent(userId, "2025-11-02T08:00:00.000Z", "4", s3!),
      domainEvent(
        "CarbonEntryRemoved",
        { userId, timestamp: "2025-11-02T08:00:00.000Z" },
        { sequenceNumber: s4!, change: "EXPIRE" },
      ),
    ];

    // Act
    await deliver([...seededShuffle(events, 7), ...events, ...[...events].reverse()]);

    // Assert
    const stored = (await scanItems(runtime.client, runtime.tables.aggregates)).find(
      (i) => i.pk === AggregateKeys.carbonStats(userId).pk && i.sk === userId,
    );
    expect(stored?.stats).toMatchObject({
      totalKgCO2e: "2.5",
      entryCount: 1,
      byDay: { "2025-11-01": "2.5" },
      lastEntryDate: "2025-11-01",
    });
  });

  it("unlocks an achievement at the time of the entry that meets its rule", async () => {
    // Arrange
    const userId = "unlock-time";
    const seqs = sequenceNumbers(7, 400_000_000_000_000_000_000n);
    const events = seqs.map((seq, i) => entryEvent(userId, `2025-11-0${i + 1}T08:00:00.000Z`, "1", seq));

    // Act
    await deliver(events);

    // Assert
    const unlocked = (await scanItems(runtime.client, runtime.tables.carbonAchievements)).filter(
      (a) => a.userId === userId,
    );
    expect(Object.fromEntries(unlocked.map((a) => [a.achievementId, a.unlockedAt]))).toEqual({
      "first-entry": "2025-11-01T08:00:00.000Z",
      "streak-7-days": "2025-11-07T08:00:00.000Z",
    });
  });
});
