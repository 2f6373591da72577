import * as z from "zod";
import { readCartStats, readPetStats, readStoredEventTotals } from "#commons/aggregates.ts";
import { StoredEventStatusSchema } from "#schemas/stored-events.ts";
import { exact } from "../json.ts";
import { defineRoute } from "../route.ts";

const TAG = "Store statistics";

const StoreStatsSchema = z.object({
  pets: z.object({
    petCount: z.number().int(),
    byType: z.record(z.string(), z.number().int()),
  }),
  carts: z.object({
    openCarts: z.number().int(),
    totalItems: z.number().int(),
    totalValue: z.number().meta({ description: "Exact decimal of any length, written digit for digit" }),
  }),
  storedEvents: z.object({
    eventCount: z.number().int(),
    byStatus: z.partialRecord(StoredEventStatusSchema, z.number().int()),
    users: z.number().int().meta({ description: "Users with at least one stored event" }),
  }),
});

/** The store statistics the store-stats consumer keeps (seed 003/004): pets by type, open carts, stored events. */
export const storeStatsRoutes = [
  defineRoute({
    method: "GET",
    path: "/store/stats",
    operationId: "getStoreStats",
    tag: TAG,
    summary: "Store statistics: pets by type, open carts and their value, stored events by status",
    description:
      "Kept by the store-stats consumer from the tables' streams; a change shows once it has gone through the pipeline. Zero everywhere before the first event.",
    responses: { 200: { description: "The statistics", schema: StoreStatsSchema } },
    async handle({ deps }) {
      const table = deps.tables.aggregates;
      const [pets, carts, storedEvents] = await Promise.all([
        readPetStats(deps.client, table),
        readCartStats(deps.client, table),
        readStoredEventTotals(deps.client, table),
      ]);
      return {
        status: 200,
        body: {
          pets: { petCount: pets.petCount, byType: pets.byType },
          carts: {
            openCarts: carts.openCarts,
            totalItems: carts.totalItems,
            totalValue: exact(carts.totalValue),
          },
          storedEvents,
        },
      };
    },
  }),
];
