import { createHash } from "node:crypto";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { z } from "zod";
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
 * How many items the pet and cart aggregates are spread over. Sharding by a hash of the source
 * key keeps each item well under 400 KB and spreads concurrent writers over several keys;
 * readers sum the shards with one Query.
 */
export const STORE_STATS_SHARDS = 16;

/** Shard of a source key: the first 32 bits of its SHA-256, modulo {@link STORE_STATS_SHARDS}. */
export function shardOf(id: string, shards: number = STORE_STATS_SHARDS): number {
  return createHash("sha256").update(id).digest().readUInt32BE(0) % shards;
}

/** Keys of the aggregate items, by consumer. */
export const AggregateKeys = {
  parkingTotals: { pk: "parking-totals", sk: "summary" },
  /** The shard of the pet counts that holds pet `id` (see {@link readPetStats} for the totals). */
  pets: (id: string) => ({ pk: "store-stats#pets", sk: `shard-${shardOf(id)}` }),
  petsPartition: "store-stats#pets",
  /** The shard of the open-cart totals that holds `userId`'s cart (see {@link readCartStats}). */
  carts: (userId: string) => ({ pk: "store-stats#carts", sk: `shard-${shardOf(userId)}` }),
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

/** Pet counts across all shards. */
export async function readPetStats(client: DynamoDBClient, tableName: string): Promise<PetStats> {
  const shards = (await queryAggregates(client, tableName, AggregateKeys.petsPartition)).map((item) =>
    PetStatsSchema.parse(item),
  );
  const byType: Record<string, number> = {};
  for (const shard of shards) {
    for (const [type, count] of Object.entries(shard.byType)) byType[type] = (byType[type] ?? 0) + count;
  }
  return {
    petCount: shards.reduce((sum, shard) => sum + shard.petCount, 0),
    byType,
    pets: Object.assign({}, ...shards.map((shard) => shard.pets)),
    positions: Object.assign({}, ...shards.map((shard) => shard.positions)),
  };
}

/** Open-cart totals across all shards. */
export async function readCartStats(client: DynamoDBClient, tableName: string): Promise<CartStats> {
  const shards = (await queryAggregates(client, tableName, AggregateKeys.cartsPartition)).map((item) =>
    CartStatsSchema.parse(item),
  );
  return {
    openCarts: shards.reduce((sum, shard) => sum + shard.openCarts, 0),
    totalItems: shards.reduce((sum, shard) => sum + shard.totalItems, 0),
    totalValue: addDecimals(...shards.map((shard) => shard.totalValue)),
    carts: Object.assign({}, ...shards.map((shard) => shard.carts)),
    positions: Object.assign({}, ...shards.map((shard) => shard.positions)),
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
