import { z } from "zod";
import { type FieldProblem, ValidationError } from "./errors.ts";

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
  const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
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
    const expected = issue.message.replace(/^Invalid input: /, "").replace(/^expected /, "");
    problems.push({
      path: where,
      value: value === undefined ? null : shown(value),
      expected: value === undefined ? `a value (required; ${expected})` : expected,
    });
  }
  return problems;
}

/** A {@link ValidationError} whose message lists every bad field, its value and what is expected. */
export function validationError(problems: readonly FieldProblem[]): ValidationError {
  const listed = problems
    .slice(0, 5)
    .map(
      (p) => `${p.path} (given ${describe(p.value === null ? undefined : p.value)}): expected ${p.expected}`,
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
