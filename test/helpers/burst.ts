import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { model } from "#infra/pipeline.ts";
import type { CarPark } from "#schemas/parking.ts";
import { scanItems } from "./process-runtime.ts";

/**
 * A burst of writes against a running local runtime, from many concurrent writers, with a ledger
 * of what the aggregates must come to, computed here by the writer's own arithmetic (never read
 * back from the pipeline): pets through the API (store-stats' sharded pet counts) and car park
 * readings straight to the parking-data table through the SDK (parking-totals' sharded totals).
 */

export interface BurstPlan {
  /** Concurrent writers. */
  readonly writers: number;
  /** Pets POSTed to the API. */
  readonly pets: number;
  /** Car park readings put to the parking-data table. */
  readonly readings: number;
  /** Car parks the readings go to (each written by one writer, in order). */
  readonly carParks: number;
}

/** What the aggregates must hold once the burst has gone through. */
export interface BurstLedger {
  readonly petsByType: Record<string, number>;
  readonly petCount: number;
  readonly parking: {
    readonly totalCapacity: number;
    readonly totalOccupied: number;
    readonly totalAvailable: number;
    readonly carParkCount: number;
  };
}

/** Where the burst writes: the runtime's API (with its token) and its DynamoDB Local. */
export interface BurstTarget {
  readonly api: string;
  readonly token: string;
  readonly dynamodb: DynamoDBClient;
}

const TYPES = ["frog", "cat", "dog", "parrot", "tortoise", "emu"] as const;

const tableName = (key: string) => model.tables[key]!.tableName;

/**
 * Calls the API; a refused connection or a 5xx under the burst is tried again with the same
 * Idempotency-Key, so a write the API did make is not made twice.
 */
async function call(target: BurstTarget, path: string, body?: unknown, key?: string): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${target.api}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${target.token}`,
        "content-type": "application/json",
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((error: unknown) => error as Error);
    if (!(response instanceof Error) && response.status < 500) {
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      return response.json() as Promise<unknown>;
    }
    if (!(response instanceof Error)) await response.arrayBuffer();
    if (attempt === 20) throw new Error(`${path} failed 20 times: ${String(response)}`);
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
}

/** Reading `j` of car park `k`: a valid parking-data item, percent and colour as seed 000 rounds them. */
function reading(k: number, j: number): CarPark {
  const capacity = 100 + k * 7;
  const occupied = (j * 37 + k) % (capacity + 1);
  // Seed 000's rule (amber from 70 %, red from 90 %), by integer arithmetic on tenths of a percent.
  const tenths = Math.floor((occupied * 2000 + capacity) / (capacity * 2));
  const status = tenths >= 900 ? "red" : tenths >= 700 ? "amber" : "green";
  return {
    carParkId: `BURST-${String(k).padStart(3, "0")}`,
    name: `Burst car park ${k}`,
    capacity,
    occupied,
    available: capacity - occupied,
    percentFull: tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1),
    status,
    hourlyRate: "2.35",
    lastUpdated: new Date(Date.UTC(2026, 0, 1, 0, 0, j)).toISOString(),
  };
}

/**
 * Runs the burst: `plan.writers` writers at once, each POSTing its share of the pets and putting
 * the readings of its own car parks in order, interleaved. Resolves with the ledger once every
 * write is acknowledged (the pipeline may still be working).
 */
export async function runBurst(target: BurstTarget, plan: BurstPlan): Promise<BurstLedger> {
  const petsByType: Record<string, number> = {};
  for (const pet of (await call(target, "/pets")) as { type: string }[]) {
    petsByType[pet.type] = (petsByType[pet.type] ?? 0) + 1;
  }
  const parks = new Map<string, CarPark>();
  for (const item of await scanItems(target.dynamodb, tableName("parkingData"))) {
    parks.set(String(item.carParkId), item as CarPark);
  }
  const table = tableName("parkingData");
  await Promise.all(
    Array.from({ length: plan.writers }, async (_, w) => {
      const pets = Array.from({ length: plan.pets }, (_, i) => i).filter((i) => i % plan.writers === w);
      // Every reading of a car park comes from the one writer that owns it, in order.
      const readings = Array.from({ length: plan.readings }, (_, j) => j).filter(
        (j) => (j % plan.carParks) % plan.writers === w,
      );
      while (pets.length > 0 || readings.length > 0) {
        const i = pets.shift();
        if (i !== undefined) {
          const type = TYPES[i % TYPES.length]!;
          await call(target, "/pets", { name: `Burst ${i}`, type, price: "9.99" }, `burst-pet-${i}`);
          petsByType[type] = (petsByType[type] ?? 0) + 1;
        }
        const j = readings.shift();
        if (j !== undefined) {
          const park = reading(j % plan.carParks, j);
          await target.dynamodb.send(new PutItemCommand({ TableName: table, Item: marshall(park) }));
          parks.set(park.carParkId, park);
        }
      }
    }),
  );
  const all = [...parks.values()];
  return {
    petsByType,
    petCount: Object.values(petsByType).reduce((sum, n) => sum + n, 0),
    parking: {
      totalCapacity: all.reduce((sum, p) => sum + Number(p.capacity), 0),
      totalOccupied: all.reduce((sum, p) => sum + Number(p.occupied), 0),
      totalAvailable: all.reduce((sum, p) => sum + Number(p.available), 0),
      carParkCount: all.length,
    },
  };
}
