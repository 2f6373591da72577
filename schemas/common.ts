import { z } from "zod";
import { canonicalDecimal, normalizeDecimal } from "#commons/decimal.ts";

export { canonicalDecimal };

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/**
 * An exact decimal, carried as its canonical string ("249.99", "0.5", "-3").
 *
 * DynamoDB stores numbers as decimal strings of up to 38 digits; ripple keeps them that way end to
 * end so no binary float ever rounds a price or a total. Accepts a string, or a JSON number whose
 * shortest representation is the decimal the producer wrote; exponents are refused.
 */
export const DecimalSchema = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const text = typeof value === "number" ? String(value) : value.trim();
    if (!DECIMAL.test(text)) {
      ctx.addIssue({
        code: "custom",
        message: `expected a decimal number such as "12.50", without exponent or separators`,
      });
      return z.NEVER;
    }
    return canonicalDecimal(text);
  })
  .pipe(z.string().regex(DECIMAL));

/**
 * A number as a DynamoDB item may hold it — written around the API, `1E-7` or `+2.50` — carried
 * as the exact canonical decimal ("0.0000001", "2.5"); more than 38 significant digits, which
 * DynamoDB refuses too, is refused. Item and event schemas use it; the API's request bodies keep
 * the stricter {@link DecimalSchema}.
 */
export const StoredDecimalSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const plain = normalizeDecimal(typeof value === "number" ? String(value) : value);
  if (plain === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a number DynamoDB stores, such as "12.50" or "1E-7", of at most 38 significant digits (given ${JSON.stringify(value)})`,
    });
    return z.NEVER;
  }
  return plain;
});

/** A non-negative {@link StoredDecimalSchema}. */
export const NonNegativeStoredDecimalSchema = StoredDecimalSchema.pipe(
  z.string().refine((value) => !value.startsWith("-"), { message: "expected a decimal of 0 or more" }),
);

/** A non-negative {@link DecimalSchema}. */
export const NonNegativeDecimalSchema = DecimalSchema.pipe(
  z.string().refine((value) => !value.startsWith("-"), { message: "expected a decimal of 0 or more" }),
);

/**
 * A whole number. DynamoDB delivers numbers as strings in stream records; this accepts either
 * and yields a safe integer.
 */
export const IntegerSchema = z
  .union([z.number(), z.string().regex(/^-?\d+$/, "expected a whole number")])
  .transform((value) => Number(value))
  .pipe(z.number().int().safe());

export const NonNegativeIntegerSchema = IntegerSchema.pipe(z.number().min(0));

/** An ISO-8601 instant with a zone, e.g. "2025-11-30T16:05:12.923Z". */
export const IsoTimestampSchema = z.iso.datetime({ offset: true });

/** A calendar day, e.g. "2025-11-30". */
export const IsoDateSchema = z.iso.date();

/** Epoch seconds, as DynamoDB's TTL expects. */
export const EpochSecondsSchema = NonNegativeIntegerSchema;

/** A key string: printable, no control characters, at most 256 characters. */
export const KeyStringSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, "must not contain control characters");

/**
 * Stamp that consumers put on the items they write, so a change made by the pipeline itself can
 * be recognised when it comes back through a stream.
 */
export const RippleOriginSchema = z.object({
  consumer: z.string(),
  eventId: z.string(),
  depth: NonNegativeIntegerSchema,
});
export type RippleOrigin = z.infer<typeof RippleOriginSchema>;
