import { describe, expect, it } from "vitest";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { DeclarationError } from "#infra/errors.ts";
import { startRuntime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { DomainEvents as E } from "#schemas/domain-events.ts";
import { synthesize } from "./synth.ts";

/**
 * `cdk synth` and `npm start` refuse the same declarations with the same message: both go through
 * `resolvePipeline` before building anything. Each case is tried both ways.
 */

const consumer = (name: string, change: object) =>
  pipeline.consumers.map((c) => (c.name === name ? { ...c, ...change } : c));
const source = (table: string, change: object) =>
  pipeline.sources.map((s) => (s.table === table ? { ...s, ...change } : s));

const cases: { description: string; declaration: PipelineDeclaration; message: string }[] = [
  {
    description: "a fan-out timeout of 0 s",
    declaration: { ...pipeline, fanOut: { ...pipeline.fanOut, timeoutSeconds: 0 } },
    message: "fan-out: timeoutSeconds must be an integer between 1 and 900 inclusive (given 0)",
  },
  {
    description: "a consumer with 64 MB of memory",
    declaration: { ...pipeline, consumers: consumer("store-stats", { memorySize: 64 }) },
    message: "store-stats: memorySize must be an integer between 128 and 10240 inclusive (given 64)",
  },
  {
    description: "an API timeout past Lambda's 900 s",
    declaration: { ...pipeline, api: { ...pipeline.api, timeoutSeconds: 901 } },
    message: "api: timeoutSeconds must be an integer between 1 and 900 inclusive (given 901)",
  },
  {
    description: "an archive retention of part of a day",
    declaration: { ...pipeline, bus: { ...pipeline.bus, archiveRetentionDays: 1.5 } },
    message: "bus.archiveRetentionDays must be a whole number of days, 0 meaning forever (given 1.5)",
  },
  {
    description: "an on-failure retention of no day",
    declaration: { ...pipeline, fanOut: { ...pipeline.fanOut, onFailureRetentionDays: 0 } },
    message:
      "fanOut.onFailureRetentionDays must be a whole number of days, at least 1 (given 0); S3 expires the on-failure bucket's objects after it, e.g. onFailureRetentionDays: 14",
  },
  {
    description: "API throttling with no burst",
    declaration: { ...pipeline, api: { ...pipeline.api, throttling: { rateLimit: 100, burstLimit: 0 } } },
    message:
      "api.throttling needs a positive rateLimit and a positive whole burstLimit (given rateLimit 100, burstLimit 0)",
  },
  {
    description: "a handler that does not exist",
    declaration: {
      ...pipeline,
      consumers: consumer("achievements", { handler: "functions/nope/handler.ts" }),
    },
    message: 'handler "functions/nope/handler.ts" of achievements does not exist',
  },
  {
    description: "an item schema no registry names",
    declaration: { ...pipeline, sources: source("pets", { itemSchema: "Cat" }) },
    message: 'sources[pets]: itemSchema "Cat" names no schema in schemas/items.ts',
  },
  {
    description: "a batch size of 0",
    declaration: { ...pipeline, sources: source("carts", { batchSize: 0 }) },
    message: "sources[carts]: batchSize must be an integer between 1 and 10000 inclusive (given 0)",
  },
  {
    description: "six filter patterns on one mapping",
    declaration: {
      ...pipeline,
      sources: source("pets", {
        filterPatterns: Array.from({ length: 6 }, () => ({ eventName: ["INSERT"] })),
      }),
    },
    message: "sources[pets]: filterPatterns holds 6 patterns",
  },
  {
    description: "an EventBridge event age under a minute",
    declaration: {
      ...pipeline,
      consumers: consumer("parking-totals", { retry: { maximumEventAgeInSeconds: 59 } }),
    },
    message:
      "consumers[parking-totals]: retry.maximumEventAgeInSeconds must be an integer between 60 and 86400 inclusive (given 59)",
  },
  {
    description: "a consumer fed by its own writes",
    declaration: {
      ...pipeline,
      consumers: consumer("achievements", {
        events: [E.CarbonEntryRecorded, E.CarbonEntryRemoved, E.GoalSet, E.AchievementUnlocked],
      }),
    },
    message: "consumers form a feedback loop: achievements → achievements",
  },
  {
    description: "an API table nobody declared",
    declaration: {
      ...pipeline,
      api: { ...pipeline.api, tables: { ...pipeline.api.tables, orders: ["read"] } },
    },
    message: 'api.tables names table "orders", which is not declared',
  },
  {
    description: "a hot aggregate on no shard at all",
    declaration: {
      ...pipeline,
      consumers: pipeline.consumers.map((c) => (c.name === "store-stats" ? { ...c, aggregateShards: 0 } : c)),
    },
    message:
      "consumers[store-stats]: aggregateShards must be a whole number of shard items from 1 to 256 (given 0)",
  },
  {
    description: "tombstones kept shorter than a redelivery",
    declaration: { ...pipeline, tombstoneRetentionSeconds: 3600 },
    message:
      "tombstoneRetentionSeconds must be a whole number of seconds longer than the longest automatic redelivery",
  },
];

/** The message `npm start`'s runtime refuses a declaration with, or undefined when it starts. */
async function runtimeRefusal(declaration: PipelineDeclaration): Promise<Error | undefined> {
  try {
    // Ports nothing listens on: a declaration that passes would fail later, and differently.
    const runtime = await startRuntime({
      pipeline: declaration,
      apiPort: 1,
      dynamodbPort: 1,
      eventbridgePort: 1,
    });
    await runtime.stop();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe("refused declarations", () => {
  it.each(cases)(
    "cdk synth refuses $description, naming the value and the limit",
    ({ declaration, message }) => {
      // Act
      const act = () => synthesize(["dev"], declaration);

      // Assert
      expect(act).toThrow(DeclarationError);
      expect(act).toThrow(message);
    },
  );

  it.each(cases)("npm start refuses $description with the message synth gives", async ({ declaration }) => {
    // Arrange
    let synthMessage: string | undefined;
    try {
      synthesize(["dev"], declaration);
    } catch (error) {
      synthMessage = (error as Error).message;
    }

    // Act
    const refusal = await runtimeRefusal(declaration);

    // Assert
    expect(synthMessage).toBeDefined();
    expect(refusal).toBeInstanceOf(DeclarationError);
    expect(refusal?.message).toBe(synthMessage);
  });
});
