import { describe, expect, it } from "vitest";
import { dataDirForSuite } from "../helpers/data-dir.ts";
import {
  crash,
  partitionItems,
  type RuntimeProcess,
  scanItems,
  startRuntimeProcess,
  waitUntil,
} from "../helpers/process-runtime.ts";

const PET_TYPES = ["frog", "cat", "dog", "parrot", "tortoise"] as const;
const PETS = 240;
const ENTRIES = 60;
const WRITERS = 16;

/** Runs `tasks` with at most `writers` at once. */
async function burst(tasks: (() => Promise<unknown>)[], writers: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/** Pet counts by type, summed over the store-stats shards (the test's own arithmetic). */
async function storedPetCounts(runtime: RuntimeProcess): Promise<Record<string, number>> {
  const shards = await partitionItems(runtime.dynamodb, "ripple-aggregates", "store-stats#pets");
  const counts: Record<string, number> = {};
  for (const shard of shards) {
    for (const [type, n] of Object.entries(shard.byType as Record<string, number>)) {
      counts[type] = (counts[type] ?? 0) + Number(n);
    }
  }
  return counts;
}

const canonical = (counts: Record<string, number>) => JSON.stringify(Object.entries(counts).sort());

describe("a crash of the runtime right after a burst, restarted on the same --data", () => {
  const data = dataDirForSuite<RuntimeProcess>("ripple-crash-");
  const start = () => data.start((dataDir) => startRuntimeProcess(["--data", dataDir]));

  it("loses no event: aggregates equal the ledger and nothing is set aside", async () => {
    // Arrange: the seed pets, then a ledger of what the burst adds.
    const first = await start();
    const seed = (await first.call("GET", "/pets")) as { type: string }[];
    const expectedPets: Record<string, number> = {};
    for (const pet of seed) expectedPets[pet.type] = (expectedPets[pet.type] ?? 0) + 1;
    await first.call("POST", "/users", { userId: "grace", name: "Grace", email: "grace@example.com" });
    const writes: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < PETS; i++) {
      const type = PET_TYPES[i % PET_TYPES.length]!;
      expectedPets[type] = (expectedPets[type] ?? 0) + 1;
      writes.push(() => first.call("POST", "/pets", { name: `Burst ${i}`, type, price: "12.5" }));
    }
    let expectedKg = 0;
    for (let i = 0; i < ENTRIES; i++) {
      const kg = (i % 7) + 1;
      expectedKg += kg;
      const minute = String(i % 60).padStart(2, "0");
      writes.push(() =>
        first.call("POST", "/users/grace/entries", {
          category: "transport",
          activity: `trip ${i}`,
          kgCO2e: String(kg),
          timestamp: `2025-11-${String(1 + Math.floor(i / 60)).padStart(2, "0")}T10:${minute}:00.000Z`,
        }),
      );
    }

    // Act: every write answered, then kill -9 at once; restart on the same data.
    await burst(writes, WRITERS);
    await crash(first);
    const second = await start();
    const converged = await waitUntil(
      async () => {
        const profile = (await second.call("GET", "/users/grace")) as { stats?: { entryCount?: number } };
        return (
          canonical(await storedPetCounts(second)) === canonical(expectedPets) &&
          profile.stats?.entryCount === ENTRIES
        );
      },
      // Events whose first run failed wait Lambda's 1 and 2 minutes (plus jitter) before retrying.
      420_000,
      1_000,
    );

    // Assert
    const pets = await storedPetCounts(second);
    const profile = (await second.call("GET", "/users/grace")) as {
      stats: { entryCount: number; totalKgCO2e: number };
    };
    const setAside = await scanItems(second.dynamodb, "ripple-set-aside");
    expect(converged).toBe(true);
    expect(pets).toEqual(expectedPets);
    expect(profile.stats.entryCount).toBe(ENTRIES);
    expect(profile.stats.totalKgCO2e).toBe(expectedKg);
    expect(setAside).toEqual([]);
  }, 720_000);
});
