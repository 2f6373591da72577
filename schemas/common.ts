import * as z from "zod";
import {
  canonicalDecimal,
  isShortCanonicalDecimal,
  MAX_SIGNIFICANT_DIGITS,
  normalizeDecimal,
} from "#commons/decimal.ts";

export { canonicalDecimal, MAX_SIGNIFICANT_DIGITS };

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A number as JSON and DynamoDB write it: optional minus, digits, optional fraction and exponent. */
const NUMBER_TEXT = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** DynamoDB's smallest positive number is 1E-130; 1E-131 and less cannot be stored. */
const MIN_EXPONENT = -130;

/** DynamoDB's largest number is 9.9999999999999999999999999999999999999E+125. */
const MAX_EXPONENT = 125;

/** An exact decimal read from number text, or why it cannot be kept exactly. */
export type ExactDecimalResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Reads number text as JSON and DynamoDB write it ("12.50", "1E-7", "-0", "1.5e+3") into its
 * canonical plain decimal ("12.5", "0.0000001", "0", "1500"), digit for digit, by moving the
 * decimal point in the text (no binary float is involved). A value with more significant digits
 * than DynamoDB keeps, or outside its range, is refused with the reason rather than rounded.
 *
 * @param maxDigits - significant digits allowed; `Infinity` for aggregates kept as strings.
 * @example
 * exactDecimal("1E-7"); // { ok: true, value: "0.0000001" }
 */
export function exactDecimal(text: string, maxDigits: number = MAX_SIGNIFICANT_DIGITS): ExactDecimalResult {
  if (text.length <= maxDigits && isShortCanonicalDecimal(text)) return { ok: true, value: text };
  const match = NUMBER_TEXT.exec(text);
  if (match === null) {
    return {
      ok: false,
      reason: `expected a decimal number such as "12.50" or "1.5E-7", digits only (no spaces, separators, currency or leading zeros)`,
    };
  }
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  // digits × 10^scale, with leading and trailing zeros moved out of `digits`.
  const all = `${whole}${fraction}`;
  const digits = all.replace(/^0+/, "").replace(/0+$/, "");
  if (digits === "") return { ok: true, value: "0" };
  const trailing = all.replace(/0+$/, "").length;
  const scale = exponent - fraction.length + (all.length - trailing);
  if (digits.length > maxDigits) {
    return {
      ok: false,
      reason: `at most ${maxDigits} significant digits, as DynamoDB numbers hold (given ${digits.length}); ripple refuses a value it would have to round`,
    };
  }
  // Exponent of the leading digit in scientific notation.
  const magnitude = scale + digits.length - 1;
  if (Number.isFinite(maxDigits) && (magnitude < MIN_EXPONENT || magnitude > MAX_EXPONENT)) {
    return {
      ok: false,
      reason: `a value between 1E-130 and 9.99E+125 in size, the range of a DynamoDB number (given an order of magnitude of 1E${magnitude})`,
    };
  }
  if (!Number.isSafeInteger(scale) || Math.abs(scale) > 10_000) {
    return { ok: false, reason: `a value of a representable size (given exponent ${exponentText})` };
  }
  let plain: string;
  if (scale >= 0) plain = `${digits}${"0".repeat(scale)}`;
  else if (-scale < digits.length) plain = `${digits.slice(0, scale)}.${digits.slice(scale)}`;
  else plain = `0.${"0".repeat(-scale - digits.length)}${digits}`;
  return { ok: true, value: `${sign}${plain}` };
}

function decimalSchema(maxDigits: number) {
  return z
    .union([z.string(), z.number()], {
      error: 'expected a decimal number such as 12.50 (a JSON number) or "12.50" (a string)',
    })
    .transform((value, ctx) => {
      const result = exactDecimal(typeof value === "number" ? String(value) : value.trim(), maxDigits);
      if (!result.ok) {
        ctx.addIssue({ code: "custom", message: result.reason });
        return z.NEVER;
      }
      return result.value;
    })
    .pipe(z.string().regex(DECIMAL));
}

/**
 * An exact decimal, carried as its canonical string ("249.99", "0.5", "-3", "0.0000001").
 *
 * DynamoDB stores numbers as decimal strings of up to 38 significant digits; ripple keeps them
 * that way end to end so no binary float ever rounds a price or a total. Accepts a string or a
 * JSON number, under the same rules: plain or with an exponent ("1E-7", `1e2`), as DynamoDB
 * accepts them; more than 38 significant digits or beyond DynamoDB's range is refused, never
 * rounded.
 */
export const DecimalSchema = decimalSchema(MAX_SIGNIFICANT_DIGITS);

/**
 * An exact decimal of any length: a total that aggregates keep as a string attribute, which may
 * need more than the 38 digits of any one of its terms (38-digit prices with different scales).
 */
export const AggregateDecimalSchema = decimalSchema(Number.POSITIVE_INFINITY);

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
  z.string().refine((value) => !value.startsWith("-"), { message: "a decimal of 0 or more" }),
);

/**
 * A whole number. DynamoDB delivers numbers as strings in stream records; this accepts either
 * and yields a safe integer.
 */
export const IntegerSchema = z
  .union([z.number(), z.string()], { error: "expected a whole number such as 12" })
  .transform((value, ctx) => {
    const text = typeof value === "number" ? String(value) : value.trim();
    const exact = exactDecimal(text);
    if (!exact.ok || exact.value.includes(".")) {
      ctx.addIssue({ code: "custom", message: "expected a whole number such as 12" });
      return z.NEVER;
    }
    const whole = Number(exact.value);
    if (!Number.isSafeInteger(whole)) {
      ctx.addIssue({
        code: "custom",
        message: `expected a whole number from -9007199254740991 to 9007199254740991 (given ${exact.value}, which a JavaScript number cannot hold exactly)`,
      });
      return z.NEVER;
    }
    return whole;
  })
  .pipe(z.number());

export const NonNegativeIntegerSchema = IntegerSchema.pipe(
  z.number().min(0, "expected a whole number of 0 or more"),
);

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
