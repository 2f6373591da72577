import type { CartStats, PetStats, StoredEventStats } from "#commons/aggregates.ts";
import { addDecimals, multiplyDecimal } from "#commons/decimal.ts";
import { isNewChange, type PositionState, recordChange, type TombstonePolicy } from "#commons/positions.ts";
import type { StoredEventStatus } from "#schemas/stored-events.ts";

/**
 * The pure math of store-stats. Each aggregate keeps, per source item, what that item
 * contributes and the last applied sequence number, so an update moves the right counts, a
 * removal takes them back, and a duplicate or stale event changes nothing.
 */

const NO_POSITIONS: PositionState = { positions: {} };

function countBy<K extends string>(values: Iterable<K>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** A source-item change: the item's new contribution, or `undefined` when it was removed. */
export interface KeyedChange<T> {
  readonly id: string;
  readonly sequenceNumber: string;
  /** The stream record's change time (`metadata.changedAt`). */
  readonly changedAt: string;
  readonly value: T | undefined;
}

function applyKeyed<T>(
  entries: Readonly<Record<string, T>>,
  state: PositionState | undefined,
  change: KeyedChange<T>,
  policy: TombstonePolicy,
): { entries: Record<string, T>; state: PositionState } | undefined {
  const source = { ...change, removed: change.value === undefined };
  if (!isNewChange(state, source)) return undefined;
  const next = { ...entries };
  if (change.value === undefined) delete next[change.id];
  else next[change.id] = change.value;
  return { entries: next, state: recordChange(state, source, policy) };
}

/** Pet counts from each listed pet's type. */
export function petStatsOf(pets: Record<string, string>, state: PositionState = NO_POSITIONS): PetStats {
  return {
    ...state,
    petCount: Object.keys(pets).length,
    byType: countBy(Object.values(pets)) as Record<string, number>,
    pets,
  };
}

/** Pet stats after a pet was listed, changed (`value` = its type) or removed. */
export function applyPetChange(
  current: PetStats | undefined,
  change: KeyedChange<string>,
  policy: TombstonePolicy,
): PetStats | undefined {
  const next = applyKeyed(current?.pets ?? {}, current, change, policy);
  return next === undefined ? undefined : petStatsOf(next.entries, next.state);
}

/** A cart's contribution: its item count and exact value (Σ price × quantity); empty carts are not open. */
export function cartContribution(cart: {
  readonly cartItems: readonly { readonly price: string; readonly quantity: number }[];
}): { items: number; value: string } | undefined {
  if (cart.cartItems.length === 0) return undefined;
  return {
    items: cart.cartItems.reduce((sum, line) => sum + line.quantity, 0),
    value: addDecimals(...cart.cartItems.map((line) => multiplyDecimal(line.price, line.quantity))),
  };
}

/** Open-cart totals from each open cart's contribution. */
export function cartStatsOf(carts: CartStats["carts"], state: PositionState = NO_POSITIONS): CartStats {
  const open = Object.values(carts);
  return {
    ...state,
    openCarts: open.length,
    totalItems: open.reduce((sum, c) => sum + c.items, 0),
    totalValue: addDecimals(...open.map((c) => c.value)),
    carts,
  };
}

/** Cart stats after a cart was written (`value` = its contribution) or removed. */
export function applyCartChange(
  current: CartStats | undefined,
  change: KeyedChange<{ items: number; value: string }>,
  policy: TombstonePolicy,
): CartStats | undefined {
  const next = applyKeyed(current?.carts ?? {}, current, change, policy);
  return next === undefined ? undefined : cartStatsOf(next.entries, next.state);
}

/** One user's stored-event counts from each live event's status. */
export function storedEventStatsOf(
  userId: string,
  events: Record<string, StoredEventStatus>,
  state: PositionState = NO_POSITIONS,
): StoredEventStats {
  return {
    ...state,
    userId,
    eventCount: Object.keys(events).length,
    byStatus: countBy(Object.values(events)),
    events,
  };
}

/** A user's stored-event stats after an event was stored, changed status (`value`) or removed. */
export function applyStoredEventChange(
  userId: string,
  current: StoredEventStats | undefined,
  change: KeyedChange<StoredEventStatus>,
  policy: TombstonePolicy,
): StoredEventStats | undefined {
  const next = applyKeyed(current?.events ?? {}, current, change, policy);
  return next === undefined ? undefined : storedEventStatsOf(userId, next.entries, next.state);
}
