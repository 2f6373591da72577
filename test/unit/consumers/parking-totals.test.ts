import { describe, expect, it } from "vitest";
import { CAR_PARK_STATUS_THRESHOLDS, type CarPark } from "#schemas/parking.ts";
import {
  applyParkingChange,
  type ParkingChange,
  percentFull,
  statusColour,
} from "../../../functions/parking-totals/totals.ts";

const thresholds = { amberAtPercent: 70, redAtPercent: 90 };
const policy = { retentionSeconds: 7 * 24 * 3600, now: new Date("2025-12-01T00:00:00.000Z") };
const changedAt = "2025-11-30T16:05:12.000Z";

function park(id: string, occupied: number, capacity = 200): CarPark {
  return {
    carParkId: id,
    name: `Car park ${id}`,
    capacity,
    occupied,
    available: capacity - occupied,
    percentFull: "0",
    status: "green",
    hourlyRate: "1.5",
    lastUpdated: "2025-11-30T16:05:12.923Z",
  };
}

const reading = (id: string, occupied: number, sequenceNumber: string): ParkingChange => ({
  kind: "occupancy",
  sequenceNumber,
  changedAt,
  park: park(id, occupied),
});

describe("percentFull", () => {
  it.each([
    { description: "rounds to one decimal", occupied: 245, capacity: 450, percent: "54.4" },
    { description: "rounds half up", occupied: 1, capacity: 8, percent: "12.5" },
    { description: "rounds a repeating fraction half up", occupied: 2, capacity: 3, percent: "66.7" },
    { description: "is 100 when full", occupied: 450, capacity: 450, percent: "100" },
    { description: "is 0 when empty", occupied: 0, capacity: 450, percent: "0" },
    { description: "is 100 without capacity", occupied: 0, capacity: 0, percent: "100" },
  ])("$description", ({ occupied, capacity, percent }) => {
    // Arrange, Act, Assert
    expect(percentFull(occupied, capacity)).toBe(percent);
  });
});

describe("statusColour", () => {
  it.each([
    { description: "is green below amber", percent: "69.9", colour: "green" },
    { description: "is amber at the amber threshold", percent: "70", colour: "amber" },
    { description: "is amber just below red", percent: "89.9", colour: "amber" },
    { description: "is red at the red threshold", percent: "90", colour: "red" },
    { description: "is red when full", percent: "100", colour: "red" },
  ])("$description", ({ percent, colour }) => {
    // Arrange, Act, Assert
    expect(statusColour(percent, thresholds)).toBe(colour);
  });

  it("uses seed 000's thresholds: amber from 70, red from 90", () => {
    // Arrange
    const thresholds = CAR_PARK_STATUS_THRESHOLDS;

    // Act, Assert
    expect(statusColour("69.9", thresholds)).toBe("green");
    expect(statusColour("70", thresholds)).toBe("amber");
    expect(statusColour("90", thresholds)).toBe("red");
  });
});

describe("applyParkingChange", () => {
  it("totals the latest reading of every car park", () => {
    // Arrange
    let totals = applyParkingChange(undefined, reading("CP1", 150, "100"), thresholds, policy);

    // Act
    totals = applyParkingChange(totals, reading("CP2", 190, "200"), thresholds, policy);

    // Assert
    expect(totals).toMatchObject({
      totalCapacity: 400,
      totalOccupied: 340,
      totalAvailable: 60,
      carParkCount: 2,
    });
    expect(totals?.carParks.CP1).toMatchObject({ percentFull: "75", status: "amber", available: 50 });
    expect(totals?.carParks.CP2).toMatchObject({ percentFull: "95", status: "red" });
  });

  it.each([
    { description: "ignores a duplicate", sequenceNumber: "100000000000000000010" },
    {
      description: "ignores a stale reading (compared as big integers)",
      sequenceNumber: "99999999999999999999",
    },
  ])("$description", ({ sequenceNumber }) => {
    // Arrange
    const totals = applyParkingChange(
      undefined,
      reading("CP1", 150, "100000000000000000010"),
      thresholds,
      policy,
    );

    // Act
    const next = applyParkingChange(totals, reading("CP1", 10, sequenceNumber), thresholds, policy);

    // Assert
    expect(next).toBeUndefined();
  });

  it("keeps a removed car park removed when an older reading arrives later", () => {
    // Arrange
    const added = applyParkingChange(undefined, reading("CP1", 150, "5"), thresholds, policy);
    const removed = applyParkingChange(
      added,
      { kind: "removed", carParkId: "CP1", sequenceNumber: "9", changedAt },
      thresholds,
      policy,
    );

    // Act
    const stale = applyParkingChange(removed, reading("CP1", 150, "7"), thresholds, policy);

    // Assert
    expect(removed).toMatchObject({ carParkCount: 0, totalCapacity: 0 });
    expect(stale).toBeUndefined();
  });
});
