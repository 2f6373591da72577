import {
  MAX_WILDCARD_COMPLEXITY,
  TOO_COMPLEX_REASON,
  wildcardComplexity,
  wildcardMachines,
} from "./complexity.ts";
import { InvalidEventPatternError } from "./errors.ts";
import { compileCidr, type IpRange, looksLikeIp, parseIp } from "./ip.ts";

/**
 * EventBridge's event-pattern language, validated and matched the way EventBridge's engine
 * (aws/event-ruler) does it.
 *
 * A pattern is compiled once into branches (one per `$or` alternative, as the engine expands them);
 * each branch is a map from a dot-joined leaf path (`detail.state`) to the filters of that field.
 * An event matches when, for some branch, every field has a value that passes one of its filters,
 * and the values chosen never sit in different elements of the same array ("array-consistent"
 * matching). Numbers compare numerically at 6 decimal places within ±5.0e9; strings never equal
 * numbers; an exact string that is an IP literal matches the same address written differently.
 */

/** A JSON primitive found at a leaf of an event. */
export type LeafValue = string | number | boolean | null;

/** A compiled filter for one value, e.g. `{ "prefix": "us-" }`. */
type ValueTest = (value: LeafValue) => boolean;

interface FieldFilter {
  readonly path: string;
  readonly tests: readonly ValueTest[];
  /** The field's list holds `{ "exists": false }`: it matches when the event has no value there. */
  readonly matchesAbsence: boolean;
  /** The field's list as JSON, for the complexity measure (see complexity.ts). */
  readonly identity: string;
  /** The field's `wildcard` values, as written. */
  readonly wildcards: readonly string[];
}

/** A validated pattern, ready to be matched against many events. */
export interface CompiledPattern {
  /** The pattern as given (parsed from JSON when a string was given). */
  readonly source: Record<string, unknown>;
  /** One branch per `$or` alternative; the pattern matches when any branch does. */
  readonly branches: readonly (readonly FieldFilter[])[];
}

/** One leaf of a flattened event with the array elements it sits in (array id → index). */
interface Leaf {
  readonly value: LeafValue;
  readonly arrays: readonly (readonly [number, number])[];
}

/** An event flattened to its leaves by path; flatten once, match against every rule. */
export type FlatEvent = ReadonlyMap<string, readonly Leaf[]>;

const OR = "$or";
const FIVE_BILLION = 5e9;
const MICROS = 1e6;

/** Field names an object inside `$or` may not use (EventBridge reserves them). */
const RESERVED_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const fail = (reason: string): never => {
  throw new InvalidEventPatternError(reason);
};

/** How a JSON value is named in a reason, as EventBridge's parser prints the token it stopped at. */
const tokenText = (v: unknown): string =>
  Array.isArray(v) ? "[" : isObject(v) ? "{" : typeof v === "string" ? v : JSON.stringify(v);

/**
 * Validates an event pattern and compiles it for {@link matches}.
 *
 * Accepts the pattern as JSON text (what PutRule and TestEventPattern receive) or as a parsed
 * value. Throws {@link InvalidEventPatternError} for anything EventBridge refuses: a pattern that
 * is not an object, empty objects or arrays, leaf values that are not arrays, unknown operators,
 * wrong operand types, bad numeric ranges, bad CIDRs, consecutive or badly escaped wildcards,
 * malformed `$or`, and wildcards too complex to match quickly (event-ruler's measure; see
 * complexity.ts).
 *
 * @example
 * const pattern = compilePattern({ source: ["ripple.parking"], detail: { data: { percentFull: [{ numeric: [">=", 90] }] } } });
 * matches(pattern, event); // true or false
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  let source: unknown = pattern;
  if (typeof pattern === "string") {
    try {
      source = JSON.parse(pattern);
    } catch (error) {
      throw new InvalidEventPatternError(
        `${error instanceof Error ? error.message : String(error)} (the pattern must be JSON text)`,
        { cause: error },
      );
    }
  }
  if (!isObject(source)) return fail("Filter is not an object");
  const branches: Map<string, FieldFilter>[] = [];
  parseObject(branches, [], source, false);
  const byPath = (a: FieldFilter, b: FieldFilter) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const sorted = branches.map((b) => [...b.values()].sort(byPath));
  for (const machine of wildcardMachines(sorted)) {
    if (wildcardComplexity(machine) > MAX_WILDCARD_COMPLEXITY) fail(TOO_COMPLEX_REASON);
  }
  return { source, branches: sorted };
}

function parseObject(
  branches: Map<string, FieldFilter>[],
  path: readonly string[],
  object: Record<string, unknown>,
  insideOr: boolean,
): void {
  const keys = Object.keys(object);
  if (keys.length === 0) fail("Empty objects are not allowed");
  for (const key of keys) {
    const value = object[key];
    if (key === OR) {
      parseOr(branches, path, value);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(`${key} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
    }
    if (isObject(value)) {
      parseObject(branches, [...path, key], value, insideOr);
    } else if (Array.isArray(value)) {
      const field = parseField([...path, key].join("."), value);
      if (branches.length === 0) branches.push(new Map());
      for (const branch of branches) branch.set(field.path, field);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
}

function parseOr(branches: Map<string, FieldFilter>[], path: readonly string[], value: unknown): void {
  const current = branches.map((b) => new Map(b));
  branches.length = 0;
  if (!Array.isArray(value)) {
    fail(`It must be an Array followed with ${OR}.`);
    return;
  }
  for (const alternative of value) {
    if (!isObject(alternative)) fail(`Only JSON object is allowed in array of ${OR} relationship.`);
    const forked = current.length === 0 ? [new Map<string, FieldFilter>()] : current.map((b) => new Map(b));
    parseObject(forked, path, alternative as Record<string, unknown>, true);
    branches.push(...forked);
  }
  if (value.length < 2) fail(`There must have at least 2 Objects in ${OR} relationship.`);
}

function parseField(path: string, values: readonly unknown[]): FieldFilter {
  const tests: ValueTest[] = [];
  let matchesAbsence = false;
  for (const value of values) {
    if (isObject(value)) {
      const expression = parseExpression(value);
      if (expression === "absent") matchesAbsence = true;
      else tests.push(expression);
    } else if (typeof value === "string") {
      tests.push(exactString(value));
    } else if (typeof value === "number") {
      tests.push(exactNumber(value));
    } else if (value === null || typeof value === "boolean") {
      tests.push((v) => v === value);
    } else {
      fail("Match value must be String, number, true, false, or null");
    }
  }
  if (values.length === 0) fail("Empty arrays are not allowed");
  const wildcards = values.flatMap((v) =>
    isObject(v) && typeof v.wildcard === "string" ? [v.wildcard as string] : [],
  );
  return { path, tests, matchesAbsence, identity: JSON.stringify(values), wildcards };
}

function exactString(expected: string): ValueTest {
  const ip = looksLikeIp(expected) ? parseIp(expected) : undefined;
  if (ip !== undefined) {
    return (v) => {
      if (typeof v !== "string") return false;
      const other = looksLikeIp(v) ? parseIp(v) : undefined;
      return other !== undefined && other.bytes === ip.bytes && other.value === ip.value;
    };
  }
  return (v) => v === expected;
}

function exactNumber(expected: number): ValueTest {
  const micros = comparable(expected);
  return (v) => {
    if (typeof v !== "number") return false;
    if (v === expected) return true;
    return micros !== undefined && comparable(v) === micros;
  };
}

/**
 * A number as EventBridge compares it: micro-units, for numbers within ±5.0e9 with at most 6
 * decimals; any other number is not comparable (it then only equals the very same number).
 */
function comparable(n: number): number | undefined {
  if (!Number.isFinite(n) || n < -FIVE_BILLION || n > FIVE_BILLION) return undefined;
  if (!Number.isInteger(n) && decimals(n) > 6) return undefined;
  return Math.round(n * MICROS);
}

/** Decimal places of a number as JSON writes it (`1.5e-7` has 8). */
function decimals(n: number): number {
  const [mantissa = "", exponent = "0"] = String(n).toLowerCase().split("e");
  const fraction = mantissa.split(".")[1]?.replace(/0+$/, "") ?? "";
  return Math.max(0, fraction.length - Number(exponent));
}

/** Validates a number used in a numeric filter, the way EventBridge bounds it. */
function numericOperand(n: number): number {
  if (decimals(n) > 6) fail(`Only values upto 6 decimals are supported ${n}`);
  if (n < -FIVE_BILLION || n > FIVE_BILLION) fail("Value must be between -5.0E9 and 5.0E9, inclusive");
  return Math.round(n * MICROS);
}

type Expression = ValueTest | "absent";

function onlyKey(expression: Record<string, unknown>, message = "Only one key allowed in match expression") {
  const keys = Object.keys(expression);
  if (keys.length === 0) fail("Match expression name not found");
  if (keys.length > 1) fail(message);
  return keys[0] as string;
}

const lower = (s: string) => s.toLowerCase();
const equalsIgnoreCase = (a: string, b: string) => a === b || lower(a) === lower(b);

function parseExpression(expression: Record<string, unknown>): Expression {
  const keys = Object.keys(expression);
  if (keys.length === 0) return fail("Match expression name not found");
  const operator = keys[0] as string;
  const operand = expression[operator];
  const single = (message?: string) => {
    if (keys.length > 1) fail(message ?? "Only one key allowed in match expression");
  };
  switch (operator) {
    case "prefix":
    case "suffix": {
      if (isObject(operand)) {
        const inner = onlyKey(operand);
        if (inner !== "equals-ignore-case") fail(`Unsupported ${operator} pattern: ${inner}`);
        const text = operand[inner];
        if (typeof text !== "string") fail("equals-ignore-case match pattern must be a string");
        single();
        const needle = lower(text as string);
        return operator === "prefix"
          ? (v) => typeof v === "string" && lower(v).startsWith(needle)
          : (v) => typeof v === "string" && lower(v).endsWith(needle);
      }
      if (typeof operand !== "string") fail(`${operator} match pattern must be a string`);
      single();
      const needle = operand as string;
      return operator === "prefix"
        ? (v) => typeof v === "string" && v.startsWith(needle)
        : (v) => typeof v === "string" && v.endsWith(needle);
    }
    case "equals-ignore-case": {
      if (typeof operand !== "string") fail("equals-ignore-case match pattern must be a string");
      single();
      return (v) => typeof v === "string" && equalsIgnoreCase(v, operand as string);
    }
    case "wildcard": {
      if (typeof operand !== "string") fail("wildcard match pattern must be a string");
      const regex = compileWildcard(operand as string);
      single();
      return (v) => typeof v === "string" && regex.test(v);
    }
    case "numeric": {
      if (!Array.isArray(operand)) fail("Value of numeric must be an array.");
      const test = parseNumeric(operand as unknown[]);
      single("Too many elements in numeric expression");
      return test;
    }
    case "exists": {
      if (typeof operand !== "boolean") fail("exists match pattern must be either true or false.");
      single();
      return operand === true ? () => true : "absent";
    }
    case "cidr": {
      // event-ruler reads a cidr operand with its prefix wording.
      if (typeof operand !== "string") fail("prefix match pattern must be a string");
      const range = compileCidr(operand as string);
      single();
      return (v) => inRange(range, v);
    }
    case "anything-but": {
      const test = parseAnythingBut(operand);
      single("Too many elements in numeric expression");
      return (v) => !test(v);
    }
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
}

function inRange(range: IpRange, v: LeafValue): boolean {
  if (typeof v !== "string" || !looksLikeIp(v)) return false;
  const ip = parseIp(v);
  return ip !== undefined && ip.bytes === range.bytes && ip.value >= range.low && ip.value <= range.high;
}

/** Parses what follows `anything-but` and returns the test for the values it excludes. */
function parseAnythingBut(operand: unknown): ValueTest {
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 0) fail("Anything-But expression name not found");
    const kind = keys[0] as string;
    if (!["equals-ignore-case", "prefix", "suffix", "wildcard"].includes(kind)) {
      fail(`Unsupported anything-but pattern: ${kind}`);
    }
    const inner = operand[kind];
    if (keys.length > 1) fail("Too many elements in numeric expression");
    if (!Array.isArray(inner) && typeof inner !== "string" && typeof inner !== "number") {
      fail("Value of anything-but must be an array or single string/number value.");
    }
    const values = Array.isArray(inner) ? inner : [inner];
    const texts = values.map((value) => {
      if (typeof value !== "string") {
        if (kind === "equals-ignore-case") {
          fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
        }
        fail(
          kind === "wildcard"
            ? "wildcard match pattern must be a string"
            : "prefix/suffix match pattern must be a string",
        );
      }
      if ((kind === "prefix" || kind === "suffix") && value === "") fail("Null prefix/suffix not allowed");
      return value as string;
    });
    switch (kind) {
      case "equals-ignore-case": {
        const set = new Set(texts.map(lower));
        return (v) => typeof v === "string" && set.has(lower(v));
      }
      case "prefix":
        return (v) => typeof v === "string" && texts.some((t) => v.startsWith(t));
      case "suffix":
        return (v) => typeof v === "string" && texts.some((t) => v.endsWith(t));
      default: {
        const regexes = texts.map(compileWildcard);
        return (v) => typeof v === "string" && regexes.some((r) => r.test(v));
      }
    }
  }
  if (Array.isArray(operand)) {
    let strings = 0;
    let numbers = 0;
    for (const value of operand) {
      if (typeof value === "string") strings++;
      else if (typeof value === "number") numbers++;
      else fail("Inside anything but list, start|null|boolean is not supported.");
    }
    if (strings > 0 === numbers > 0) {
      fail("Inside anything but list, either all values are number or string, mixed type is not supported");
    }
    return anythingButValues(operand as (string | number)[]);
  }
  if (typeof operand === "string" || typeof operand === "number") return anythingButValues([operand]);
  return fail("Value of anything-but must be an array or single string/number value.");
}

function anythingButValues(values: readonly (string | number)[]): ValueTest {
  if (typeof values[0] === "number") {
    const micros = new Set((values as number[]).map(numericOperand));
    return (v) => {
      if (typeof v !== "number") return false;
      const m = comparable(v);
      return m !== undefined && micros.has(m);
    };
  }
  const set = new Set(values as string[]);
  return (v) => typeof v === "string" && set.has(v);
}

function parseNumeric(terms: readonly unknown[]): ValueTest {
  const [operator, first, ...rest] = terms;
  if (typeof operator !== "string")
    return fail(`Invalid member in numeric match: ${tokenText(operator ?? "]")}`);
  const operand = (op: string, v: unknown): number =>
    typeof v === "number"
      ? numericOperand(v)
      : fail(`Value of ${op === "=" ? "equals" : op} must be numeric`);
  const tooMany = () => fail("Too many elements in numeric expression");
  switch (operator) {
    case "=": {
      const value = operand("=", first);
      if (rest.length > 0) tooMany();
      return equalTo(value);
    }
    case "<":
    case "<=": {
      const top = operand(operator, first);
      if (rest.length > 0) tooMany();
      return range(-FIVE_BILLION * MICROS, false, top, operator === "<");
    }
    case ">":
    case ">=": {
      const bottom = operand(operator, first);
      const openBottom = operator === ">";
      if (rest.length === 0) return range(bottom, openBottom, FIVE_BILLION * MICROS, false);
      const [topOperator, topValue, ...extra] = rest;
      if (typeof topOperator !== "string")
        return fail(`Bad value in numeric range: ${tokenText(topOperator)}`);
      if (topOperator !== "<" && topOperator !== "<=") fail(`Bad numeric range operator: ${topOperator}`);
      const top = operand(topOperator, topValue);
      if (extra.length > 0) fail("Too many terms in numeric range expression");
      return range(bottom, openBottom, top, topOperator === "<");
    }
    default:
      return fail(`Unrecognized numeric range operator: ${operator}`);
  }
}

function equalTo(micros: number): ValueTest {
  return (v) => typeof v === "number" && comparable(v) === micros;
}

/**
 * A numeric range. Like event-ruler's Range, the bottom must lie strictly below the top, whatever
 * the operators: `["<=", -5e9]`, `[">=", 5e9]` and `[">=", 5, "<=", 5]` are refused (write
 * `["=", 5]` for one value).
 */
function range(bottom: number, openBottom: boolean, top: number, openTop: boolean): ValueTest {
  if (bottom >= top) fail("Bottom must be less than top");
  return (v) => {
    if (typeof v !== "number") return false;
    const m = comparable(v);
    if (m === undefined) return false;
    return (openBottom ? m > bottom : m >= bottom) && (openTop ? m < top : m <= top);
  };
}

/**
 * Compiles a wildcard filter: `*` matches any run of characters, `\*` a literal asterisk, `\\` a
 * literal backslash; consecutive `*` and any other escape are refused, with EventBridge's positions.
 */
function compileWildcard(text: string): RegExp {
  let source = "";
  // EventBridge reports positions in the quoted UTF-8 value, so the first character is at 1.
  let position = 1;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const next = chars[i + 1];
    if (c === "*") {
      if (next === "*") fail(`Consecutive wildcard characters at pos ${position}`);
      source += ".*";
    } else if (c === "\\") {
      if (next !== "*" && next !== "\\") fail(`Invalid escape character at pos ${position}`);
      source += next === "*" ? "\\*" : "\\\\";
      position += 1;
      i++;
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
    position += Buffer.byteLength(c);
  }
  return new RegExp(`^${source}$`, "su");
}

/** Flattens an event to its leaves by dot-joined path, recording the array elements each sits in. */
export function flattenEvent(event: unknown): FlatEvent {
  const leaves = new Map<string, Leaf[]>();
  let nextArrayId = 0;
  const visit = (value: unknown, path: string, arrays: readonly (readonly [number, number])[]): void => {
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((element, index) => {
        visit(element, path, [...arrays, [id, index]]);
      });
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value))
        visit(child, path === "" ? key : `${path}.${key}`, arrays);
    } else if (path !== "" && value !== undefined) {
      const list = leaves.get(path);
      const leaf: Leaf = { value: value as LeafValue, arrays };
      if (list === undefined) leaves.set(path, [leaf]);
      else list.push(leaf);
    }
  };
  visit(event, "", []);
  return leaves;
}

const consistent = (a: Leaf, b: Leaf): boolean => {
  for (const [id, index] of a.arrays) {
    for (const [otherId, otherIndex] of b.arrays) if (id === otherId && index !== otherIndex) return false;
  }
  return true;
};

function branchMatches(branch: readonly FieldFilter[], event: FlatEvent): boolean {
  // Fields are visited in path order, as EventBridge's engine walks them. A value may be chosen only
  // when it sits in no other element of an array than the values chosen so far; `exists: false` holds
  // when no value of the field sits in the same array elements as the values chosen so far.
  const chosen: Leaf[] = [];
  const visit = (i: number): boolean => {
    const field = branch[i];
    if (field === undefined) return true;
    const leaves = (event.get(field.path) ?? []).filter((leaf) => chosen.every((c) => consistent(c, leaf)));
    if (leaves.length === 0 && field.matchesAbsence && visit(i + 1)) return true;
    for (const leaf of leaves) {
      if (!field.tests.some((test) => test(leaf.value))) continue;
      chosen.push(leaf);
      if (visit(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  return visit(0);
}

/** True when the (already flattened) event matches the compiled pattern. */
export function matchesFlat(pattern: CompiledPattern, event: FlatEvent): boolean {
  return pattern.branches.some((branch) => branchMatches(branch, event));
}

/** True when the event (a parsed JSON object) matches the compiled pattern. */
export function matches(pattern: CompiledPattern, event: unknown): boolean {
  return matchesFlat(pattern, flattenEvent(event));
}
