import { describe, expect, it } from "vitest";
import { CONSUMER_REJECTED_REASON_CODE } from "#commons/consumer.ts";
import { BeyondTombstoneRetentionError } from "#commons/errors.ts";
import { resolvePipeline } from "#infra/model.ts";
import { pipeline } from "#infra/pipeline.ts";
import {
  LoopDepthExceededError,
  MalformedRecordError,
  OversizedEventError,
  SchemaViolationError,
  UnknownSourceTableError,
} from "../../../functions/fan-out/errors.ts";

describe("resolvePipeline", () => {
  it.each([
    {
      description: "a consumer's timeout",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.timeoutSeconds,
      expected: 30,
    },
    {
      description: "a consumer's memory",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.memorySize,
      expected: 256,
    },
    {
      description: "EventBridge's retry attempts",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.targetRetry.maximumRetryAttempts,
      expected: 185,
    },
    {
      description: "EventBridge's event age",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.targetRetry.maximumEventAgeInSeconds,
      expected: 86_400,
    },
    {
      description: "Lambda's asynchronous retries",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.asyncInvoke.maximumRetryAttempts,
      expected: 2,
    },
    {
      description: "a consumer's aggregate shards",
      read: (m: ReturnType<typeof resolvePipeline>) => m.consumers[0]!.aggregateShards,
      expected: 16,
    },
    {
      description: "the archive's retention",
      read: (m: ReturnType<typeof resolvePipeline>) => m.bus.archiveRetentionDays,
      expected: 30,
    },
    {
      description: "the on-failure bucket's retention",
      read: (m: ReturnType<typeof resolvePipeline>) => m.fanOut.onFailureRetentionDays,
      expected: 14,
    },
    {
      description: "a mapping's batch size",
      read: (m: ReturnType<typeof resolvePipeline>) => m.fanOut.sources[0]!.mapping.batchSize,
      expected: 100,
    },
  ])("fills in $description when the declaration leaves it out", ({ read, expected }) => {
    // Arrange
    const [first] = pipeline.consumers;
    const { timeoutSeconds: _t, memorySize: _m, retry: _r, asyncInvoke: _a, ...bare } = first!;
    const { batchSize: _b, ...source } = pipeline.sources[0]!;
    const declaration = {
      ...pipeline,
      bus: { name: pipeline.bus.name },
      fanOut: { ...pipeline.fanOut, onFailureRetentionDays: undefined },
      consumers: [bare, ...pipeline.consumers.slice(1)],
      sources: [source, ...pipeline.sources.slice(1)],
    };

    // Act
    const model = resolvePipeline(declaration);

    // Assert
    expect(read(model)).toBe(expected);
  });

  it("returns a model nobody can change afterwards", () => {
    // Act
    const model = resolvePipeline(pipeline);

    // Assert
    expect(Object.isFrozen(model)).toBe(true);
    expect(Object.isFrozen(model.consumers[0]!.tables)).toBe(true);
    expect(() => {
      (model.api as { maxBodyBytes: number }).maxBodyBytes = 1;
    }).toThrow(TypeError);
  });

  it("names the public routes from the routes marked public", () => {
    // Act
    const model = resolvePipeline(pipeline);

    // Assert
    expect(model.api.publicRoutes).toEqual([
      { method: "GET", path: "/health" },
      { method: "GET", path: "/openapi.json" },
    ]);
  });

  it("grants a consumer reads, writes with the reads they need, and adding set-aside items", () => {
    // Act
    const model = resolvePipeline(pipeline);
    const achievements = model.consumers.find((c) => c.name === "achievements")!;

    // Assert
    expect(achievements.tables.map((g) => [g.table, g.access])).toEqual([
      ["aggregates", ["read", "write"]],
      ["carbonEntries", ["read"]],
      ["carbonGoals", ["read"]],
      ["carbonAchievements", ["read", "write"]],
      ["setAside", ["put"]],
    ]);
  });
});

describe("set-aside contract", () => {
  it("lists as the fan-out's reason codes exactly the errors it sets records aside with", () => {
    // Arrange
    const setAsideErrors = [
      new MalformedRecordError("m"),
      new UnknownSourceTableError("u"),
      new SchemaViolationError("s"),
      new LoopDepthExceededError("l"),
      new OversizedEventError("o"),
    ];

    // Act
    const names = setAsideErrors.map((e) => e.name);

    // Assert
    expect(resolvePipeline(pipeline).setAside.reasonCodes.fanOut).toEqual([
      ...names,
      "RejectedByEventBridge",
    ]);
  });

  it("lists as a consumer's reason codes the rejection and the error it sets aside", () => {
    // Act
    const codes = resolvePipeline(pipeline).setAside.reasonCodes.consumer;

    // Assert
    expect(codes).toEqual([CONSUMER_REJECTED_REASON_CODE, new BeyondTombstoneRetentionError("b").name]);
  });
});
