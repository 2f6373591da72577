import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { partitionItems, scanItems } from "../helpers/process-runtime.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

const WRITERS = 32;
const PETS = 2_000;
const TYPES = ["frog", "cat", "dog", "parrot", "tortoise", "emu"] as const;

describe(`a burst of ${PETS} pets from ${WRITERS} concurrent writers`, () => {
  let runtime: Runtime;
  const expected: Record<string, number> = {};

  beforeAll(async () => {
    // Lambda's own retry delays (1 and 2 minutes, jittered): a burst must converge without
    // leaning on retries, and every retry it needs is a real one.
    runtime = await startTestRuntime({ asyncRetryDelayMs: 60_000 });
    /**
     * Calls the API; a refused connection or a 5xx under the burst is tried again with the same
     * Idempotency-Key, so a write the API did make is not made twice.
     */
    const post = async (path: string, body: unknown, key?: string) => {
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(`${runtime.endpoints.api}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: {
            authorization: `Bearer ${runtime.apiToken}`,
            "content-type": "application/json",
            ...(key === undefined ? {} : { "idempotency-key": key }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).catch((error: unknown) => error as Error);
        if (!(response instanceof Error) && response.status < 500) {
          if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
          return response.json() as Promise<unknown>;
        }
        if (!(response instanceof Error)) await response.arrayBuffer();
        if (attempt === 20) throw new Error(`${path} failed 20 times: ${String(response)}`);
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    };
    for (const pet of (await post("/pets", undefined)) as { type: string }[]) {
      expected[pet.type] = (expected[pet.type] ?? 0) + 1;
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < PETS) {
          const i = next++;
          const type = TYPES[i % TYPES.length]!;
          await post("/pets", { name: `Burst ${i}`, type, price: "9.99" }, `burst-pet-${i}`);
          expected[type] = (expected[type] ?? 0) + 1;
        }
      }),
    );
    await runtime.settled({ timeoutMs: 400_000 });
  }, 600_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("counts every pet, summed over the shards, as the ledger does", async () => {
    // Act
    const shards = await partitionItems(runtime.dynamodb, "ripple-aggregates", "store-stats#pets");
    const counted: Record<string, number> = {};
    for (const shard of shards) {
      for (const [type, n] of Object.entries(shard.byType as Record<string, number>)) {
        counted[type] = (counted[type] ?? 0) + Number(n);
      }
    }
    // Assert
    expect(counted).toEqual(expected);
  });

  it("sends no event to a dead-letter queue", async () => {
    // Act
    const setAside = await scanItems(runtime.dynamodb, "ripple-set-aside");
    const deadLetters = runtime.stats().rows.filter((r) => r.name.endsWith("dead letters"));
    // Assert
    expect(setAside).toEqual([]);
    expect(deadLetters).toEqual([]);
  });

  it("passes the audit", async () => {
    // Act
    const differences = await auditAll(runtime.dynamodb, auditTableNames(pipeline, {}));
    // Assert
    expect(differences).toEqual([]);
  });
});
