import { canonicalDecimal } from "#schemas/common.ts";
import { InvalidDecimalError } from "./errors.ts";

/**
 * Exact decimal arithmetic on canonical decimal strings ("12.5", "-3", "0.125").
 *
 * Aggregates add and subtract prices and kgCO2e amounts many times; a binary float would drift.
 * Each value is scaled to a BigInt with a common number of fractional digits, combined, and
 * turned back into the canonical string `DecimalSchema` produces, so equal amounts compare equal.
 */

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
