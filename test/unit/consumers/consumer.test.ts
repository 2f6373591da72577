import { describe, expect, it } from "vitest";
import { compareSequenceNumbers, createConsumerHandler, parseConsumedEvent } from "#commons/consumer.ts";
import { InvalidSequenceNumberError } from "#commons/errors.ts";
import { model } from "#infra/pipeline.ts";
import { domainEvent } from "../../helpers/domain-events.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

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

describe("createConsumerHandler", () => {
  const env = functionEnvironments();
  const event = domainEvent(
    "PetListed",
    { id: 7, name: "Rex", type: "dog", price: "249.99" },
    { sequenceNumber: "100000000000000000007" },
  );

  it("gives the work the invocation's remaining time and the declared shard count", async () => {
    // Arrange
    const seen: { remaining?: number; shards?: number } = {};
    const handler = createConsumerHandler(
      "store-stats",
      async (deps) => {
        seen.remaining = deps.remainingTimeMs?.();
        seen.shards = deps.aggregateShards;
        return "unchanged";
      },
      env,
    );

    // Act
    const outcome = await handler(event, { getRemainingTimeInMillis: () => 12_345 });

    // Assert
    expect(outcome).toBe("unchanged");
    expect(seen).toEqual({
      remaining: 12_345,
      shards: model.consumers.find((c) => c.name === "store-stats")!.aggregateShards,
    });
  });

  it("leaves the time unbounded by an invocation when called without a Lambda context", async () => {
    // Arrange
    let remaining: (() => number) | undefined = () => 0;
    const handler = createConsumerHandler(
      "store-stats",
      async (deps) => {
        remaining = deps.remainingTimeMs;
        return "unchanged";
      },
      env,
    );

    // Act
    await handler(event);

    // Assert
    expect(remaining).toBeUndefined();
  });
});
