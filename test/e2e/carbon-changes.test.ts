import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

/**
 * CarbonTrack changes through the API and the whole local pipeline, every event delivered twice
 * and shuffled: a corrected entry replaces its old contribution, a deleted one takes it away, a
 * changed or deleted goal shows in the progress, and the statistics equal this file's own
 * arithmetic over a ledger of what it wrote.
 */

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = any;

const DAY_MS = 24 * 60 * 60 * 1000;

interface LedgerEntry {
  category: string;
  kgCO2e: string;
}

/** Thousandths of a kgCO2e, so sums are integers here (entries have at most 3 decimals). */
function milli(text: string): bigint {
  const [whole = "0", fraction = ""] = text.split(".");
  return BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, "0"));
}

/** The JSON number the API writes for a number of thousandths. */
function kg(thousandths: bigint): number {
  const sign = thousandths < 0n ? "-" : "";
  const abs = thousandths < 0n ? -thousandths : thousandths;
  const fraction = (abs % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return Number(`${sign}${abs / 1000n}${fraction === "" ? "" : `.${fraction}`}`);
}

/** A map of totals without its zero totals: a total that fell to 0 and one left out read the same. */
function nonZero(totals: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(totals ?? {}).filter(([, value]) => value !== 0));
}

/** The statistics a user should read, from the ledger alone. */
function expectedStats(ledger: ReadonlyMap<string, LedgerEntry>) {
  const sum = (pick: (timestamp: string, entry: LedgerEntry) => string) => {
    const totals = new Map<string, bigint>();
    for (const [timestamp, entry] of ledger) {
      const key = pick(timestamp, entry);
      totals.set(key, (totals.get(key) ?? 0n) + milli(entry.kgCO2e));
    }
    return Object.fromEntries([...totals].map(([key, total]) => [key, kg(total)]));
  };
  const days = [...new Set([...ledger.keys()].map((t) => t.slice(0, 10)))].sort();
  let run = 0;
  let longest = 0;
  for (const [i, day] of days.entries()) {
    const consecutive = i > 0 && Date.parse(day) - Date.parse(days[i - 1]!) === DAY_MS;
    run = consecutive ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return {
    totalKgCO2e: kg([...ledger.values()].reduce((total, e) => total + milli(e.kgCO2e), 0n)),
    entryCount: ledger.size,
    byCategory: sum((_, e) => e.category),
    byDay: sum((t) => t.slice(0, 10)),
    byMonth: sum((t) => t.slice(0, 7)),
    currentStreakDays: run,
    longestStreakDays: longest,
    lastEntryDate: days[days.length - 1],
  };
}

/** The part of a user's statistics the ledger decides, zero totals left out. */
function statsRead(stats: Json) {
  return {
    totalKgCO2e: stats.totalKgCO2e,
    entryCount: stats.entryCount,
    byCategory: nonZero(stats.byCategory),
    byDay: nonZero(stats.byDay),
    byMonth: nonZero(stats.byMonth),
    currentStreakDays: stats.currentStreakDays,
    longestStreakDays: stats.longestStreakDays,
    lastEntryDate: stats.lastEntryDate,
  };
}

describe("CarbonTrack corrections and deletions through the whole local pipeline", () => {
  let runtime: Runtime;
  const ledger = new Map<string, LedgerEntry>();
  let goalId: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${runtime.endpoints.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  };
  /** The user as read once every change written so far has gone all the way through. */
  const settledUser = async () => {
    await runtime.settled({ timeoutMs: 60_000 });
    return (await call("GET", "/users/cora")).json;
  };
  const achievements = async () =>
    (await call("GET", "/users/cora/achievements")).json.achievements
      .map((a: { achievementId: string }) => a.achievementId)
      .sort();

  beforeAll(async () => {
    runtime = await startTestRuntime({ chaos: { duplicate: true, maxDelayMs: 100 } });
    await call("POST", "/users", { userId: "cora", name: "Cora", email: "cora@example.org" });
    for (const [timestamp, category, kgCO2e] of [
      ["2025-11-28T08:00:00.000Z", "transport", "3.25"],
      ["2025-11-29T08:00:00.000Z", "food", "1.5"],
      ["2025-11-30T08:00:00.000Z", "transport", "2.125"],
      ["2025-11-30T18:00:00.000Z", "energy", "4"],
    ] as const) {
      const recorded = await call("POST", "/users/cora/entries", {
        timestamp,
        category,
        activity: "x",
        kgCO2e,
      });
      if (recorded.status !== 201) throw new Error(`entry not recorded: ${JSON.stringify(recorded.json)}`);
      ledger.set(timestamp, { category, kgCO2e });
    }
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("replaces a corrected entry's old contribution in every total, never adding to it", async () => {
    // Arrange
    expect(statsRead((await settledUser()).stats)).toEqual(expectedStats(ledger));

    // Act
    const corrected = await call("PATCH", "/users/cora/entries/2025-11-30T08:00:00.000Z", {
      kgCO2e: "0.875",
      category: "energy",
    });
    ledger.set("2025-11-30T08:00:00.000Z", { category: "energy", kgCO2e: "0.875" });
    const user = await settledUser();

    // Assert
    expect(corrected.status).toBe(200);
    expect(statsRead(user.stats)).toEqual(expectedStats(ledger));
    expect(user.stats.totalKgCO2e).toBe(9.625);
  });

  it("changes no statistic when the same correction is sent again", async () => {
    // Act
    const again = await call("PATCH", "/users/cora/entries/2025-11-30T08:00:00.000Z", {
      kgCO2e: "0.875",
      category: "energy",
    });
    const user = await settledUser();

    // Assert
    expect(again.status).toBe(200);
    expect(statsRead(user.stats)).toEqual(expectedStats(ledger));
  });

  it("takes a deleted entry's contribution out of every total and the streaks", async () => {
    // Act
    const deleted = await call("DELETE", "/users/cora/entries/2025-11-29T08:00:00.000Z");
    ledger.delete("2025-11-29T08:00:00.000Z");
    const user = await settledUser();

    // Assert
    expect(deleted.status).toBe(200);
    expect(statsRead(user.stats)).toEqual(expectedStats(ledger));
    expect(user.stats).toMatchObject({ entryCount: 3, currentStreakDays: 1, longestStreakDays: 1 });
  });

  it("shows a changed goal's budget and period in the user's goal progress", async () => {
    // Arrange
    goalId = (
      await call("POST", "/users/cora/goals", {
        title: "Energy under 5 a day",
        period: "daily",
        targetKgCO2e: 5,
        category: "energy",
      })
    ).json.goalId;
    const energyOn30th = milli("0.875") + milli("4");
    const before = (await settledUser()).stats.goals;

    // Act
    const changed = await call("PATCH", `/users/cora/goals/${goalId}`, {
      title: "Under 9 a month",
      period: "monthly",
      targetKgCO2e: "9",
      category: null,
    });
    const after = (await settledUser()).stats.goals;

    // Assert
    expect(before).toEqual([
      expect.objectContaining({
        goalId,
        currentPeriod: "2025-11-30",
        usedKgCO2e: kg(energyOn30th),
        remainingKgCO2e: kg(milli("5") - energyOn30th),
        withinBudget: true,
      }),
    ]);
    expect(changed.status).toBe(200);
    const november = [...ledger.values()].reduce((total, e) => total + milli(e.kgCO2e), 0n);
    expect(after).toEqual([
      {
        goalId,
        title: "Under 9 a month",
        period: "monthly",
        targetKgCO2e: 9,
        status: "active",
        currentPeriod: "2025-11",
        usedKgCO2e: kg(november),
        remainingKgCO2e: kg(milli("9") - november),
        withinBudget: true,
        metPeriods: 0,
      },
    ]);
  });

  it("unlocks the goal achievement when a goal is marked achieved", async () => {
    // Arrange
    expect(await achievements()).toEqual(["first-entry"]);

    // Act
    await call("PATCH", `/users/cora/goals/${goalId}`, { status: "achieved" });
    await runtime.settled({ timeoutMs: 60_000 });

    // Assert
    expect(await achievements()).toEqual(["first-entry", "goal-met"]);
  });

  it("takes a deleted goal out of the progress, keeping the achievement it unlocked", async () => {
    // Act
    const deleted = await call("DELETE", `/users/cora/goals/${goalId}`);
    const user = await settledUser();

    // Assert
    expect(deleted.status).toBe(200);
    expect(user.stats.goals ?? []).toEqual([]);
    expect(await achievements()).toEqual(["first-entry", "goal-met"]);
  });

  it("changes the profile and refuses statistics, leaving the statistics as the entries make them", async () => {
    // Act
    const renamed = await call("PATCH", "/users/cora", { name: "Cora Lee" });
    const forged = await call("PATCH", "/users/cora", { stats: { totalKgCO2e: 0, entryCount: 0 } });
    const user = await settledUser();

    // Assert
    expect(renamed.status).toBe(200);
    expect(forged.status).toBe(400);
    expect(forged.json.error.fields[0]).toMatchObject({ path: "body.stats" });
    expect(user.name).toBe("Cora Lee");
    expect(statsRead(user.stats)).toEqual(expectedStats(ledger));
  });

  it("leaves every aggregate equal to a recomputation from its source tables (npm run audit)", async () => {
    // Act
    await runtime.settled({ timeoutMs: 60_000 });
    const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));

    // Assert
    expect(differences).toEqual([]);
  });
});
