import { createHash } from "node:crypto";
import { ValidationError } from "./errors.ts";

/**
 * Opaque listing cursors (`nextToken`): the last key a page read, bound to the listing and the
 * range it came from, with a checksum so an altered token is refused with a 400 instead of
 * silently starting somewhere else.
 *
 * Hand-written: DynamoDB's `LastEvaluatedKey` is the position, but handing it out raw would let
 * a caller start another user's listing; the SDK has no cursor encoding.
 */

interface CursorBody {
  /** Version of the encoding. */
  readonly v: 1;
  /** What the cursor continues: listing name and its bounds. */
  readonly scope: string;
  /** The last key read, as plain strings. */
  readonly key: Record<string, string>;
}

const checksum = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 16);

/** A `nextToken` for the page after `key`, in the listing described by `scope`. */
export function encodeCursor(scope: string, key: Record<string, string>): string {
  const body = Buffer.from(JSON.stringify({ v: 1, scope, key } satisfies CursorBody)).toString("base64url");
  return `${body}.${checksum(body)}`;
}

/**
 * The key a `nextToken` continues after, or a {@link ValidationError} naming the token when it
 * was altered, cut, or given with another listing or range than the one that produced it.
 */
export function decodeCursor(
  token: string,
  scope: string,
  keyNames: readonly string[],
): Record<string, string> {
  const refuse = (why: string) =>
    new ValidationError(
      `query.nextToken (given ${JSON.stringify(token.length > 80 ? `${token.slice(0, 80)}…` : token)}) ${why}; pass the nextToken of the previous response unchanged, with the same path, from and to — or leave it out to start from the first page`,
      [
        {
          path: "query.nextToken",
          value: token,
          expected: "the nextToken a previous page of this same listing answered with",
        },
      ],
    );
  const [body = "", sum, extra] = token.split(".");
  if (sum === undefined || extra !== undefined || checksum(body) !== sum) {
    throw refuse("is not a token this API gave out, or was altered");
  }
  let parsed: CursorBody;
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as CursorBody;
  } catch {
    throw refuse("cannot be read");
  }
  if (parsed.v !== 1 || parsed.scope !== scope) throw refuse("belongs to another listing or range");
  const key = parsed.key ?? {};
  if (
    !keyNames.every((name) => typeof key[name] === "string") ||
    Object.keys(key).length !== keyNames.length
  ) {
    throw refuse("does not hold a position of this listing");
  }
  return key;
}
