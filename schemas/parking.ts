import * as z from "zod";
import {
  IsoTimestampSchema,
  KeyStringSchema,
  NonNegativeDecimalSchema,
  NonNegativeIntegerSchema,
} from "./common.ts";

/** Traffic-light colour of a car park's occupancy (thresholds: {@link CAR_PARK_STATUS_THRESHOLDS}). */
export const CarParkStatusSchema = z.enum(["green", "amber", "red"]);
export type CarParkStatus = z.infer<typeof CarParkStatusSchema>;

/**
 * Seed 000's colour rule: amber from 70 % full, red from 90 %. A domain rule both the API and the
 * parking-totals consumer apply, so it is written here once rather than configured.
 */
export const CAR_PARK_STATUS_THRESHOLDS = {
  /** percentFull at or above which a car park is amber. */
  amberAtPercent: 70,
  /** percentFull at or above which a car park is red. */
  redAtPercent: 90,
} as const;

/** One car park as stored in the parking-data table (seed 000), keyed by `carParkId`. */
export const CarParkSchema = z
  .object({
    carParkId: KeyStringSchema,
    name: z.string().min(1).max(200),
    capacity: NonNegativeIntegerSchema,
    occupied: NonNegativeIntegerSchema,
    available: NonNegativeIntegerSchema,
    percentFull: NonNegativeDecimalSchema,
    status: CarParkStatusSchema,
    hourlyRate: NonNegativeDecimalSchema,
    lastUpdated: IsoTimestampSchema,
  })
  .refine((park) => park.occupied <= park.capacity, {
    message: "a count no greater than capacity (occupied must not exceed capacity)",
    path: ["occupied"],
  });
export type CarPark = z.infer<typeof CarParkSchema>;

export const CarParkKeySchema = z.object({ carParkId: KeyStringSchema });
