import { AuditArithmeticError } from "./errors.ts";

/**
 * The audit's own exact arithmetic, deliberately independent of the consumers' `decimal.ts`: a
 * second opinion that shared the consumers' arithmetic would share their mistakes. A value is a
 * BigInt coefficient and a power of ten (`coefficient × 10^exponent`), read straight from the
 * number text as DynamoDB and JSON write it ("12.50", "1E-7", "-0"), so nothing passes through a
 * binary float. Written by hand because no dependency of the project does exact decimals.
 */
export interface Exact {
  readonly coefficient: bigint;
  readonly exponent: number;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Reads number text; `undefined` when it is not a number at all. */
export function readExact(text: string): Exact | undefined {
  const match = NUMBER.exec(text.trim());
  if (match === null) return undefined;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  const magnitude = BigInt(`${whole}${fraction}`);
  return { coefficient: sign === "-" ? -magnitude : magnitude, exponent: Number(exponent) - fraction.length };
}

function at(value: Exact, exponent: number): bigint {
  return value.coefficient * 10n ** BigInt(value.exponent - exponent);
}

/** Sum of values, exactly. */
export function sumExact(values: Iterable<Exact>): Exact {
  const list = [...values];
  const exponent = Math.min(0, ...list.map((v) => v.exponent));
  return { coefficient: list.reduce((sum, v) => sum + at(v, exponent), 0n), exponent };
}

/** `value × count`, exactly. */
export function timesExact(value: Exact, count: bigint): Exact {
  return { coefficient: value.coefficient * count, exponent: value.exponent };
}

/** `a - b`, exactly. */
export function minusExact(a: Exact, b: Exact): Exact {
  return sumExact([a, { coefficient: -b.coefficient, exponent: b.exponent }]);
}

/** Sign of `a - b`. */
export function compareExact(a: Exact, b: Exact): number {
  const difference = minusExact(a, b).coefficient;
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** Plain decimal text without trailing fractional zeros ("1.5", "0.0000001", "0"), as the aggregates keep it. */
export function exactText(value: Exact): string {
  const negative = value.coefficient < 0n;
  let digits = (negative ? -value.coefficient : value.coefficient).toString();
  if (digits === "0") return "0";
  let text: string;
  if (value.exponent >= 0) text = `${digits}${"0".repeat(value.exponent)}`;
  else {
    const places = -value.exponent;
    digits = digits.padStart(places + 1, "0");
    const fraction = digits.slice(-places).replace(/0+$/, "");
    text = `${digits.slice(0, -places)}${fraction === "" ? "" : `.${fraction}`}`;
  }
  return `${negative ? "-" : ""}${text}`;
}

/** Reads text the audit itself produced or a schema accepted; throws if it is not a number. */
export function exact(text: string): Exact {
  const value = readExact(text);
  if (value === undefined) {
    throw new AuditArithmeticError(
      `the audit was handed ${JSON.stringify(text)} as a number; only values its schemas accepted reach its arithmetic`,
    );
  }
  return value;
}

/** Sum of decimal texts, as plain text. */
export function sumTexts(texts: Iterable<string>): string {
  return exactText(sumExact([...texts].map(exact)));
}
