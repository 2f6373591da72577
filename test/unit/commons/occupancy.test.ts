import { describe, expect, it } from "vitest";
import { occupancyOf } from "#commons/occupancy.ts";
import { CAR_PARK_STATUS_THRESHOLDS, type CarPark } from "#schemas/parking.ts";
import { carParkView } from "../../../functions/api/routes/parking.ts";
import { carParkState } from "../../../functions/parking-totals/totals.ts";

/** Seed 000's thresholds, as the API and parking-totals use them: amber from 70, red from 90. */
const thresholds = CAR_PARK_STATUS_THRESHOLDS;

function reading(capacity: number, occupied: number): CarPark {
  return {
    carParkId: "CP001",
    name: "Town Centre Multi-Storey",
    capacity,
    occupied,
    available: 0,
    percentFull: "0",
    status: "green",
    hourlyRate: "1.5",
    lastUpdated: "2025-11-30T16:05:12.923Z",
  };
}

describe("occupancyOf", () => {
  it.each([
    {
      description: "an empty car park is green",
      capacity: 450,
      occupied: 0,
      percent: "0",
      shown: "0.0",
      status: "green",
    },
    {
      description: "a seed reading rounds to one decimal",
      capacity: 450,
      occupied: 245,
      percent: "54.4",
      shown: "54.4",
      status: "green",
    },
    {
      description: "a half tenth rounds up",
      capacity: 8,
      occupied: 1,
      percent: "12.5",
      shown: "12.5",
      status: "green",
    },
    {
      description: "a repeating fraction rounds half up",
      capacity: 3,
      occupied: 2,
      percent: "66.7",
      shown: "66.7",
      status: "green",
    },
    {
      description: "just below 70 % is green",
      capacity: 1000,
      occupied: 699,
      percent: "69.9",
      shown: "69.9",
      status: "green",
    },
    {
      description: "exactly 70 % is amber",
      capacity: 300,
      occupied: 210,
      percent: "70",
      shown: "70.0",
      status: "amber",
    },
    {
      description: "just below 90 % is amber",
      capacity: 1000,
      occupied: 899,
      percent: "89.9",
      shown: "89.9",
      status: "amber",
    },
    {
      description: "a share that rounds to 90 % is red",
      capacity: 10_000,
      occupied: 8995,
      percent: "90",
      shown: "90.0",
      status: "red",
    },
    {
      description: "exactly 90 % is red",
      capacity: 200,
      occupied: 180,
      percent: "90",
      shown: "90.0",
      status: "red",
    },
    {
      description: "a full car park is red",
      capacity: 100,
      occupied: 100,
      percent: "100",
      shown: "100.0",
      status: "red",
    },
    {
      description: "capacity 0 has no space: full and red",
      capacity: 0,
      occupied: 0,
      percent: "100",
      shown: "100.0",
      status: "red",
    },
  ])(
    "$description, in the API and in parking-totals alike",
    ({ capacity, occupied, percent, shown, status }) => {
      // Arrange
      const expected = { available: capacity - occupied, percentFull: percent, status };

      // Act
      const stored = occupancyOf(capacity, occupied, thresholds);
      const kept = carParkState(reading(capacity, occupied), thresholds);
      const view = carParkView({ ...reading(capacity, occupied), ...stored });

      // Assert
      expect(stored).toEqual(expected);
      expect({ available: kept.available, percentFull: kept.percentFull, status: kept.status }).toEqual(
        expected,
      );
      expect({ percentFull: view.percentFull.text, status: view.status }).toEqual({
        percentFull: shown,
        status,
      });
    },
  );

  it.each([
    { description: "amber at 50 %", amberAtPercent: 50, redAtPercent: 95, percent: 50, status: "amber" },
    { description: "red at 80.5 %", amberAtPercent: 60, redAtPercent: 80.5, percent: 80.5, status: "red" },
    {
      description: "amber just below a fractional red",
      amberAtPercent: 60,
      redAtPercent: 80.5,
      percent: 80.4,
      status: "amber",
    },
  ])(
    "follows the thresholds it is given: $description",
    ({ amberAtPercent, redAtPercent, percent, status }) => {
      // Arrange: a capacity of 1000 makes every tenth of a percent one space.
      const spaces = Math.round(percent * 10);

      // Act
      const result = occupancyOf(1000, spaces, { amberAtPercent, redAtPercent });

      // Assert
      expect(result.status).toBe(status);
    },
  );
});
