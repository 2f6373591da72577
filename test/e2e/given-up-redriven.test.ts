import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSetAside } from "#commons/set-aside.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runRedrive } from "#infra/redrive/cli.ts";
import { parkingTotalsSummed } from "../helpers/parking-totals.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

/**
 * The whole way of a batch Lambda gives up on, locally: the bus refuses every PutEvents, the
 * parking-data mapping (no retries here, a 3 s fan-out) gives the batch up to the on-failure store
 * under `--data`, and once the bus takes events again `npm run redrive` replays the stored records
 * and the totals come out as this test sums them.
 */

const PARKS = [
  { id: "cp-quay", capacity: 300n, occupied: 120n },
  { id: "cp-market", capacity: 80n, occupied: 79n },
];

const declaration = {
  ...pipeline,
  fanOut: { ...pipeline.fanOut, timeoutSeconds: 3 },
  sources: pipeline.sources.map((s) =>
    s.table === "parkingData" ? { ...s, maximumRetryAttempts: 0, bisectBatchOnFunctionError: false } : s,
  ),
};

describe("a stream batch given up locally, then redriven", () => {
  let runtime: Runtime;
  let data: string;
  const faults = (method: "PUT" | "DELETE", body?: object) =>
    fetch(`${runtime.endpoints.api}/local/faults`, {
      method,
      headers: { authorization: `Bearer ${runtime.apiToken}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const storedObjects = () => {
    const dir = join(data, "on-failure");
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
      statSync(join(dir, f)).isFile(),
    );
  };

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "ripple-given-up-"));
    runtime = await startTestRuntime({ pipeline: declaration, seedData: false, dataDir: data });
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    if (data !== undefined) rmSync(data, { recursive: true, force: true });
  });

  it("keeps the records in the on-failure store and puts them through once redriven", async () => {
    // Arrange: the bus refuses everything while the car parks are written.
    expect((await faults("PUT", { putEventsThrottle: 1 })).status).toBe(200);
    for (const p of PARKS) {
      await runtime.dynamodb.send(
        new PutItemCommand({
          TableName: "parking-data",
          Item: {
            carParkId: { S: p.id },
            name: { S: p.id },
            capacity: { N: String(p.capacity) },
            occupied: { N: String(p.occupied) },
            available: { N: String(p.capacity - p.occupied) },
            percentFull: { N: "0" },
            status: { S: "green" },
            hourlyRate: { N: "1.50" },
            lastUpdated: { S: "2026-12-02T12:00:00.000Z" },
          },
        }),
      );
    }
    const deadline = Date.now() + 90_000;
    const givenUp = async () =>
      (await readSetAside(runtime.dynamodb, "ripple-set-aside")).items.filter(
        (i) => i.kind === "stream-batch-failure",
      );
    while ((await givenUp()).reduce((n, i) => n + ("batchSize" in i ? i.batchSize : 0), 0) < PARKS.length) {
      if (Date.now() > deadline) throw new Error("the mapping gave nothing up within 90 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await faults("DELETE")).status).toBe(200);
    const stored = storedObjects();

    // Act
    const lines: string[] = [];
    const code = await runRedrive(["--only", "on-failure"], {
      out: (line) => lines.push(line),
      err: (line) => lines.push(line),
      dynamodb: runtime.dynamodb,
    });
    await runtime.settled({ timeoutMs: 120_000 });

    // Assert
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((f) => f.startsWith(join("aws", "lambda")))).toBe(true);
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith("redriven on-failure:"))).toHaveLength(stored.length);
    expect(storedObjects()).toEqual([]);
    expect(await givenUp()).toEqual([]);
    const totals = await parkingTotalsSummed(runtime.dynamodb);
    expect(totals).toBeDefined();
    const sum = (f: "capacity" | "occupied") => PARKS.reduce((n, p) => n + p[f], 0n);
    expect(totals?.carParkCount).toBe(BigInt(PARKS.length));
    expect(totals?.totalCapacity).toBe(sum("capacity"));
    expect(totals?.totalOccupied).toBe(sum("occupied"));
  }, 240_000);
});
