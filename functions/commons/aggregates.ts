import { createHash } from "node:crypto";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod";
import { AggregateDecimalSchema, IsoTimestampSchema, NonNegativeIntegerSchema } from "#schemas/common.ts";
import { CarParkSchema } from "#schemas/parking.ts";
import { type StoredEventStatus, StoredEventStatusSchema } from "#schemas/stored-events.ts";
import { unmarshallExact } from "./attribute-values.ts";
import { addDecimals } from "./decimal.ts";
import { queryPartition } from "./pages.ts";
import { PositionStateSchema } from "./positions.ts";

/**
 * The items consumers keep in the aggregates table (`pk`/`sk`), their keys and schemas, and
 * readers for whoever shows them (the API, the dashboard, the audit).
 *
 * Every aggregate item also carries `positions`: the last applied stream sequence number per
 * source item (removed items keep theirs as a tombstone for a while, see `positions.ts`), which is
 * what lets a consumer recognise a duplicate or a stale event by reading, without writing an
 * idempotency record.
 */

/**
 * Shard of a source item's key among `shards`: the first 32 bits of its SHA-256, modulo `shards`.
 * Stable (the same key always lands on the same shard, in every process and release), so each
 * source item's contribution, position and tombstone live in exactly one shard item.
 */
export function shardOf(sourceKey: string, shards: number): number {
  if (!(Number.isInteger(shards) && shards >= 1)) {
    throw new RangeError(
      `shards must be a whole number of at least 1 (given ${shards}); it comes from the consumer's aggregateShards in infra/pipeline.ts`,
    );
  }
  return createHash("sha256").update(sourceKey).digest().readUInt32BE(0) % shards;
}

/** Sort key of shard `n` of a sharded aggregate. */
export function shardSortKey(n: number): string {
  return `shard-${n}`;
}

/**
 * Keys of the aggregate items, by consumer. The hot aggregates (car park totals, pets, carts) are
 * spread over `shards` items of one partition (the consumer's `aggregateShards`); their readers
 * Query the partition and sum whatever shards it holds, so they need not know the count.
 */
export const AggregateKeys = {
  /** The shard of the car park totals that holds car park `carParkId` (totals: {@link readParkingTotals}). */
  parkingTotals: (carParkId: string, shards: number) => ({
    pk: "parking-totals",
    sk: shardSortKey(shardOf(carParkId, shards)),
  }),
  parkingTotalsPartition: "parking-totals",
  /** The shard of the pet counts that holds pet `id` (see {@link readPetStats} for the totals). */
  pets: (id: string, shards: number) => ({ pk: "store-stats#pets", sk: shardSortKey(shardOf(id, shards)) }),
  petsPartition: "store-stats#pets",
  /** The shard of the open-cart totals that holds `userId`'s cart (see {@link readCartStats}). */
  carts: (userId: string, shards: number) => ({
    pk: "store-stats#carts",
    sk: shardSortKey(shardOf(userId, shards)),
  }),
  cartsPartition: "store-stats#carts",
  /** One item per user: stored events of that user by status. */
  storedEvents: (userId: string) => ({ pk: "store-stats#stored-events", sk: userId }),
  storedEventsPartition: "store-stats#stored-events",
  /** Statistics of a CarbonTrack user who has no profile item yet. */
  carbonStats: (userId: string) => ({ pk: "carbon-stats", sk: userId }),
  carbonStatsPartition: "carbon-stats",
} as const;

/** One car park as parking-totals keeps it: the latest reading, status from the declared thresholds. */
export const CarParkStateSchema = CarParkSchema;
export type CarParkState = z.infer<typeof CarParkStateSchema>;

/** parking-totals: every car park's latest state and the totals across them. */
export const ParkingTotalsSchema = PositionStateSchema.extend({
  carParks: z.record(z.string(), CarParkStateSchema),
  totalCapacity: NonNegativeIntegerSchema,
  totalOccupied: NonNegativeIntegerSchema,
  totalAvailable: NonNegativeIntegerSchema,
  carParkCount: NonNegativeIntegerSchema,
  updatedAt: IsoTimestampSchema.optional(),
});
export type ParkingTotals = z.infer<typeof ParkingTotalsSchema>;

/** store-stats pets: how many pets of each type are listed. */
export const PetStatsSchema = PositionStateSchema.extend({
  petCount: NonNegativeIntegerSchema,
  byType: z.record(z.string(), NonNegativeIntegerSchema),
  /** Type of each listed pet by id, so an update or removal moves the right count. */
  pets: z.record(z.string(), z.string()),
});
export type PetStats = z.infer<typeof PetStatsSchema>;

/** store-stats carts: open (non-empty) carts, their items and value. */
export const CartStatsSchema = PositionStateSchema.extend({
  openCarts: NonNegativeIntegerSchema,
  totalItems: NonNegativeIntegerSchema,
  /** Exact, of any length (kept as a string attribute): the sum of 38-digit prices may need more. */
  totalValue: AggregateDecimalSchema,
  /** Each open cart's item count and value by userId. */
  carts: z.record(z.string(), z.object({ items: NonNegativeIntegerSchema, value: AggregateDecimalSchema })),
});
export type CartStats = z.infer<typeof CartStatsSchema>;

/** store-stats stored events of one user: counts by status. */
export const StoredEventStatsSchema = PositionStateSchema.extend({
  userId: z.string(),
  eventCount: NonNegativeIntegerSchema,
  byStatus: z.partialRecord(StoredEventStatusSchema, NonNegativeIntegerSchema),
  /** Status of each live stored event by its sort key. */
  events: z.record(z.string(), StoredEventStatusSchema),
});
export type StoredEventStats = z.infer<typeof StoredEventStatsSchema>;

/** Reads and validates one aggregate item; `undefined` while no event has created it. */
export async function readAggregate<T>(
  client: DynamoDBClient,
  tableName: string,
  key: { pk: string; sk: string },
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
  );
  return out.Item === undefined ? undefined : schema.parse(unmarshallExact(out.Item));
}

/** Every item of one aggregate partition (all users' stored-event stats, say). */
export async function queryAggregates(
  client: DynamoDBClient,
  tableName: string,
  pk: string,
): Promise<Record<string, unknown>[]> {
  const items = await queryPartition(client, tableName, "pk", pk);
  return items.map((item) => unmarshallExact(item));
}

/**
 * Adds whole counts exactly: each is a safe integer, and so must the sum be (a sum past 2^53
 * would be rounded as a JavaScript number, so it is refused instead).
 */
export function sumCounts(counts: readonly number[]): number {
  const total = counts.reduce((sum, n) => sum + BigInt(n), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`a total of ${total} is beyond exact whole numbers (2^53 − 1); split the aggregate`);
  }
  return Number(total);
}

/** Shard items of a sharded aggregate partition (items whose sort key is `shard-<n>`), validated. */
async function readShards<T>(
  client: DynamoDBClient,
  tableName: string,
  pk: string,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const items = await queryAggregates(client, tableName, pk);
  return items.filter((item) => /^shard-\d+$/.test(String(item.sk))).map((item) => schema.parse(item));
}

/** Merges the per-key maps of shards: each source item lives in exactly one shard. */
function mergeShards<T>(maps: readonly Readonly<Record<string, T>>[]): Record<string, T> {
  return Object.assign({}, ...maps);
}

/**
 * The car park totals across all shards: every car park with its latest state, and the totals
 * summed exactly over the shards. `undefined` while no car park event has been applied.
 */
export async function readParkingTotals(
  client: DynamoDBClient,
  tableName: string,
): Promise<ParkingTotals | undefined> {
  const shards = await readShards(
    client,
    tableName,
    AggregateKeys.parkingTotalsPartition,
    ParkingTotalsSchema,
  );
  if (shards.length === 0) return undefined;
  const updated = shards.map((shard) => shard.updatedAt).filter((at) => at !== undefined);
  return {
    carParks: mergeShards(shards.map((shard) => shard.carParks)),
    totalCapacity: sumCounts(shards.map((shard) => shard.totalCapacity)),
    totalOccupied: sumCounts(shards.map((shard) => shard.totalOccupied)),
    totalAvailable: sumCounts(shards.map((shard) => shard.totalAvailable)),
    carParkCount: sumCounts(shards.map((shard) => shard.carParkCount)),
    positions: mergeShards(shards.map((shard) => shard.positions)),
    ...(updated.length === 0 ? {} : { updatedAt: updated.sort().at(-1) }),
  };
}

/** Pet counts across all shards. */
export async function readPetStats(client: DynamoDBClient, tableName: string): Promise<PetStats> {
  const shards = await readShards(client, tableName, AggregateKeys.petsPartition, PetStatsSchema);
  const types = new Set(shards.flatMap((shard) => Object.keys(shard.byType)));
  const byType = Object.fromEntries(
    [...types].map((type) => [type, sumCounts(shards.map((shard) => shard.byType[type] ?? 0))]),
  );
  return {
    petCount: sumCounts(shards.map((shard) => shard.petCount)),
    byType,
    pets: mergeShards(shards.map((shard) => shard.pets)),
    positions: mergeShards(shards.map((shard) => shard.positions)),
  };
}

/** Open-cart totals across all shards (the value summed as exact decimals). */
export async function readCartStats(client: DynamoDBClient, tableName: string): Promise<CartStats> {
  const shards = await readShards(client, tableName, AggregateKeys.cartsPartition, CartStatsSchema);
  return {
    openCarts: sumCounts(shards.map((shard) => shard.openCarts)),
    totalItems: sumCounts(shards.map((shard) => shard.totalItems)),
    totalValue: addDecimals(...shards.map((shard) => shard.totalValue)),
    carts: mergeShards(shards.map((shard) => shard.carts)),
    positions: mergeShards(shards.map((shard) => shard.positions)),
  };
}

/** Stored-event counts by status across every user (one Query over the per-user items). */
export async function readStoredEventTotals(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ eventCount: number; byStatus: Partial<Record<StoredEventStatus, number>>; users: number }> {
  const perUser = (await queryAggregates(client, tableName, AggregateKeys.storedEventsPartition)).map(
    (item) => StoredEventStatsSchema.parse(item),
  );
  const byStatus: Partial<Record<StoredEventStatus, number>> = {};
  for (const user of perUser) {
    for (const [status, count] of Object.entries(user.byStatus) as [StoredEventStatus, number][]) {
      byStatus[status] = (byStatus[status] ?? 0) + count;
    }
  }
  return {
    eventCount: perUser.reduce((sum, user) => sum + user.eventCount, 0),
    byStatus,
    users: perUser.filter((user) => user.eventCount > 0).length,
  };
}
