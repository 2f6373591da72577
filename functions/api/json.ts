/**
 * JSON output that writes exact decimals as number tokens.
 *
 * ripple keeps decimals as canonical strings ("249.99"); a response writes them as the JSON number
 * `249.99`, digit for digit, so no binary float ever touches a price or a total on the way out.
 */

const NUMBER_TOKEN = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A decimal that {@link stringifyJson} writes as a bare JSON number token, exactly as given. */
export class ExactNumber {
  readonly text: string;

  constructor(text: string) {
    if (!NUMBER_TOKEN.test(text)) {
      throw new TypeError(
        `ExactNumber needs a plain decimal such as "12.50" (given ${JSON.stringify(text)})`,
      );
    }
    this.text = text;
  }

  toJSON(): number {
    return Number(this.text);
  }
}

/** Wraps a decimal string (or undefined) for exact output. */
export function exact(text: string): ExactNumber;
export function exact(text: string | undefined): ExactNumber | undefined;
export function exact(text: string | undefined): ExactNumber | undefined {
  return text === undefined ? undefined : new ExactNumber(text);
}

/** Writes a decimal with a fixed number of fraction digits ("54.7" → "54.7", "100" → "100.0" for 1). */
export function fixedDecimal(text: string, digits: number): string {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  if (digits === 0) return `${negative ? "-" : ""}${whole}`;
  const padded = `${fraction}${"0".repeat(digits)}`.slice(0, digits);
  return `${negative ? "-" : ""}${whole}.${padded}`;
}

/**
 * `JSON.stringify` for API bodies: {@link ExactNumber} becomes its own digits, `undefined`
 * properties are left out, everything else as JSON.stringify writes it.
 */
export function stringifyJson(value: unknown): string {
  if (value instanceof ExactNumber) return value.text;
  if (value === null || typeof value !== "object") {
    return value === undefined ? "null" : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => stringifyJson(v)).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value);
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function") continue;
    parts.push(`${JSON.stringify(key)}:${stringifyJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}
