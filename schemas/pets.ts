import * as z from "zod";
import { IntegerSchema, NonNegativeDecimalSchema } from "./common.ts";

/** PetStore: one pet, keyed by numeric `id` (seed 002). Prices are exact decimals. */
export const PetSchema = z.object({
  id: IntegerSchema.pipe(z.number().positive()),
  name: z.string().min(1).max(100),
  type: z.string().min(1).max(50),
  price: NonNegativeDecimalSchema,
});
export type Pet = z.infer<typeof PetSchema>;
export const PetKeySchema = PetSchema.pick({ id: true });
