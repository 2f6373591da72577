import { describe, expect, it } from "vitest";
import { settle } from "#infra/local/runtime-dashboard.ts";

type Parts = Parameters<typeof settle>[0];

/** Parts of a runtime whose bus never drains (a delivery retried for hours), and that are otherwise idle. */
function busNeverDrains(): Parts {
  return {
    mappings: [],
    eventBridge: { drained: () => new Promise<void>(() => {}) } as unknown as Parts["eventBridge"],
    consumers: [],
    stats: () => ({ rows: [] }) as unknown as ReturnType<Parts["stats"]>,
  };
}

describe("settle", () => {
  it("gives up at its timeout with a clear error while the bus is still delivering", async () => {
    // Arrange
    const parts = busNeverDrains();

    // Act
    const settled = settle(parts, { timeoutMs: 50 });

    // Assert
    await expect(settled).rejects.toThrow("the pipeline did not settle within 50 ms");
  });

  it("resolves once everything is idle", async () => {
    // Arrange
    const parts: Parts = {
      ...busNeverDrains(),
      eventBridge: { drained: async () => {} } as Parts["eventBridge"],
    };

    // Act
    const settled = settle(parts, { timeoutMs: 1_000 });

    // Assert
    await expect(settled).resolves.toBeUndefined();
  });
});
