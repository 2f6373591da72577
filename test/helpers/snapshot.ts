import { expect } from "vitest";

/** Asset hashes change with every handler edit; the snapshot keeps their place, not their value. */
const ASSET_HASH = /\b[0-9a-f]{64}\b/g;

/**
 * Replaces what changes without the topology changing (asset hashes of the bundled code) so a
 * template snapshot fails only when the infrastructure does.
 */
export function normalizeTemplate(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(ASSET_HASH, "[asset hash]"));
}

/** Asserts the whole template against the stored snapshot, asset hashes normalised. */
export function expectTemplateSnapshot(template: unknown): void {
  expect(normalizeTemplate(template)).toMatchSnapshot();
}
