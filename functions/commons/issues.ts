import type * as z from "zod";

/**
 * Validation problems in ripple's words: what is expected, with an example, and the fix — never
 * the validation library's own text ("Invalid input", "Too small: expected number to be >=1",
 * "Invalid ISO datetime"). Shared by the API's 400s, the fan-out's set-aside reasons, the
 * consumers' rejections and the listings' warnings, so one bad value reads the same everywhere.
 */

/** What zod's own messages start with; ripple's messages (custom, from the schemas) do not. */
const LIBRARY_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized|Expected)\b/;

const TYPE_EXAMPLES: Readonly<Record<string, string>> = {
  string: 'a string, such as "Rex"',
  number: "a number, such as 12",
  int: "a whole number, such as 3",
  boolean: "true or false",
  object: 'a JSON object, such as {"name": "Rex"}',
  array: "a JSON array, such as []",
  bigint: "a whole number, such as 3",
  date: 'an instant, such as "2025-11-30T16:05:12Z"',
};

const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  datetime:
    'an ISO-8601 instant with a time zone, such as "2025-11-30T16:05:12Z" or "2025-11-30T17:05:12+01:00"',
  date: 'a calendar date, such as "2025-11-30"',
  email: 'an email address, such as "ada@example.com"',
  uuid: 'a UUID, such as "3f2b9c1e-7d4a-4b8e-9a61-2c5d8e0f4a17"',
  url: 'a URL, such as "https://example.com/"',
};

function bound(
  issue: { origin?: unknown; inclusive?: boolean },
  edge: number | bigint,
  least: boolean,
): string {
  const strict = issue.inclusive === false;
  const what =
    issue.origin === "string"
      ? "characters"
      : issue.origin === "array" || issue.origin === "set"
        ? "items"
        : "";
  const amount = strict
    ? least
      ? `more than ${edge}`
      : `less than ${edge}`
    : least
      ? `at least ${edge}`
      : `at most ${edge}`;
  return what === "" ? `a number of ${amount}` : `${amount} ${what}`;
}

/**
 * What an issue expects, in ripple's words with an example, and the fix — never the validation
 * library's own text ("Invalid input", "Too small: expected number to be >=1"). Messages the
 * schemas set themselves are ripple's already and are kept.
 */
export function explainIssue(issue: z.core.$ZodIssue, where: string): { expected: string; fix?: string } {
  if (!LIBRARY_MESSAGE.test(issue.message)) {
    return { expected: issue.message.replace(/^expected /, "") };
  }
  switch (issue.code) {
    case "invalid_type": {
      const expected = TYPE_EXAMPLES[issue.expected] ?? `a ${issue.expected}`;
      return { expected, fix: `send ${where} as ${expected.split(",")[0]}` };
    }
    case "too_small": {
      const expected =
        issue.origin === "string" && Number(issue.minimum) === 1
          ? 'a non-empty string, such as "Rex"'
          : bound(issue, issue.minimum, true);
      return {
        expected,
        fix:
          issue.origin === "string" && Number(issue.minimum) === 1
            ? `send a non-empty ${where}`
            : `send ${expected}`,
      };
    }
    case "too_big": {
      const expected = bound(issue, issue.maximum, false);
      return {
        expected,
        fix: issue.origin === "string" ? `shorten ${where} to ${expected}` : `send ${expected}`,
      };
    }
    case "invalid_format": {
      const expected = FORMAT_EXAMPLES[issue.format] ?? `text in the ${issue.format} format`;
      return { expected, fix: `write ${where} as in the example` };
    }
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v));
      return {
        expected: options.length === 1 ? `exactly ${options[0]}` : `one of ${options.join(", ")}`,
        fix: `send one of those, e.g. ${options[0]}`,
      };
    }
    case "not_multiple_of":
      return {
        expected: `a multiple of ${issue.divisor}`,
        fix: `round ${where} to a multiple of ${issue.divisor}`,
      };
    default:
      return {
        expected: `a value of the documented form (see GET /openapi.json for ${where})`,
        fix: `correct ${where}`,
      };
  }
}

/**
 * One line per issue (at most `max`): "path (given value): expected …; fix". The value is read
 * from `input` at the issue's path; `name` renames path segments (a stand-in key, say).
 */
export function describeIssues(
  error: z.ZodError,
  input: unknown,
  options: { readonly max?: number; readonly name?: (key: PropertyKey) => string } = {},
): string {
  return error.issues
    .slice(0, options.max ?? 5)
    .map((issue) => {
      let value: unknown = input;
      for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
      const given = value === undefined ? "missing" : (JSON.stringify(value) ?? String(value)).slice(0, 100);
      const path = issue.path.map((key) => (options.name ?? String)(key)).join(".") || "(root)";
      const explained = explainIssue(issue, path);
      const expected = value === undefined ? `a value (required): ${explained.expected}` : explained.expected;
      const fix = value === undefined ? `add ${path}` : explained.fix;
      return `${path} (given ${given}): expected ${expected}${fix === undefined ? "" : `; ${fix}`}`;
    })
    .join("; ");
}
