import { describe, expect, it } from "vitest";
import { compareSequenceNumbers, parseConsumedEvent } from "#commons/consumer.ts";
import { InvalidSequenceNumberError } from "#commons/errors.ts";
import { model } from "#infra/pipeline.ts";
import { domainEvent } from "../../helpers/domain-events.ts";

const parking = model.consumers.find((c) => c.name === "parking-totals")!;

const reading = () =>
  domainEvent(
    "CarParkOccupancyChanged",
    {
      carParkId: "CP001",
      name: "Town Centre Multi-Storey",
      capacity: 450,
      occupied: 245,
      available: 205,
      percentFull: "54.4",
      status: "green",
      hourlyRate: "1.50",
      lastUpdated: "2025-11-30T16:05:12.923Z",
    },
    { sequenceNumber: "100000000000000000001" },
  );

describe("parseConsumedEvent", () => {
  it("accepts an event the consumer subscribes to and yields its parsed detail", () => {
    // Arrange
    const event = reading();

    // Act
    const result = parseConsumedEvent(event, parking.events);

    // Assert
    expect(result.success).toBe(true);
    expect(result.success && result.data.detailType).toBe("CarParkOccupancyChanged");
    expect(result.success && result.data.detail.data).toMatchObject({ hourlyRate: "1.5" });
  });

  it.each([
    {
      description: "refuses a detail that fails its schema, naming the field",
      mutate: (e: ReturnType<typeof reading>) => {
        (e.detail.data as Record<string, unknown>).occupied = "many";
      },
      reason: /occupied/,
    },
    {
      description: "refuses an event the consumer does not subscribe to",
      mutate: (e: ReturnType<typeof reading>) => {
        e["detail-type"] = "PetListed";
        e.source = "ripple.petstore";
      },
      reason: /does not subscribe to ripple\.petstore\/PetListed/,
    },
    {
      description: "refuses something that is not an EventBridge event",
      mutate: (e: ReturnType<typeof reading>) => {
        delete (e as Partial<typeof e>).source;
      },
      reason: /not an EventBridge event/,
    },
    {
      description: "refuses a sequence number that is not digits",
      mutate: (e: ReturnType<typeof reading>) => {
        e.detail.metadata.sequenceNumber = "12a";
      },
      reason: /sequenceNumber/,
    },
  ])("$description", ({ mutate, reason }) => {
    // Arrange
    const event = reading();
    mutate(event);

    // Act
    const result = parseConsumedEvent(event, parking.events);

    // Assert
    expect(result.success).toBe(false);
    expect(result.success ? "" : result.error).toMatch(reason);
  });
});

describe("compareSequenceNumbers", () => {
  it.each([
    { description: "orders numbers of different lengths by value", a: "9", b: "10", order: -1 },
    {
      description: "tells apart numbers a double cannot",
      a: "1000000000000000000000000000000000000001",
      b: "1000000000000000000000000000000000000000",
      order: 1,
    },
    { description: "finds equal numbers equal", a: "42", b: "42", order: 0 },
  ])("$description", ({ a, b, order }) => {
    // Arrange, Act, Assert
    expect(compareSequenceNumbers(a, b)).toBe(order);
  });

  it("refuses a sequence number longer than 40 digits", () => {
    // Arrange
    const tooLong = "1".repeat(41);

    // Act, Assert
    expect(() => compareSequenceNumbers(tooLong, "1")).toThrow(InvalidSequenceNumberError);
  });
});
