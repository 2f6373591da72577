import { type ParkingTotals, ParkingTotalsSchema } from "#commons/aggregates.ts";
import { occupancyOf, type StatusThresholds } from "#commons/occupancy.ts";
import { isNewChange, type PositionState, recordChange, type TombstonePolicy } from "#commons/positions.ts";
import type { CarPark } from "#schemas/parking.ts";

/**
 * The pure math of parking-totals: applying one car park event to the totals item so that
 * duplicates and stale events change nothing. Percent full and colour follow `#commons/occupancy.ts`.
 */

/** A car park's state as parking-totals keeps it: available, percent and status derived. */
export function carParkState(park: CarPark, thresholds: StatusThresholds): CarPark {
  return { ...park, ...occupancyOf(park.capacity, park.occupied, thresholds) };
}

/** Totals item with no car park. */
export function emptyParkingTotals(): ParkingTotals {
  return ParkingTotalsSchema.parse({
    carParks: {},
    totalCapacity: 0,
    totalOccupied: 0,
    totalAvailable: 0,
    carParkCount: 0,
    positions: {},
  });
}

/** Totals across the given car parks. */
export function withTotals(
  carParks: Record<string, CarPark>,
  state: PositionState = { positions: {} },
): ParkingTotals {
  const parks = Object.values(carParks);
  return {
    ...state,
    carParks,
    totalCapacity: parks.reduce((sum, p) => sum + p.capacity, 0),
    totalOccupied: parks.reduce((sum, p) => sum + p.occupied, 0),
    totalAvailable: parks.reduce((sum, p) => sum + p.available, 0),
    carParkCount: parks.length,
  };
}

/** One car park change, as the event says it. */
export type ParkingChange = { readonly sequenceNumber: string; readonly changedAt: string } & (
  | { readonly kind: "occupancy"; readonly park: CarPark }
  | { readonly kind: "removed"; readonly carParkId: string }
);

/**
 * The totals after a change, or `undefined` when the change is a duplicate or older than what
 * was applied for that car park (its sequence number is not greater than the stored position).
 * A removal keeps its position as a tombstone (see `positions.ts`), so a stale reading that
 * arrives later cannot bring it back.
 */
export function applyParkingChange(
  current: ParkingTotals | undefined,
  change: ParkingChange,
  thresholds: StatusThresholds,
  policy: TombstonePolicy,
): ParkingTotals | undefined {
  const totals = current ?? emptyParkingTotals();
  const source = {
    id: change.kind === "occupancy" ? change.park.carParkId : change.carParkId,
    sequenceNumber: change.sequenceNumber,
    changedAt: change.changedAt,
    removed: change.kind === "removed",
  };
  if (!isNewChange(totals, source)) return undefined;
  const carParks = { ...totals.carParks };
  if (change.kind === "occupancy") carParks[source.id] = carParkState(change.park, thresholds);
  else delete carParks[source.id];
  return withTotals(carParks, recordChange(totals, source, policy));
}
