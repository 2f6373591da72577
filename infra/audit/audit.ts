import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import {
  AggregateKeys,
  CartStatsSchema,
  ParkingTotalsSchema,
  PetStatsSchema,
  StoredEventStatsSchema,
  shardOf,
  shardSortKey,
} from "#commons/aggregates.ts";
import { CarbonEntrySchema, GoalSchema, UserSchema, UserStatsSchema } from "#schemas/carbon.ts";
import { CartImageSchema } from "#schemas/cart.ts";
import { CAR_PARK_STATUS_THRESHOLDS, CarParkSchema } from "#schemas/parking.ts";
import { PetSchema } from "#schemas/pets.ts";
import { StoredEventSchema, type StoredEventStatus } from "#schemas/stored-events.ts";
import { DEFAULT_AGGREGATE_SHARDS, type PipelineDeclaration } from "../declaration.ts";
import { pipeline } from "../pipeline.ts";
import { type Stage, stageName, tableEnvVar } from "../topology.ts";
import { sumTexts } from "./exact.ts";
import { type Finding, parseItems, queryPartition, scanTable } from "./read.ts";
import {
  expectedAchievements,
  expectedCarbonStats,
  expectedCartStats,
  expectedParkingTotals,
  expectedPetStats,
  expectedStoredEventStats,
  wholeOut,
} from "./recompute.ts";

export type { Finding };

/**
 * The audit: a second opinion on every consumer's aggregate. It recomputes each from full scans of
 * the source tables with rules and exact arithmetic of its own (`recompute.ts`, `exact.ts`; it
 * shares only the item schemas with the consumers), so a lost, doubled or misordered event — or
 * a mistake in a consumer's arithmetic — shows up as a difference. An item that does not fit its
 * schema, in a source table or among the aggregates, is a {@link Finding} naming its key; the
 * audit reads on past it and never stops on data.
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

/** Everything the audit found: differences between aggregates and source tables, and unreadable items. */
export interface AuditReport {
  readonly differences: Difference[];
  readonly findings: Finding[];
}

const EMPTY: AuditReport = { differences: [], findings: [] };

function merge(...reports: readonly AuditReport[]): AuditReport {
  return {
    differences: reports.flatMap((r) => r.differences),
    findings: reports.flatMap((r) => r.findings),
  };
}

/** JSON with sorted keys and every number as text, so `15`, `"15"` and `15n` compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

/** Field-by-field differences between a recomputation and a stored aggregate. */
function compareFields(
  aggregate: string,
  key: string,
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>> | undefined,
  fields: readonly string[],
): Difference[] {
  return fields
    .filter((field) => canonical(expected[field]) !== canonical(actual?.[field]))
    .map((field) => ({ aggregate, key, field, expected: expected[field], actual: actual?.[field] }));
}

const keysOf = (p: PipelineDeclaration, table: AuditedTable): string[] => {
  const declared = p.tables[table];
  if (declared === undefined) return [];
  return [declared.partitionKey.name, ...(declared.sortKey === undefined ? [] : [declared.sortKey.name])];
};

/** Scans a source table and parses each item, a finding for each that does not fit. */
async function readSource<T>(
  client: DynamoDBClient,
  tables: AuditTableNames,
  table: AuditedTable,
  schema: z.ZodType<T>,
) {
  return parseItems(tables[table], keysOf(pipeline, table), await scanTable(client, tables[table]), schema);
}

/** Reads an aggregate partition, a finding for each item that does not fit its schema. */
async function readAggregates<T>(
  client: DynamoDBClient,
  tables: AuditTableNames,
  pk: string,
  schema: z.ZodType<T>,
) {
  const raw = await queryPartition(client, tables.aggregates, pk);
  return { ...parseItems(tables.aggregates, ["pk", "sk"], raw, schema), raw };
}

/** The shard count a consumer declares (`aggregateShards`), as `resolvePipeline` fills it in. */
function declaredShards(p: PipelineDeclaration, consumer: string): number {
  return p.consumers.find((c) => c.name === consumer)?.aggregateShards ?? DEFAULT_AGGREGATE_SHARDS;
}

/**
 * Source items kept in a shard their key does not hash to (`shardOf`, the placement rule the
 * consumers write by): left there by a change of `aggregateShards` or a hand edit, such an item's
 * position is not where its next event looks, so it could be counted twice.
 */
function misplaced(
  aggregate: string,
  raw: readonly Record<string, unknown>[],
  field: string,
  shards: number,
): Difference[] {
  const differences: Difference[] = [];
  for (const item of raw) {
    const members = item[field];
    if (typeof item.sk !== "string" || members === null || typeof members !== "object") continue;
    for (const id of Object.keys(members).sort()) {
      const expected = shardSortKey(shardOf(id, shards));
      if (item.sk !== expected)
        differences.push({ aggregate, key: id, field: "shard", expected, actual: item.sk });
    }
  }
  return differences;
}

/** parking-totals against a scan of parking-data. */
export async function auditParkingTotals(
  client: DynamoDBClient,
  tables: AuditTableNames,
  p: PipelineDeclaration = pipeline,
): Promise<AuditReport> {
  const parks = await readSource(client, tables, "parkingData", CarParkSchema);
  const expected = expectedParkingTotals(parks.items, CAR_PARK_STATUS_THRESHOLDS);
  const shards = await readAggregates(
    client,
    tables,
    AggregateKeys.parkingTotalsPartition,
    ParkingTotalsSchema,
  );
  const findings = [...parks.findings, ...shards.findings];
  if (shards.items.length === 0 && parks.items.length === 0) return { differences: [], findings };
  // The totals are spread over shard items (each car park in one): summed here with integers of
  // any size, so a total past 2^53 is compared exactly.
  const sumOf = (field: "totalCapacity" | "totalOccupied" | "totalAvailable" | "carParkCount") =>
    wholeOut(shards.items.reduce((sum, shard) => sum + BigInt(shard[field]), 0n));
  const totals =
    shards.items.length === 0
      ? undefined
      : {
          totalCapacity: sumOf("totalCapacity"),
          totalOccupied: sumOf("totalOccupied"),
          totalAvailable: sumOf("totalAvailable"),
          carParkCount: sumOf("carParkCount"),
          carParks: Object.assign({}, ...shards.items.map((shard) => shard.carParks)) as Record<
            string,
            unknown
          >,
        };
  const differences = compareFields("parking-totals", "summary", expected, totals, [
    "totalCapacity",
    "totalOccupied",
    "totalAvailable",
    "carParkCount",
  ]);
  differences.push(
    ...misplaced("parking-totals", shards.raw, "carParks", declaredShards(p, "parking-totals")),
  );
  const ids = new Set([...Object.keys(expected.carParks), ...Object.keys(totals?.carParks ?? {})]);
  for (const id of [...ids].sort()) {
    differences.push(
      ...compareFields("parking-totals", id, expected.carParks, totals?.carParks, [id]).map((d) => ({
        ...d,
        field: "carParks",
      })),
    );
  }
  return { differences, findings };
}

/** Sums the shards of a sharded aggregate's counts. */
function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(counts)) into[key] = (into[key] ?? 0) + count;
}

/**
 * A store-stats total kept in shards of the aggregates table (pets, carts): how to recompute it
 * from its source table, and how to add its shards up to compare. `members` is both the item key
 * of its differences and the shard field that holds each source item's position.
 */
interface ShardedTotal<S, A> {
  readonly aggregate: string;
  readonly members: string;
  readonly table: AuditedTable;
  readonly schema: z.ZodType<S>;
  readonly partition: string;
  readonly shardSchema: z.ZodType<A>;
  readonly expected: (items: S[]) => Readonly<Record<string, unknown>>;
  /** Whether a total with no shard yet is right: nothing in the source that it should count. */
  readonly nothingToCount: (items: S[], expected: Readonly<Record<string, unknown>>) => boolean;
  readonly stored: (shards: A[]) => Readonly<Record<string, unknown>>;
  readonly fields: readonly string[];
}

const PET_STATS: ShardedTotal<z.output<typeof PetSchema>, z.output<typeof PetStatsSchema>> = {
  aggregate: "store-stats/pets",
  members: "pets",
  table: "pets",
  schema: PetSchema,
  partition: AggregateKeys.petsPartition,
  shardSchema: PetStatsSchema,
  expected: expectedPetStats,
  nothingToCount: (pets) => pets.length === 0,
  stored: (shards) => {
    const byType: Record<string, number> = {};
    for (const shard of shards) addCounts(byType, shard.byType);
    return {
      petCount: shards.reduce((sum, s) => sum + s.petCount, 0),
      byType,
      pets: Object.assign({}, ...shards.map((s) => s.pets)),
    };
  },
  fields: ["petCount", "byType", "pets"],
};

const CART_STATS: ShardedTotal<z.output<typeof CartImageSchema>, z.output<typeof CartStatsSchema>> = {
  aggregate: "store-stats/carts",
  members: "carts",
  table: "carts",
  schema: CartImageSchema,
  partition: AggregateKeys.cartsPartition,
  shardSchema: CartStatsSchema,
  expected: expectedCartStats,
  nothingToCount: (_carts, expected) => expected.openCarts === 0,
  stored: (shards) => ({
    openCarts: shards.reduce((sum, s) => sum + s.openCarts, 0),
    totalItems: shards.reduce((sum, s) => sum + s.totalItems, 0),
    totalValue: sumTexts(shards.map((s) => s.totalValue)),
    carts: Object.assign({}, ...shards.map((s) => s.carts)),
  }),
  fields: ["openCarts", "totalItems", "totalValue", "carts"],
};

/** One sharded store-stats total against a scan of its source table. */
async function auditShardedTotal<S, A>(
  client: DynamoDBClient,
  tables: AuditTableNames,
  p: PipelineDeclaration,
  total: ShardedTotal<S, A>,
): Promise<AuditReport> {
  const source = await readSource(client, tables, total.table, total.schema);
  const shards = await readAggregates(client, tables, total.partition, total.shardSchema);
  const findings = [...source.findings, ...shards.findings];
  const expected = total.expected(source.items);
  if (shards.items.length === 0 && total.nothingToCount(source.items, expected)) {
    return { differences: [], findings };
  }
  const { aggregate, members } = total;
  return {
    differences: [
      ...compareFields(aggregate, members, expected, total.stored(shards.items), total.fields),
      ...misplaced(aggregate, shards.raw, members, declaredShards(p, "store-stats")),
    ],
    findings,
  };
}

async function auditStoredEvents(client: DynamoDBClient, tables: AuditTableNames): Promise<AuditReport> {
  const events = await readSource(client, tables, "storedEvents", StoredEventSchema);
  const perUser = await readAggregates(
    client,
    tables,
    AggregateKeys.storedEventsPartition,
    StoredEventStatsSchema,
  );
  const byUser = new Map<string, Record<string, StoredEventStatus>>();
  for (const event of events.items) {
    const statuses = byUser.get(event.user_id) ?? {};
    statuses[event["timestamp#event_id"]] = event.status;
    byUser.set(event.user_id, statuses);
  }
  const stored = new Map(perUser.items.map((s) => [s.userId, s] as const));
  const differences: Difference[] = [];
  for (const userId of [...new Set([...byUser.keys(), ...stored.keys()])].sort()) {
    const expected = expectedStoredEventStats(userId, byUser.get(userId) ?? {});
    differences.push(
      ...compareFields("store-stats/stored-events", userId, expected, stored.get(userId), [
        "eventCount",
        "byStatus",
        "events",
      ]),
    );
  }
  return { differences, findings: [...events.findings, ...perUser.findings] };
}

function groupByUser<T extends { userId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.userId, [...(out.get(item.userId) ?? []), item]);
  return out;
}

const STATS_FIELDS = [
  "totalKgCO2e",
  "entryCount",
  "byCategory",
  "byDay",
  "byMonth",
  "currentStreakDays",
  "longestStreakDays",
  "lastEntryDate",
  "goals",
] as const;

/** A profile as the audit reads it: the profile's fields, and its statistics read on their own. */
const ProfileSchema = UserSchema.omit({ stats: true }).extend({ stats: z.unknown() });
// The summary item of the carbon-stats consumer holds stand-in statistics only for a user without a profile.
const StandInSchema = z.object({ sk: z.string(), stats: z.unknown().optional() }).passthrough();

/**
 * carbon-stats and achievements against scans of entries, goals, profiles and achievements.
 * Statistics are expected on the profile item, or in the aggregates table for a user without one;
 * every achievement the recomputed statistics earn is expected to be unlocked.
 */
export async function auditCarbon(client: DynamoDBClient, tables: AuditTableNames): Promise<AuditReport> {
  const entries = await readSource(client, tables, "carbonEntries", CarbonEntrySchema);
  const goals = await readSource(client, tables, "carbonGoals", GoalSchema);
  const profiles = await readSource(client, tables, "carbonUsers", ProfileSchema);
  const standIns = await readAggregates(client, tables, AggregateKeys.carbonStatsPartition, StandInSchema);
  const achievements = await readSource(
    client,
    tables,
    "carbonAchievements",
    z.object({ userId: z.string(), achievementId: z.string() }).passthrough(),
  );
  const findings = [
    ...entries.findings,
    ...goals.findings,
    ...profiles.findings,
    ...standIns.findings,
    ...achievements.findings,
  ];
  const entriesByUser = groupByUser(entries.items);
  const goalsByUser = groupByUser(goals.items);
  const profileByUser = new Map(profiles.items.map((p) => [p.userId, p] as const));
  const standInByUser = new Map(standIns.items.map((s) => [s.sk, s] as const));
  const unlocked = new Map<string, Set<string>>();
  for (const a of achievements.items)
    unlocked.set(a.userId, (unlocked.get(a.userId) ?? new Set()).add(a.achievementId));

  const differences: Difference[] = [];
  const users = new Set([
    ...entriesByUser.keys(),
    ...goalsByUser.keys(),
    ...profileByUser.keys(),
    ...standInByUser.keys(),
  ]);
  for (const userId of [...users].sort()) {
    const expected = expectedCarbonStats(entriesByUser.get(userId) ?? [], goalsByUser.get(userId) ?? []);
    const profile = profileByUser.get(userId);
    const raw = profile !== undefined ? profile.stats : standInByUser.get(userId)?.stats;
    const parsed = raw === undefined ? undefined : UserStatsSchema.safeParse(raw);
    if (parsed !== undefined && !parsed.success) {
      findings.push({
        table: profile !== undefined ? tables.carbonUsers : tables.aggregates,
        key: profile !== undefined ? { userId } : AggregateKeys.carbonStats(userId),
        reason: `stats do not fit their schema: ${z.prettifyError(parsed.error).replaceAll("\n", " ")}; the carbon-stats consumer rewrites them on the user's next change`,
      });
    }
    const stored = parsed?.success === true ? parsed.data : undefined;
    const nothingToKeep = expected.entryCount === 0 && expected.goals.length === 0;
    if (!(raw === undefined && nothingToKeep)) {
      differences.push(
        ...compareFields("carbon-stats", userId, expected, stored, STATS_FIELDS).map((d) => ({
          ...d,
          field: `stats.${d.field}`,
        })),
      );
    }
    for (const achievementId of expectedAchievements(expected)) {
      if (!unlocked.get(userId)?.has(achievementId)) {
        differences.push({
          aggregate: "achievements",
          key: userId,
          field: achievementId,
          expected: "unlocked",
          actual: "missing",
        });
      }
    }
  }
  return { differences, findings };
}

/**
 * Every aggregate against its recomputation, and every item that could not be read. `p` is the
 * declaration the consumers ran with (its shard counts say where each source item belongs).
 */
export async function audit(
  client: DynamoDBClient,
  tables: AuditTableNames,
  p: PipelineDeclaration = pipeline,
): Promise<AuditReport> {
  return merge(
    EMPTY,
    await auditParkingTotals(client, tables, p),
    await auditCarbon(client, tables),
    // store-stats: pets, carts, each user's stored events.
    await auditShardedTotal(client, tables, p, PET_STATS),
    await auditShardedTotal(client, tables, p, CART_STATS),
    await auditStoredEvents(client, tables),
  );
}

/** Every difference and finding of {@link audit} in one list; empty when all agree. */
export async function auditAll(
  client: DynamoDBClient,
  tables: AuditTableNames,
  p: PipelineDeclaration = pipeline,
): Promise<(Difference | Finding)[]> {
  const report = await audit(client, tables, p);
  return [...report.differences, ...report.findings];
}

/** One line per difference, for people. */
export function formatDifference(d: Difference): string {
  return `${d.aggregate} ${d.key} ${d.field}: expected ${JSON.stringify(d.expected) ?? "nothing"}, found ${JSON.stringify(d.actual) ?? "nothing"}`;
}

/** One line per finding, for people. */
export function formatFinding(f: Finding): string {
  return `unreadable item in ${f.table} ${JSON.stringify(f.key)}: ${f.reason}`;
}

/** The report as JSON: differences and findings, ready for other tools (`--json`). */
export function reportJson(report: AuditReport): string {
  return JSON.stringify(
    { ok: report.differences.length === 0 && report.findings.length === 0, ...report },
    (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
    2,
  );
}
