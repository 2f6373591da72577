import * as z from "zod";

/**
 * The AWS payload limits as data: what a declaration may set (`LimitsSchema`, every limit
 * optional) and what a function is told once they are resolved (`ResolvedLimitsSchema`). The
 * values and their meaning live in `functions/commons/limits.ts`.
 */

const EXAMPLE = 1_048_576;

const bytes = (what: string) =>
  z
    .number({ error: `${what} must be a number of bytes, e.g. ${EXAMPLE}` })
    .int({ error: `${what} must be a whole number of bytes, e.g. ${EXAMPLE}` })
    .positive({ error: `${what} must be at least 1 byte, e.g. ${EXAMPLE}` });

/** Every limit, each a positive whole number of bytes. */
export const ResolvedLimitsSchema = z
  .object({
    putEventsEntryBytes: bytes("limits.putEventsEntryBytes"),
    putEventsRequestBytes: bytes("limits.putEventsRequestBytes"),
    asyncInvokePayloadBytes: bytes("limits.asyncInvokePayloadBytes"),
    sqsMessageBytes: bytes("limits.sqsMessageBytes"),
    billingChunkBytes: bytes("limits.billingChunkBytes"),
  })
  .strict();

/** What a declaration may set: any of the limits. */
export const LimitsSchema = ResolvedLimitsSchema.partial().strict();
