import { describe, expect, it } from "vitest";
import { dataDirForSuite } from "../helpers/data-dir.ts";
import {
  javaPidOf,
  type RuntimeProcess,
  scanItems,
  startRuntimeProcess,
  waitUntil,
} from "../helpers/process-runtime.ts";

const ENTRIES = 150;
const WRITERS = 16;
/** Entries written before DynamoDB Local is killed. */
const KILL_AFTER = 50;

describe("DynamoDB Local killed mid-workload", () => {
  const data = dataDirForSuite<RuntimeProcess>("ripple-supervision-");

  it("is reported on /health, started again on the same data, and the aggregates end exact", async () => {
    // Arrange
    const started = await data.start((dataDir) => startRuntimeProcess(["--data", dataDir]));
    await started.call("POST", "/users", { userId: "lin", name: "Lin", email: "lin@example.com" });
    let expectedKg = 0;
    const entries = Array.from({ length: ENTRIES }, (_, i) => {
      const kg = (i % 9) + 1;
      expectedKg += kg;
      return {
        category: "energy",
        activity: `meter ${i}`,
        kgCO2e: String(kg),
        timestamp: new Date(Date.UTC(2025, 9, 1, 0, i)).toISOString(),
      };
    });
    /** Writes one entry until the API says it is stored: 201, or 409 when an earlier try stored it. */
    const writeOnce = async (entry: (typeof entries)[number]) => {
      for (;;) {
        const response = await fetch(`${started.api}/users/lin/entries`, {
          method: "POST",
          headers: { authorization: `Bearer ${started.token}`, "content-type": "application/json" },
          body: JSON.stringify(entry),
        }).catch(() => undefined);
        await response?.arrayBuffer();
        if (response?.status === 201 || response?.status === 409) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const healthSeen: { status: number; body: string }[] = [];
    let written = 0;
    let killed = false;
    const killJava = async () => {
      const java = javaPidOf(started.child.pid as number);
      if (java === undefined) throw new Error("no java process under the runtime");
      process.kill(java, "SIGKILL");
      await waitUntil(async () => {
        const response = await fetch(`${started.api}/health`);
        healthSeen.push({ status: response.status, body: await response.text() });
        return response.status === 503;
      }, 10_000);
    };

    // Act: 16 writers; java is killed with SIGKILL after the first 50 entries.
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < entries.length) {
          await writeOnce(entries[next++]!);
          written++;
          if (written === KILL_AFTER && !killed) {
            killed = true;
            await killJava();
          }
        }
      }),
    );
    const converged = await waitUntil(
      async () => {
        const profile = (await started.call("GET", "/users/lin")) as { stats?: { entryCount?: number } };
        return profile.stats?.entryCount === ENTRIES;
      },
      300_000,
      1_000,
    );

    // Assert
    const profile = (await started.call("GET", "/users/lin")) as {
      stats: { entryCount: number; totalKgCO2e: number };
    };
    const health = await fetch(`${started.api}/health`);
    expect(healthSeen.at(-1)).toEqual({
      status: 503,
      body: expect.stringContaining("DynamoDB Local: java exited (SIGKILL)"),
    });
    expect(
      converged,
      `entryCount ${profile.stats.entryCount} of ${ENTRIES}; the runtime's last output:\n${started.output().slice(-4000)}`,
    ).toBe(true);
    expect(profile.stats.entryCount).toBe(ENTRIES);
    expect(profile.stats.totalKgCO2e).toBe(expectedKg);
    expect(health.status).toBe(200);
    expect(await scanItems(started.dynamodb, "ripple-set-aside")).toEqual([]);
    expect(started.output()).toContain("DynamoDB Local restarted");
  }, 480_000);
});
