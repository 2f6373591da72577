import { AggregateKeys, ParkingTotalsSchema } from "#commons/aggregates.ts";
import { type ApplyEvent, contentionLimit, readModifyWrite, tombstonePolicy } from "#commons/consumer.ts";
import { CAR_PARK_STATUS_THRESHOLDS } from "#schemas/parking.ts";
import { applyParkingChange, type ParkingChange } from "./totals.ts";

/**
 * Applies a car park event to its shard of the totals in the aggregates table (at most one write).
 * The shard holds the car parks that hash to it and their totals; `readParkingTotals` sums them.
 */
export const applyParkingEvent: ApplyEvent = async (deps, event) => {
  let change: ParkingChange;
  const { sequenceNumber, changedAt } = event.detail.metadata;
  if (event.detailType === "CarParkOccupancyChanged") {
    change = { kind: "occupancy", sequenceNumber, changedAt, park: event.detail.data };
  } else if (event.detailType === "CarParkRemoved") {
    change = { kind: "removed", sequenceNumber, changedAt, carParkId: event.detail.data.carParkId };
  } else {
    return "unchanged";
  }
  return readModifyWrite(deps.client, {
    tableName: deps.tables.aggregates!,
    // The shard of this car park: its state, position and tombstone live in that one item.
    key: AggregateKeys.parkingTotals(
      change.kind === "occupancy" ? change.park.carParkId : change.carParkId,
      deps.aggregateShards,
    ),
    ...contentionLimit(deps),
    decode: (item) => ParkingTotalsSchema.parse(item),
    apply: (current) => {
      const next = applyParkingChange(current, change, CAR_PARK_STATUS_THRESHOLDS, tombstonePolicy(deps));
      if (next === undefined) return undefined;
      // The latest change applied so far, whatever order the events came in.
      const updatedAt =
        current?.updatedAt !== undefined && current.updatedAt > changedAt ? current.updatedAt : changedAt;
      return { ...next, updatedAt };
    },
    encode: (totals) => totals,
  });
};
