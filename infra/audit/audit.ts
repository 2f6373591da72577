import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  AggregateKeys,
  ParkingTotalsSchema,
  queryAggregates,
  readAggregate,
  readCartStats,
  readPetStats,
  StoredEventStatsSchema,
} from "#commons/aggregates.ts";
import { type ComputedUserStats, canonicalJson, computeUserStats } from "#commons/carbon-stats.ts";
import {
  type CarbonEntry,
  CarbonEntrySchema,
  type Goal,
  GoalSchema,
  UserStatsSchema,
} from "#schemas/carbon.ts";
import { CartImageSchema } from "#schemas/cart.ts";
import { CAR_PARK_STATUS_THRESHOLDS, CarParkSchema } from "#schemas/parking.ts";
import { PetSchema } from "#schemas/pets.ts";
import { StoredEventSchema, type StoredEventStatus } from "#schemas/stored-events.ts";
import { metRules } from "../../functions/achievements/rules.ts";
import { carParkState, withTotals } from "../../functions/parking-totals/totals.ts";
import {
  cartContribution,
  cartStatsOf,
  petStatsOf,
  storedEventStatsOf,
} from "../../functions/store-stats/stats.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { pipeline } from "../pipeline.ts";
import { type Stage, stageName, tableEnvVar } from "../topology.ts";

/**
 * The audit: recomputes every consumer's aggregate from the source tables and lists where the
 * stored aggregate differs. The recompute uses the consumers' own pure functions, fed by full
 * scans instead of events, so a lost, doubled or misordered event shows up as a difference.
 */

/** One field of one aggregate that does not match its recomputation. */
export interface Difference {
  /** Which aggregate: "parking-totals", "store-stats/pets", "carbon-stats", "achievements", … */
  readonly aggregate: string;
  /** Which item of it (car park id, user id, "summary"). */
  readonly key: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Physical names of the tables the audit reads, by declared key. */
export type AuditTableNames = Readonly<Record<AuditedTable, string>>;
export type AuditedTable =
  | "parkingData"
  | "carbonUsers"
  | "carbonEntries"
  | "carbonGoals"
  | "carbonAchievements"
  | "pets"
  | "storedEvents"
  | "carts"
  | "aggregates";

const AUDITED_TABLES: readonly AuditedTable[] = [
  "parkingData",
  "carbonUsers",
  "carbonEntries",
  "carbonGoals",
  "carbonAchievements",
  "pets",
  "storedEvents",
  "carts",
  "aggregates",
];

/**
 * Declared table names — as a stage names them in AWS (`prod-PetStore`) when `stage` is given —
 * each overridable by its `TABLE_<KEY>` variable (as the handlers read them).
 */
export function auditTableNames(
  p: PipelineDeclaration = pipeline,
  env: NodeJS.ProcessEnv = process.env,
  stage?: Stage,
): AuditTableNames {
  const declared = (key: AuditedTable) => {
    const name = p.tables[key]?.tableName ?? key;
    return stage === undefined ? name : stageName(stage, name);
  };
  return Object.fromEntries(
    AUDITED_TABLES.map((key) => [key, env[tableEnvVar(key)] ?? declared(key)]),
  ) as AuditTableNames;
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Field-by-field differences between two records (compared as canonical JSON). */
function compareFields(
  aggregate: string,
  key: string,
  expected: Record<string, unknown>,
  actual: Record<string, unknown> | undefined,
  fields: readonly string[],
): Difference[] {
  return fields
    .filter((field) => canonicalJson(expected[field]) !== canonicalJson(actual?.[field]))
    .map((field) => ({ aggregate, key, field, expected: expected[field], actual: actual?.[field] }));
}

/** parking-totals against a scan of parking-data. */
export async function auditParkingTotals(
  client: DynamoDBClient,
  tables: AuditTableNames,
): Promise<Difference[]> {
  const parks = (await scanAll(client, tables.parkingData)).map((item) => CarParkSchema.parse(item));
  const expected = withTotals(
    Object.fromEntries(parks.map((p) => [p.carParkId, carParkState(p, CAR_PARK_STATUS_THRESHOLDS)])),
  );
  const stored = await readAggregate(
    client,
    tables.aggregates,
    AggregateKeys.parkingTotals,
    ParkingTotalsSchema,
  );
  if (stored === undefined && parks.length === 0) return [];
  const totals = ["totalCapacity", "totalOccupied", "totalAvailable", "carParkCount"] as const;
  const differences = compareFields("parking-totals", "summary", expected, stored, totals);
  const ids = new Set([...Object.keys(expected.carParks), ...Object.keys(stored?.carParks ?? {})]);
  for (const id of [...ids].sort()) {
    if (canonicalJson(expected.carParks[id]) !== canonicalJson(stored?.carParks[id])) {
      differences.push({
        aggregate: "parking-totals",
        key: id,
        field: "carParks",
        expected: expected.carParks[id],
        actual: stored?.carParks[id],
      });
    }
  }
  return differences;
}

/** store-stats (pets, carts, each user's stored events) against scans of their tables. */
export async function auditStoreStats(
  client: DynamoDBClient,
  tables: AuditTableNames,
): Promise<Difference[]> {
  const differences: Difference[] = [];
  const pets = (await scanAll(client, tables.pets)).map((item) => PetSchema.parse(item));
  const petStats = petStatsOf(Object.fromEntries(pets.map((p) => [String(p.id), p.type])));
  const storedPets = await readPetStats(client, tables.aggregates);
  if (storedPets.petCount > 0 || Object.keys(storedPets.positions).length > 0 || pets.length > 0) {
    differences.push(
      ...compareFields("store-stats/pets", "pets", petStats, storedPets, ["petCount", "byType", "pets"]),
    );
  }
  const carts = (await scanAll(client, tables.carts)).map((item) => CartImageSchema.parse(item));
  const open = carts.flatMap((c) => {
    const contribution = cartContribution(c);
    return contribution === undefined ? [] : [[c.userId, contribution] as const];
  });
  const cartStats = cartStatsOf(Object.fromEntries(open));
  const storedCarts = await readCartStats(client, tables.aggregates);
  if (storedCarts.openCarts > 0 || Object.keys(storedCarts.positions).length > 0 || open.length > 0) {
    differences.push(
      ...compareFields("store-stats/carts", "carts", cartStats, storedCarts, [
        "openCarts",
        "totalItems",
        "totalValue",
        "carts",
      ]),
    );
  }
  const byUser = new Map<string, Record<string, StoredEventStatus>>();
  for (const item of await scanAll(client, tables.storedEvents)) {
    const event = StoredEventSchema.parse(item);
    const events = byUser.get(event.user_id) ?? {};
    events[event["timestamp#event_id"]] = event.status;
    byUser.set(event.user_id, events);
  }
  const storedByUser = new Map(
    (await queryAggregates(client, tables.aggregates, AggregateKeys.storedEventsPartition)).map((item) => {
      const stats = StoredEventStatsSchema.parse(item);
      return [stats.userId, stats] as const;
    }),
  );
  for (const userId of [...new Set([...byUser.keys(), ...storedByUser.keys()])].sort()) {
    const expected = storedEventStatsOf(userId, byUser.get(userId) ?? {});
    differences.push(
      ...compareFields("store-stats/stored-events", userId, expected, storedByUser.get(userId), [
        "eventCount",
        "byStatus",
        "events",
      ]),
    );
  }
  return differences;
}

function groupByUser<T extends { userId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.userId, [...(out.get(item.userId) ?? []), item]);
  return out;
}

const STATS_FIELDS: readonly (keyof ComputedUserStats)[] = [
  "totalKgCO2e",
  "entryCount",
  "byCategory",
  "byDay",
  "byMonth",
  "currentStreakDays",
  "longestStreakDays",
  "lastEntryDate",
  "goals",
];

/**
 * carbon-stats and achievements against scans of entries, goals, profiles and achievements.
 * Statistics are expected on the profile item, or in the aggregates table for a user without one;
 * every achievement whose rule the recomputed statistics meet is expected to be unlocked.
 */
export async function auditCarbon(client: DynamoDBClient, tables: AuditTableNames): Promise<Difference[]> {
  const differences: Difference[] = [];
  const entries = groupByUser<CarbonEntry>(
    (await scanAll(client, tables.carbonEntries)).map((i) => CarbonEntrySchema.parse(i)),
  );
  const goals = groupByUser<Goal>(
    (await scanAll(client, tables.carbonGoals)).map((i) => GoalSchema.parse(i)),
  );
  const profiles = new Map(
    (await scanAll(client, tables.carbonUsers)).map((item) => [String(item.userId), item]),
  );
  const fallback = new Map(
    (await queryAggregates(client, tables.aggregates, AggregateKeys.carbonStatsPartition)).map((item) => [
      String(item.sk),
      item,
    ]),
  );
  const unlocked = new Map<string, Set<string>>();
  for (const item of await scanAll(client, tables.carbonAchievements)) {
    const userId = String(item.userId);
    unlocked.set(userId, (unlocked.get(userId) ?? new Set()).add(String(item.achievementId)));
  }
  const users = new Set([...entries.keys(), ...goals.keys(), ...profiles.keys(), ...fallback.keys()]);
  for (const userId of [...users].sort()) {
    const expected = computeUserStats(entries.get(userId) ?? [], goals.get(userId) ?? []);
    const profile = profiles.get(userId);
    const storedRaw = profile !== undefined ? profile.stats : fallback.get(userId)?.stats;
    const stored = storedRaw === undefined ? undefined : UserStatsSchema.parse(storedRaw);
    const nothingToKeep = expected.entryCount === 0 && (expected.goals ?? []).length === 0;
    if (!(stored === undefined && nothingToKeep)) {
      differences.push(
        ...compareFields("carbon-stats", userId, expected, stored, STATS_FIELDS).map((d) => ({
          ...d,
          field: `stats.${d.field}`,
        })),
      );
    }
    for (const rule of metRules(expected)) {
      if (!unlocked.get(userId)?.has(rule.achievementId)) {
        differences.push({
          aggregate: "achievements",
          key: userId,
          field: rule.achievementId,
          expected: "unlocked",
          actual: "missing",
        });
      }
    }
  }
  return differences;
}

/** Every aggregate against its recomputation from the source tables; empty when all agree. */
export async function auditAll(client: DynamoDBClient, tables: AuditTableNames): Promise<Difference[]> {
  return [
    ...(await auditParkingTotals(client, tables)),
    ...(await auditCarbon(client, tables)),
    ...(await auditStoreStats(client, tables)),
  ];
}

/** One line per difference, for people. */
export function formatDifference(d: Difference): string {
  return `${d.aggregate} ${d.key} ${d.field}: expected ${JSON.stringify(d.expected) ?? "nothing"}, found ${JSON.stringify(d.actual) ?? "nothing"}`;
}
