import * as z from "zod";
import {
  EpochSecondsSchema,
  IsoTimestampSchema,
  KeyStringSchema,
  NonNegativeIntegerSchema,
} from "./common.ts";

/** Lifecycle of a stored event (seed 003). */
export const StoredEventStatusSchema = z.enum(["pending", "processing", "delivered", "failed"]);
export type StoredEventStatus = z.infer<typeof StoredEventStatusSchema>;

/** Status transitions a PATCH may make; anything else is refused. */
export const STORED_EVENT_TRANSITIONS: Readonly<Record<StoredEventStatus, readonly StoredEventStatus[]>> = {
  pending: ["processing", "failed"],
  processing: ["delivered", "failed", "pending"],
  failed: ["pending"],
  delivered: [],
};

/** Stored events expire 30 days after creation. */
export const STORED_EVENT_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * events table: keyed by `user_id` + `timestamp#event_id`, with EventTypeIndex
 * (`user_id` + `event_type#timestamp`) and StatusIndex (`user_id` + `status#timestamp`).
 */
export const StoredEventSchema = z.object({
  user_id: KeyStringSchema,
  "timestamp#event_id": z.string().min(1),
  event_id: KeyStringSchema,
  event_type: z.string().min(1).max(100),
  status: StoredEventStatusSchema,
  timestamp: IsoTimestampSchema,
  "event_type#timestamp": z.string().min(1),
  "status#timestamp": z.string().min(1),
  payload: z.record(z.string(), z.unknown()).optional(),
  retry_count: NonNegativeIntegerSchema,
  created_at: IsoTimestampSchema,
  updated_at: IsoTimestampSchema,
  ttl: EpochSecondsSchema,
});
export type StoredEvent = z.infer<typeof StoredEventSchema>;
export const StoredEventKeySchema = StoredEventSchema.pick({ user_id: true, "timestamp#event_id": true });
