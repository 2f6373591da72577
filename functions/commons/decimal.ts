import { InvalidDecimalError } from "./errors.ts";

/**
 * Exact decimal arithmetic on canonical decimal strings ("12.5", "-3", "0.125").
 *
 * Aggregates add and subtract prices and kgCO2e amounts many times; a binary float would drift.
 * Each value is scaled to a BigInt with a common number of fractional digits, combined, and
 * turned back into the canonical string `DecimalSchema` produces, so equal amounts compare equal.
 */

/** Removes trailing fractional zeros so that equal amounts compare equal ("1.50" → "1.5"). */
export function canonicalDecimal(text: string): string {
  if (!text.includes(".")) return text === "-0" ? "0" : text;
  const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");
  return trimmed === "-0" ? "0" : trimmed;
}

const DECIMAL = /^-?(0|[1-9]\d*|\d+)(\.\d+)?$/;

interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

function parse(value: string): Scaled {
  if (!DECIMAL.test(value)) {
    throw new InvalidDecimalError(
      `expected a decimal number such as "12.50" (given ${JSON.stringify(value)}); pass values parsed by DecimalSchema`,
    );
  }
  const negative = value.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? value.slice(1) : value).split(".");
  const units = BigInt(whole + fraction);
  return { units: negative ? -units : units, scale: fraction.length };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  const text = `${negative ? "-" : ""}${whole}${scale > 0 ? `.${fraction}` : ""}`;
  return canonicalDecimal(text);
}

/** Sum of decimals, exact. `addDecimals()` is "0". */
export function addDecimals(...values: readonly string[]): string {
  const parsed = values.map(parse);
  const scale = Math.max(0, ...parsed.map((p) => p.scale));
  return format(
    parsed.reduce((sum, p) => sum + rescale(p, scale), 0n),
    scale,
  );
}

/** `a - b`, exact. */
export function subtractDecimals(a: string, b: string): string {
  const pa = parse(a);
  const pb = parse(b);
  const scale = Math.max(pa.scale, pb.scale);
  return format(rescale(pa, scale) - rescale(pb, scale), scale);
}

/** `value × factor` for a whole-number factor (a price times a quantity), exact. */
export function multiplyDecimal(value: string, factor: number): string {
  if (!Number.isSafeInteger(factor)) {
    throw new InvalidDecimalError(`expected a whole-number factor (given ${factor}); round it first`);
  }
  const p = parse(value);
  return format(p.units * BigInt(factor), p.scale);
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const pa = parse(a);
  const pb = parse(b);
  const scale = Math.max(pa.scale, pb.scale);
  const da = rescale(pa, scale);
  const db = rescale(pb, scale);
  return da < db ? -1 : da > db ? 1 : 0;
}

/** Significant digits a DynamoDB number holds. */
export const MAX_SIGNIFICANT_DIGITS = 38;

/**
 * Number text already in canonical form ("12.5", "-3", "0.0000001"; no "-0", no trailing
 * fraction zeros) and at most 38 characters long, so within any digit limit and DynamoDB's range:
 * most numbers in items and requests are, and they are their own canonical value.
 */
export function isShortCanonicalDecimal(text: string): boolean {
  return text.length <= MAX_SIGNIFICANT_DIGITS && SHORT_CANONICAL.test(text) && text !== "-0";
}

const SHORT_CANONICAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

const DYNAMODB_NUMBER = /^([+-])?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A number as DynamoDB accepts it ("1E-7", "+2.50", ".5", "-0") as the canonical decimal
 * string ripple carries ("0.0000001", "2.5", "0.5", "0"), exactly: digits are moved, never
 * rounded. Returns `undefined` for text that is not such a number or that has more than 38
 * significant digits, which DynamoDB would refuse too.
 *
 * @example
 * normalizeDecimal("1E-7"); // "0.0000001"
 */
export function normalizeDecimal(text: string): string | undefined {
  if (isShortCanonicalDecimal(text)) return text;
  const match = DYNAMODB_NUMBER.exec(text.trim());
  if (match === null) return undefined;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  if (whole === "" && fraction === "") return undefined;
  if (exponent.replace(/^[+-]/, "").length > 4) return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  const significant = digits.replace(/0+$/, "");
  if (significant.length > MAX_SIGNIFICANT_DIGITS) return undefined;
  if (digits === "") return "0";
  // value = digits × 10^(exponent - fraction.length)
  const shift = Number(exponent) - fraction.length;
  return format(
    BigInt(sign === "-" ? `-${digits}` : digits) * 10n ** BigInt(Math.max(0, shift)),
    Math.max(0, -shift),
  );
}
