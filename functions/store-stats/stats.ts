import type { CartStats, PetStats, Positions, StoredEventStats } from "#commons/aggregates.ts";
import { compareSequenceNumbers } from "#commons/consumer.ts";
import { addDecimals, multiplyDecimal } from "#commons/decimal.ts";
import type { Cart } from "#schemas/cart.ts";
import type { StoredEventStatus } from "#schemas/stored-events.ts";

/**
 * The pure math of store-stats. Each aggregate keeps, per source item, what that item
 * contributes and the last applied sequence number, so an update moves the right counts, a
 * removal takes them back, and a duplicate or stale event changes nothing.
 */

/** True when `sequenceNumber` is newer than what `positions` recorded for `id`. */
export function isNewer(positions: Positions, id: string, sequenceNumber: string): boolean {
  const applied = positions[id];
  return applied === undefined || compareSequenceNumbers(sequenceNumber, applied) > 0;
}

function countBy<K extends string>(values: Iterable<K>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** A source-item change: the item's new contribution, or `undefined` when it was removed. */
export interface KeyedChange<T> {
  readonly id: string;
  readonly sequenceNumber: string;
  readonly value: T | undefined;
}

function applyKeyed<T>(
  entries: Readonly<Record<string, T>>,
  positions: Positions,
  change: KeyedChange<T>,
): { entries: Record<string, T>; positions: Positions } | undefined {
  if (!isNewer(positions, change.id, change.sequenceNumber)) return undefined;
  const next = { ...entries };
  if (change.value === undefined) delete next[change.id];
  else next[change.id] = change.value;
  return { entries: next, positions: { ...positions, [change.id]: change.sequenceNumber } };
}

/** Pet counts from each listed pet's type. */
export function petStatsOf(pets: Record<string, string>, positions: Positions): PetStats {
  return {
    petCount: Object.keys(pets).length,
    byType: countBy(Object.values(pets)) as Record<string, number>,
    pets,
    positions,
  };
}

/** Pet stats after a pet was listed, changed (`value` = its type) or removed. */
export function applyPetChange(
  current: PetStats | undefined,
  change: KeyedChange<string>,
): PetStats | undefined {
  const next = applyKeyed(current?.pets ?? {}, current?.positions ?? {}, change);
  return next === undefined ? undefined : petStatsOf(next.entries, next.positions);
}

/** A cart's contribution: its item count and exact value (Σ price × quantity); empty carts are not open. */
export function cartContribution(cart: Cart): { items: number; value: string } | undefined {
  if (cart.cartItems.length === 0) return undefined;
  return {
    items: cart.cartItems.reduce((sum, line) => sum + line.quantity, 0),
    value: addDecimals(...cart.cartItems.map((line) => multiplyDecimal(line.price, line.quantity))),
  };
}

/** Open-cart totals from each open cart's contribution. */
export function cartStatsOf(carts: CartStats["carts"], positions: Positions): CartStats {
  const open = Object.values(carts);
  return {
    openCarts: open.length,
    totalItems: open.reduce((sum, c) => sum + c.items, 0),
    totalValue: addDecimals(...open.map((c) => c.value)),
    carts,
    positions,
  };
}

/** Cart stats after a cart was written (`value` = its contribution) or removed. */
export function applyCartChange(
  current: CartStats | undefined,
  change: KeyedChange<{ items: number; value: string }>,
): CartStats | undefined {
  const next = applyKeyed(current?.carts ?? {}, current?.positions ?? {}, change);
  return next === undefined ? undefined : cartStatsOf(next.entries, next.positions);
}

/** One user's stored-event counts from each live event's status. */
export function storedEventStatsOf(
  userId: string,
  events: Record<string, StoredEventStatus>,
  positions: Positions,
): StoredEventStats {
  return {
    userId,
    eventCount: Object.keys(events).length,
    byStatus: countBy(Object.values(events)),
    events,
    positions,
  };
}

/** A user's stored-event stats after an event was stored, changed status (`value`) or removed. */
export function applyStoredEventChange(
  userId: string,
  current: StoredEventStats | undefined,
  change: KeyedChange<StoredEventStatus>,
): StoredEventStats | undefined {
  const next = applyKeyed(current?.events ?? {}, current?.positions ?? {}, change);
  return next === undefined ? undefined : storedEventStatsOf(userId, next.entries, next.positions);
}
