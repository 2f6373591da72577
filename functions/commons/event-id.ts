import { hash } from "node:crypto";

/**
 * Deterministic, UUID-formatted id of the event a stream record becomes.
 *
 * The same table, sequence number and detail-type always give the same id, so an event
 * published again after a retried batch or a redrive carries the id consumers already saw and
 * deduplicate on. Derived from SHA-256 and formatted as a version-8 (custom) UUID.
 *
 * @example
 * deterministicEventId("parking-data", "100000000000000000001", "CarParkOccupancyChanged");
 */
export function deterministicEventId(table: string, sequenceNumber: string, detailType: string): string {
  const hex = hash("sha256", `${table}\u0000${sequenceNumber}\u0000${detailType}`, "hex");
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
