import * as z from "zod";
import { explainIssue } from "#commons/issues.ts";
import { MAX_FUTURE_SKEW_SECONDS } from "#schemas/api.ts";
import { type FieldProblem, ValidationError } from "./errors.ts";
import type { InexactNumber } from "./json.ts";

/** Which part of the request a value came from; prefixes each field path in an error. */
export type RequestPart = "path" | "query" | "body" | "header";

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function shown(value: unknown): unknown {
  if (typeof value === "string" && value.length > 200) return `${value.slice(0, 200)}…`;
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** The field problems a failed parse describes, each with its path, the value given and what is expected. */
export function fieldProblems(
  part: RequestPart,
  error: z.ZodError,
  input: unknown,
  schema: z.ZodType,
): FieldProblem[] {
  // A change body is a strict object behind a preprocess (see `changeSchema`): list its fields too.
  const object = schema instanceof z.ZodPipe && schema.out instanceof z.ZodObject ? schema.out : schema;
  const allowed = object instanceof z.ZodObject ? Object.keys(object.shape) : [];
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const where = [part, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({
          path: `${where}.${key}`,
          value: shown(valueAt(input, [...issue.path, key])),
          expected:
            allowed.length > 0
              ? `no such field; remove it (allowed: ${allowed.join(", ")})`
              : "no such field; remove it",
        });
      }
      continue;
    }
    const value = valueAt(input, issue.path);
    const explained = explainIssue(issue, where);
    if (value === undefined) {
      problems.push({
        path: where,
        value: null,
        expected: `a value (required): ${explained.expected}`,
        fix: `add ${where}`,
      });
      continue;
    }
    problems.push({
      path: where,
      value: shown(value),
      expected: explained.expected,
      ...(explained.fix === undefined ? {} : { fix: explained.fix }),
    });
  }
  return problems;
}

/** A {@link ValidationError} whose message lists every bad field, its value and what is expected. */
export function validationError(problems: readonly FieldProblem[]): ValidationError {
  const listed = problems
    .slice(0, 5)
    .map(
      (p) =>
        `${p.path} (given ${describe(p.value === null ? undefined : p.value)}): expected ${p.expected}${p.fix === undefined ? "" : `; ${p.fix}`}`,
    )
    .join("; ");
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
  return new ValidationError(
    `${problems.length} invalid field${problems.length === 1 ? "" : "s"}: ${listed}${more}`,
    problems,
  );
}

/** Parses one part of a request, throwing a {@link ValidationError} naming each bad field. */
export function parsePart<S extends z.ZodType>(part: RequestPart, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(fieldProblems(part, result.error, input, schema));
}

function withValueAt(input: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(input) as Record<PropertyKey, unknown>;
  let current = copy;
  for (const key of path.slice(0, -1)) current = current[key] as Record<PropertyKey, unknown>;
  current[path[path.length - 1]!] = value;
  return copy;
}

/**
 * The {@link ValidationError} for number tokens `JSON.parse` rounded (see `inexactNumbers`): each
 * named with its path and the value as sent, and told to come as a string where the schema takes
 * the value as a decimal string (prices, kgCO2e, payload values), else to send fewer digits.
 */
export function inexactNumberError(
  part: RequestPart,
  schema: z.ZodType,
  input: unknown,
  numbers: readonly InexactNumber[],
): ValidationError {
  const problems: FieldProblem[] = numbers.map(({ path, token, parsed }) => {
    const where = [part, ...path.map(String)].join(".");
    const read = String(parsed);
    const key = path.map(String).join(".");
    const asString = schema.safeParse(withValueAt(input, path, token));
    const issues = asString.success
      ? []
      : asString.error.issues.filter((i) => i.path.map(String).join(".") === key);
    let expected: string;
    if (issues.length === 0) {
      expected = `the exact value as a string ("${token}"): as a JSON number it reads as ${read}`;
    } else if (issues.every((i) => i.code !== "invalid_type" && i.code !== "invalid_union")) {
      // The field takes decimal strings, but not this value: say why, about the value as sent.
      expected = `${issues.map((i) => i.message.replace(/^Invalid input: /, "").replace(/^expected /, "")).join("; ")} (${token} as sent; as a JSON number it reads as ${read})`;
    } else {
      expected = `a number a JSON parser reads exactly (at most 15 significant digits): ${token} reads as ${read}`;
    }
    return { path: where, value: token, expected };
  });
  const listed = problems
    .slice(0, 5)
    .map((p) => `${p.path} (sent as ${p.value}): expected ${p.expected}`)
    .join("; ");
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
  return new ValidationError(
    `${problems.length} number${problems.length === 1 ? "" : "s"} would not be kept exactly: ${listed}${more}`,
    problems,
  );
}

/**
 * Refuses a range whose `from` (normalised to an instant) is after its `to`, naming both as the
 * caller sent them ("2025-12-01", not "2025-12-01T00:00:00.000Z").
 */
export function requireOrderedRange(
  range: { readonly from?: string | undefined; readonly to?: string | undefined },
  rawQuery: Readonly<Record<string, string>>,
): void {
  if (range.from === undefined || range.to === undefined || range.from <= range.to) return;
  const from = rawQuery.from ?? range.from;
  const to = rawQuery.to ?? range.to;
  throw new ValidationError(`query.from (given ${from}) is after query.to (given ${to}); swap them`, [
    { path: "query.from", value: from, expected: `a date or instant no later than to (${to})` },
  ]);
}

/**
 * Refuses an instant more than {@link MAX_FUTURE_SKEW_SECONDS} after `now`: a clock may run a
 * little ahead, but an entry dated 2999-01-01 would become the user's latest entry for ever.
 */
export function requireNotInFuture(path: string, instant: string, now: Date): void {
  const latest = new Date(now.getTime() + MAX_FUTURE_SKEW_SECONDS * 1000);
  if (new Date(instant) <= latest) return;
  const expected = `an instant no later than ${latest.toISOString()} (now plus ${MAX_FUTURE_SKEW_SECONDS / 60} minutes of clock skew), such as "${now.toISOString()}"`;
  throw new ValidationError(
    `${path} (given ${instant}) is in the future: expected ${expected}; send when the entry happened, or leave ${path.split(".").at(-1)} out for now`,
    [{ path, value: instant, expected }],
  );
}

/**
 * A header value as the caller meant it: HTTP carries header bytes as Latin-1, so UTF-8 text
 * ("clé-1") arrives as "clÃ©-1"; decoded back when the bytes are valid UTF-8.
 */
export function readableHeader(value: string): string {
  if (!hasCodeAbove(value, 0x7f) || hasCodeAbove(value, 0xff)) return value;
  const decoded = Buffer.from(value, "latin1").toString("utf8");
  return decoded.includes("\ufffd") ? value : decoded;
}

/** Whether any character of `text` has a code above `limit` (0x7f: not ASCII; 0xff: not Latin-1). */
export function hasCodeAbove(text: string, limit: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > limit) return true;
  return false;
}
