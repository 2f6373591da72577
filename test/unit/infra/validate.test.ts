import { describe, expect, it } from "vitest";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { DeclarationError, FeedbackLoopError } from "#infra/errors.ts";
import { pipeline } from "#infra/pipeline.ts";
import { validatePipeline } from "#infra/validate.ts";
import { DomainEvents as E } from "#schemas/domain-events.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withSource(change: Partial<PipelineDeclaration["sources"][number]>): PipelineDeclaration {
  const [first, ...rest] = pipeline.sources;
  return { ...pipeline, sources: [{ ...first!, ...change }, ...rest] };
}

describe("validatePipeline", () => {
  it("accepts ripple's own declaration", () => {
    expect(validatePipeline(pipeline)).toBe(pipeline);
  });

  it.each([
    {
      description: "a batch size of 0",
      change: { batchSize: 0 },
      message: "batchSize must be an integer between 1 and 10000 inclusive (given 0)",
    },
    { description: "a batch size over 10,000", change: { batchSize: 10_001 }, message: "(given 10001)" },
    {
      description: "a batching window over 300 s",
      change: { maximumBatchingWindowInSeconds: 301 },
      message: "maximumBatchingWindowInSeconds",
    },
    { description: "retries of -2", change: { maximumRetryAttempts: -2 }, message: "(or -1) (given -2)" },
    {
      description: "a record age of 59 s",
      change: { maximumRecordAgeInSeconds: 59 },
      message: "maximumRecordAgeInSeconds",
    },
    {
      description: "an empty filter pattern",
      change: { filterPatterns: [{}] },
      message: "an empty pattern would match nothing",
    },
    {
      description: "an unknown table",
      change: { table: "nope" },
      message: 'names table "nope", which is not declared',
    },
  ])("refuses a source with $description, naming the value", ({ change, message }) => {
    // Act
    const act = () => validatePipeline(withSource(change as Partial<PipelineDeclaration["sources"][number]>));
    // Assert
    expect(act).toThrow(DeclarationError);
    expect(act).toThrow(message);
  });

  it("refuses a source table without a NEW_IMAGE stream", () => {
    // Arrange
    const tables: Mutable<PipelineDeclaration["tables"]> = { ...pipeline.tables };
    tables.parkingData = { ...tables.parkingData!, stream: undefined };
    // Act
    const act = () => validatePipeline({ ...pipeline, tables });
    // Assert
    expect(act).toThrow('table "parkingData" has no NEW_IMAGE stream');
  });

  it("refuses a change kind mapped to two events", () => {
    const act = () =>
      validatePipeline(
        withSource({
          changes: [
            { on: ["INSERT"], event: E.CarParkOccupancyChanged },
            { on: ["INSERT"], event: E.CarParkRemoved },
          ],
        }),
      );
    expect(act).toThrow("change INSERT is mapped twice");
  });

  it("refuses a consumer that would consume its own writes through a stream", () => {
    // Arrange: achievements writes carbontrack-achievements, whose INSERTs become AchievementUnlocked.
    const consumers = pipeline.consumers.map((c) =>
      c.name === "achievements" ? { ...c, events: [...c.events, E.AchievementUnlocked] } : c,
    );
    // Act
    const act = () => validatePipeline({ ...pipeline, consumers });
    // Assert
    expect(act).toThrow(FeedbackLoopError);
    expect(act).toThrow("achievements → achievements");
  });

  it("follows only the change kinds a consumer says its writes cause", () => {
    // Arrange: carbon-stats consumes UserRegistered (users' INSERTs) and only updates profiles.
    const consumers = pipeline.consumers.map((c) => {
      if (c.name !== "carbon-stats") return c;
      const { writeChanges: _modifyOnly, ...rest } = c;
      return rest;
    });

    // Act
    const withoutKinds = () => validatePipeline({ ...pipeline, consumers });

    // Assert
    expect(validatePipeline(pipeline)).toBe(pipeline);
    expect(withoutKinds).toThrow(FeedbackLoopError);
    expect(withoutKinds).toThrow("carbon-stats → carbon-stats");
  });

  it("refuses change kinds for a table the consumer does not write", () => {
    // Arrange
    const consumers = pipeline.consumers.map((c) =>
      c.name === "parking-totals" ? { ...c, writeChanges: { pets: ["MODIFY" as const] } } : c,
    );

    // Act
    const act = () => validatePipeline({ ...pipeline, consumers });

    // Assert
    expect(act).toThrow('writeChanges names table "pets", which is not in its writes');
  });

  it("refuses a sealed change mapping whose consumer does not write the table, naming it", () => {
    // Arrange: the users table's MODIFY sealed by achievements, which never writes profiles
    const sources = pipeline.sources.map((s) =>
      s.table !== "carbonUsers"
        ? s
        : {
            ...s,
            changes: s.changes.map((c) =>
              c.unlessSealed === undefined
                ? c
                : { ...c, unlessSealed: { ...c.unlessSealed, consumer: "achievements" } },
            ),
          },
    );

    // Act
    const act = () => validatePipeline({ ...pipeline, sources });

    // Assert
    expect(act).toThrow(
      'sources[carbonUsers].changes[UserStatsAltered]: unlessSealed names consumer "achievements", which does not write "carbonUsers"',
    );
  });

  it("refuses carbon-stats subscribing to a profile change that is not sealed by it: a loop", () => {
    // Arrange: the same mapping without its seal publishes every statistics write of carbon-stats
    const sources = pipeline.sources.map((s) =>
      s.table !== "carbonUsers" ? s : { ...s, changes: s.changes.map(({ unlessSealed: _seal, ...c }) => c) },
    );

    // Act
    const act = () => validatePipeline({ ...pipeline, sources });

    // Assert
    expect(act).toThrow("consumers form a feedback loop: carbon-stats → carbon-stats");
  });

  it("refuses a loop through two consumers", () => {
    // Arrange: parking-totals writes pets (PetListed), store-stats consumes PetListed and writes parking data.
    const consumers = pipeline.consumers.map((c) => {
      if (c.name === "parking-totals") return { ...c, writes: [...c.writes, "pets"] };
      if (c.name === "store-stats") return { ...c, writes: [...c.writes, "parkingData"] };
      return c;
    });
    // Act
    const act = () => validatePipeline({ ...pipeline, consumers });
    // Assert
    expect(act).toThrow(
      /feedback loop: (parking-totals → store-stats → parking-totals|store-stats → parking-totals → store-stats)/,
    );
  });

  it.each([
    {
      description: "3 asynchronous retries",
      asyncInvoke: { maximumRetryAttempts: 3 },
      message: "asyncInvoke.maximumRetryAttempts must be an integer between 0 and 2 inclusive (given 3)",
    },
    {
      description: "an event age over 6 hours",
      asyncInvoke: { maximumEventAgeInSeconds: 21_601 },
      message:
        "asyncInvoke.maximumEventAgeInSeconds must be an integer between 60 and 21600 inclusive (given 21601)",
    },
    {
      description: "a reserved concurrency of 0",
      reservedConcurrency: 0,
      message: "reservedConcurrency must be an integer between 1 and 1000 inclusive (given 0)",
    },
    {
      description: "0 aggregate shards",
      aggregateShards: 0,
      message:
        "consumers[parking-totals]: aggregateShards must be a whole number of shard items from 1 to 256 (given 0), e.g. aggregateShards: 16; set it in infra/pipeline.ts, or leave it out for 16",
    },
    {
      description: "a fractional number of aggregate shards",
      aggregateShards: 2.5,
      message: "aggregateShards must be a whole number of shard items from 1 to 256 (given 2.5)",
    },
    {
      description: "more aggregate shards than readers should Query",
      aggregateShards: 257,
      message: "aggregateShards must be a whole number of shard items from 1 to 256 (given 257)",
    },
    {
      description: "an EventBridge retry count over 185",
      retry: { maximumRetryAttempts: 186 },
      message: "retry.maximumRetryAttempts must be an integer between 0 and 185 inclusive (given 186)",
    },
  ])("refuses a consumer with $description, naming the value", ({ message, ...change }) => {
    // Arrange
    const consumers = [{ ...pipeline.consumers[0]!, ...change }];
    // Act
    const act = () => validatePipeline({ ...pipeline, consumers });
    // Assert
    expect(act).toThrow(DeclarationError);
    expect(act).toThrow(message);
  });

  it("refuses a tombstone retention shorter than the longest automatic redelivery, naming both", () => {
    // Arrange: 6 h on the stream + 24 h on the bus + 6 h in Lambda's queue = 129,600 s.
    const declaration = { ...pipeline, tombstoneRetentionSeconds: 129_600 };

    // Act
    const act = () => validatePipeline(declaration);

    // Assert
    expect(act).toThrow(DeclarationError);
    expect(act).toThrow("longer than the longest automatic redelivery, 129600 s");
    expect(act).toThrow("(given 129600)");
  });

  it("refuses a consumer name that is not kebab-case", () => {
    const consumers = [{ ...pipeline.consumers[0]!, name: "ParkingTotals" }];
    expect(() => validatePipeline({ ...pipeline, consumers })).toThrow(
      'name "ParkingTotals" must be kebab-case',
    );
  });
});
