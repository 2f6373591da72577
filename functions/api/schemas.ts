import { z } from "zod";
import { compareDecimals } from "#commons/decimal.ts";
import { IsoDateSchema, IsoTimestampSchema, NonNegativeDecimalSchema } from "#schemas/common.ts";

/** What every response that touches a table says it was stored in (seed 000's indicator). */
export const STORAGE = "Amazon DynamoDB";

/**
 * An id that travels in a URL path: letters, digits and `_ . : @ -`, starting with a letter or
 * digit. Narrower than the tables' `KeyStringSchema` so no id needs escaping, and no unicode
 * look-alike or injection string becomes a key.
 */
export const PathIdSchema = z
  .string()
  .min(1, "an id of at least 1 character")
  .max(128, "an id of at most 128 characters")
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/,
    "an id of letters, digits and _ . : @ - (starting with a letter or digit, at most 128 characters)",
  );

/** An instant, stored in one form (UTC, milliseconds, `Z`) so string order is time order. */
export const InstantSchema = IsoTimestampSchema.transform((text) => new Date(text).toISOString());

/** A range bound: a calendar day (the whole day) or an instant. */
function boundSchema(edge: "start" | "end") {
  return z
    .union([IsoDateSchema, IsoTimestampSchema], {
      error: 'expected a date such as "2025-11-30" or an instant such as "2025-11-30T16:05:12Z"',
    })
    .transform((text) =>
      text.length === 10
        ? `${text}T${edge === "start" ? "00:00:00.000" : "23:59:59.999"}Z`
        : new Date(text).toISOString(),
    );
}
/** `from` query parameter: a day (from its start) or an instant, as a UTC instant string. */
export const FromBoundSchema = boundSchema("start");
/** `to` query parameter: a day (to its last millisecond) or an instant, as a UTC instant string. */
export const ToBoundSchema = boundSchema("end");

/** `limit` query parameter: 1–100, default 20. */
export const LimitSchema = z
  .string()
  .regex(/^\d{1,4}$/, "a whole number from 1 to 100")
  .transform(Number)
  .pipe(z.number().int().min(1, "a whole number from 1 to 100").max(100, "a whole number from 1 to 100"))
  .default(20);

/** Number of digits after the point of a canonical decimal. */
function fractionDigits(value: string): number {
  const point = value.indexOf(".");
  return point === -1 ? 0 : value.length - point - 1;
}

/** A bounded exact decimal: at most `digits` fraction digits and at most `max`. */
export function boundedDecimal(digits: number, max: string) {
  return NonNegativeDecimalSchema.pipe(
    z
      .string()
      .refine((v) => fractionDigits(v) <= digits, `at most ${digits} digits after the decimal point`)
      .refine((v) => compareDecimals(v, max) <= 0, `at most ${max}`),
  );
}

/** A price in the API: 0 to 1,000,000 with at most 2 decimals (exact as a JSON number or a string). */
export const PriceSchema = boundedDecimal(2, "1000000");
