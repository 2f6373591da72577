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

/** A number token of a JSON text whose exact value the parsed JavaScript number does not hold. */
export interface InexactNumber {
  /** Keys and indexes from the root to the number. */
  readonly path: readonly (string | number)[];
  /** The token as sent, e.g. "9.999999999999999999". */
  readonly token: string;
  /** What `JSON.parse` made of it, e.g. 10. */
  readonly parsed: number;
}

const TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PARTS = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A number's exact value as `digits e exponent`, the same for every way of writing it ("1.50", "15e-1"). */
function decimalKey(text: string): string | undefined {
  const match = PARTS.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return "0";
  let scale = Number(exponent) - fraction.length;
  const trimmed = digits.replace(/0+$/, "");
  scale += digits.length - trimmed.length;
  digits = trimmed;
  return `${sign}${digits}e${scale}`;
}

function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return text.length;
}

type Frame = { array: true; index: number } | { array: false; key: string; awaitingKey: boolean };

/**
 * The number tokens of a JSON text (already accepted by `JSON.parse`) that `JSON.parse` rounds:
 * more significant digits than a double keeps (9.999999999999999999 reads as 10), or out of a
 * double's range (1e400 reads as Infinity, 1e-400 as 0). Money sent that way would be stored as
 * a value the producer never wrote, so the API refuses it instead.
 */
export function inexactNumbers(text: string): InexactNumber[] {
  const found: InexactNumber[] = [];
  const stack: Frame[] = [];
  const pathOf = () => stack.map((f) => (f.array ? f.index : f.key));
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = endOfString(text, i);
      const top = stack[stack.length - 1];
      if (top !== undefined && !top.array && top.awaitingKey) {
        top.key = JSON.parse(text.slice(i, end)) as string;
        top.awaitingKey = false;
      }
      i = end;
    } else if (c === 0x7b) {
      stack.push({ array: false, key: "", awaitingKey: true });
      i++;
    } else if (c === 0x5b) {
      stack.push({ array: true, index: 0 });
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      i++;
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.array === true) top.index++;
      else if (top !== undefined) top.awaitingKey = true;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      TOKEN.lastIndex = i;
      const token = TOKEN.exec(text)?.[0] ?? text[i]!;
      const parsed = Number(token);
      if (!Number.isFinite(parsed) || decimalKey(token) !== decimalKey(String(parsed))) {
        found.push({ path: pathOf(), token, parsed });
      }
      i += token.length;
    } else i++;
  }
  return found;
}
