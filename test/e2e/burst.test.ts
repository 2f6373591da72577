import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParkingTotals, readPetStats, shardOf, shardSortKey } from "#commons/aggregates.ts";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import { type BurstLedger, runBurst } from "../helpers/burst.ts";
import { scanItems } from "../helpers/process-runtime.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

const PLAN = { writers: 32, pets: 1_200, readings: 800, carParks: 48 } as const;
const WRITES = PLAN.pets + PLAN.readings;

describe(`a burst of ${WRITES} writes (${PLAN.pets} pets through the API, ${PLAN.readings} car park readings through the SDK) from ${PLAN.writers} concurrent writers`, () => {
  let runtime: Runtime;
  let ledger: BurstLedger;
  const aggregates = model.tables.aggregates!.tableName;

  beforeAll(async () => {
    // Lambda's own retry delays (1 and 2 minutes, jittered): the burst must converge without
    // leaning on retries, and any retry it needs costs what it costs in AWS.
    runtime = await startTestRuntime({ asyncRetryDelayMs: 60_000 });
    ledger = await runBurst(
      { api: runtime.endpoints.api, token: runtime.apiToken, dynamodb: runtime.dynamodb },
      PLAN,
    );
    await runtime.settled({ timeoutMs: 900_000 });
  }, 1_200_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("counts every pet, summed over the shards, as the ledger does", async () => {
    // Act
    const stats = await readPetStats(runtime.dynamodb, aggregates);
    // Assert
    expect(stats.byType).toEqual(ledger.petsByType);
    expect(stats.petCount).toBe(ledger.petCount);
  });

  it("keeps the car park totals, summed over the shards, equal to the ledger", async () => {
    // Act
    const totals = await readParkingTotals(runtime.dynamodb, aggregates);
    // Assert
    expect(totals).toMatchObject(ledger.parking);
  });

  it("keeps each car park and each pet in the one shard its key hashes to", async () => {
    // Act
    const items = await scanItems(runtime.dynamodb, aggregates);
    const declared = (name: string) => model.consumers.find((c) => c.name === name)!.aggregateShards;
    const placement = (pk: string, field: string, shards: number) => {
      const misplaced: string[] = [];
      const used = new Set<unknown>();
      for (const item of items.filter((i) => i.pk === pk)) {
        used.add(item.sk);
        for (const id of Object.keys(item[field] as object)) {
          if (item.sk !== shardSortKey(shardOf(id, shards))) misplaced.push(`${id} in ${String(item.sk)}`);
        }
      }
      return { misplaced, shardsUsed: used.size };
    };
    const parks = placement("parking-totals", "carParks", declared("parking-totals"));
    const pets = placement("store-stats#pets", "pets", declared("store-stats"));
    // Assert
    expect(parks.misplaced).toEqual([]);
    expect(pets.misplaced).toEqual([]);
    expect(parks.shardsUsed).toBeGreaterThan(1);
    expect(pets.shardsUsed).toBeGreaterThan(1);
  });

  it("sends no event to a dead-letter queue and sets nothing aside", async () => {
    // Act
    const setAside = await scanItems(runtime.dynamodb, model.tables[model.setAside.table]!.tableName);
    const deadLetters = runtime.stats().rows.filter((r) => /dead letters|discarded/.test(r.name));
    // Assert
    expect(setAside).toEqual([]);
    expect(deadLetters).toEqual([]);
  });

  it("passes the audit", async () => {
    // Act
    const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));
    // Assert
    expect(differences).toEqual([]);
  });
});
