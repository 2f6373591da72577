import { createHash } from "node:crypto";

/**
 * A consumer's seal on the attributes it keeps on a source item (carbon-stats' statistics on a
 * CarbonTrack profile): a SHA-256 digest of those attributes exactly as DynamoDB holds them.
 *
 * The fan-out sees only the item's new image (stream view `NEW_IMAGE`), so it cannot diff a change
 * against the item before it. The seal lets it tell, from the new image alone, whether the
 * attributes are still exactly as the consumer wrote them: the consumer's own writes always carry
 * a matching seal (and become no event, so they cannot feed a loop), while a write around it that
 * erases or alters them breaks the seal (and is published for the consumer to repair). It is an
 * integrity check against accidental rewrites, not a signature: anyone who can write the item can
 * compute it.
 *
 * Hand-written: the digest must be the same over the consumer's marshalled values and the stream
 * image's attribute values, whatever order their map keys come in.
 */

/** A DynamoDB attribute value in its JSON form ({ S }, { N }, { M }, { L }, …). */
type AttributeValueLike = object;

/** The seal over `covers`, from the item's attribute values; absent attributes are part of it. */
export function sealOf(
  item: Readonly<Record<string, AttributeValueLike | undefined>>,
  covers: readonly string[],
): string {
  const hash = createHash("sha256");
  for (const name of [...covers].sort()) {
    hash.update(JSON.stringify([name, canonical(item[name] ?? null)]));
  }
  return hash.digest("hex");
}

/** True when the item carries, in `attribute`, the seal of its `covers` attributes as they are now. */
export function isSealed(
  item: Readonly<Record<string, AttributeValueLike | undefined>>,
  seal: { readonly attribute: string; readonly covers: readonly string[] },
): boolean {
  const stored = item[seal.attribute] as { S?: unknown } | undefined;
  return typeof stored?.S === "string" && stored.S === sealOf(item, seal.covers);
}

/** Objects with their keys sorted, binaries as base64, at every depth. */
function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
