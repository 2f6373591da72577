import { describe, expect, it } from "vitest";
import { deterministicEventId } from "#commons/event-id.ts";
import { EventMetadataSchema } from "#schemas/domain-events.ts";

describe("deterministicEventId", () => {
  it("gives the same id for the same table, sequence number and detail-type", () => {
    // Act
    const first = deterministicEventId("parking-data", "4421584500000000017450440000", "CarParkRemoved");
    const second = deterministicEventId("parking-data", "4421584500000000017450440000", "CarParkRemoved");

    // Assert
    expect(second).toBe(first);
    expect(EventMetadataSchema.shape.eventId.safeParse(first).success).toBe(true);
  });

  it.each([
    { description: "another table", args: ["PetStore", "100", "X"] },
    { description: "another sequence number", args: ["parking-data", "101", "X"] },
    { description: "another detail-type", args: ["parking-data", "100", "Y"] },
  ] as { description: string; args: [string, string, string] }[])(
    "gives a different id for $description",
    ({ args }) => {
      // Arrange
      const base = deterministicEventId("parking-data", "100", "X");

      // Act
      const other = deterministicEventId(...args);

      // Assert
      expect(other).not.toBe(base);
    },
  );
});
