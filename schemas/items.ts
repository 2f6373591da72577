import type * as z from "zod";
import { AchievementSchema, CarbonEntrySchema, GoalSchema, UserSchema } from "./carbon.ts";
import { CartImageSchema } from "./cart.ts";
import { CarParkSchema } from "./parking.ts";
import { PetSchema } from "./pets.ts";
import { StoredEventSchema } from "./stored-events.ts";

/**
 * The item schemas of the stream sources, by name. The declaration names a source's schema by its
 * key here, and the fan-out's configuration carries that name: the deployed fan-out looks its
 * schemas up here instead of importing the declaration.
 */
export const ItemSchemas = {
  CarPark: CarParkSchema,
  User: UserSchema,
  CarbonEntry: CarbonEntrySchema,
  Goal: GoalSchema,
  Achievement: AchievementSchema,
  Pet: PetSchema,
  StoredEvent: StoredEventSchema,
  CartImage: CartImageSchema,
} as const satisfies Record<string, z.ZodType>;

/** Name of an item schema in {@link ItemSchemas}. */
export type ItemSchemaName = keyof typeof ItemSchemas;

/** `true` when `name` is a key of {@link ItemSchemas}. */
export function isItemSchemaName(name: unknown): name is ItemSchemaName {
  return typeof name === "string" && Object.hasOwn(ItemSchemas, name);
}
