import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime, StartRuntimeProps } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { addRule, type HttpSubscriber, startHttpSubscriber, startTestRuntime } from "../helpers/runtime.ts";

/** Days of December 2025 with one or two entries each: a 7-day streak from the 1st. */
const ENTRIES = [
  { day: 1, category: "transport", kgCO2e: "2.5" },
  { day: 1, category: "food", kgCO2e: "1.25" },
  { day: 2, category: "energy", kgCO2e: "3.1" },
  { day: 3, category: "transport", kgCO2e: "0.75" },
  { day: 4, category: "shopping", kgCO2e: "4" },
  { day: 5, category: "food", kgCO2e: "1.1" },
  { day: 6, category: "transport", kgCO2e: "2.2" },
  { day: 7, category: "waste", kgCO2e: "0.3" },
] as const;

/** What the run-time subscriber receives: EventBridge's envelope around an AchievementUnlocked. */
interface SubscribedEvent {
  detail: { data: { achievementId: string } };
}

/**
 * Writes every seed system through the API of a whole local runtime and checks the aggregates.
 * One runtime per test file: handlers keep the endpoints they were loaded with.
 */
export function describeAggregates(description: string, chaos: StartRuntimeProps["chaos"]): void {
  describe(`aggregates through the API and the whole local pipeline, with ${description}`, () => {
    let runtime: Runtime;
    let subscriber: HttpSubscriber<SubscribedEvent>;
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${runtime.endpoints.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok)
        throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
      return json;
    };

    beforeAll(async () => {
      runtime = await startTestRuntime(chaos === undefined ? {} : { chaos });
      subscriber = await startHttpSubscriber<SubscribedEvent>();
      await addRule(runtime, {
        name: "achievement-subscriber",
        pattern: { "detail-type": ["AchievementUnlocked"] },
        target: { Id: "http", Arn: subscriber.url },
      });

      // Act (shared by the assertions below): every seed system written through the API.
      await call("POST", "/users", { userId: "ada", name: "Ada", email: "ada@example.com" });
      await call("POST", "/users/ada/goals", {
        title: "Under 5 kg a day",
        period: "daily",
        targetKgCO2e: "5",
      });
      await Promise.all(
        ENTRIES.map((e, i) =>
          call("POST", "/users/ada/entries", {
            category: e.category,
            activity: `activity ${i}`,
            kgCO2e: e.kgCO2e,
            timestamp: `2025-12-0${e.day}T${String(8 + i).padStart(2, "0")}:00:00.000Z`,
          }),
        ),
      );
      await call("PUT", "/car-parks/CP001/occupancy", { occupied: 400 });
      await call("PUT", "/car-parks/CP001/occupancy", { occupied: 120 });
      await call("POST", "/pets", { name: "Sweety", type: "frog", price: 20 });
      await call("POST", "/carts/ada/items", {
        bookId: "book001",
        title: "The Great Gatsby",
        author: "F. Scott Fitzgerald",
        price: "15.99",
        quantity: 2,
      });
      await call("POST", "/users/ada/events", { event_type: "login" });
      await runtime.settled({ timeoutMs: 60_000 });
    });

    afterAll(async () => {
      await runtime?.stop();
      await subscriber?.stop();
    });

    it("leaves every aggregate equal to a recomputation from its source tables", async () => {
      // Act
      const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));
      // Assert
      expect(differences).toEqual([]);
    });

    it("shows the user's exact statistics on their profile", async () => {
      // Act
      const profile = (await call("GET", "/users/ada")) as { stats?: Record<string, unknown> };
      // Assert
      expect(profile.stats).toMatchObject({
        totalKgCO2e: 15.2,
        entryCount: ENTRIES.length,
        byCategory: { transport: 5.45, food: 2.35, energy: 3.1, shopping: 4, waste: 0.3 },
        currentStreakDays: 7,
        longestStreakDays: 7,
      });
    });

    it("unlocks each achievement once, and a subscriber sees each unlock exactly once", async () => {
      // Act
      const { achievements } = (await call("GET", "/users/ada/achievements")) as {
        achievements: { achievementId: string }[];
      };
      // Assert
      const ids = achievements.map((a) => a.achievementId).sort();
      expect(ids).toEqual(expect.arrayContaining(["first-entry", "streak-7-days"]));
      expect(subscriber.events.map((e) => e.detail.data.achievementId).sort()).toEqual(ids);
    });

    it("keeps the latest reading of a car park, not a stale one", async () => {
      // Act
      const status = (await call("GET", "/car-parks")) as { carParks: { id: string; occupied: number }[] };
      // Assert
      expect(status.carParks.find((p) => p.id === "CP001")?.occupied).toBe(120);
    });
  });
}
