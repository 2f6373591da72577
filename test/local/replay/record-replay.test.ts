import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DeleteItemCommand, paginateScan } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { callApi, startTestRuntime } from "../../helpers/runtime.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ripple-record-"));
const recording = join(dir, "rec.jsonl");
/** Tables the consumers write: what a replay must reproduce. */
const written = [...new Set(pipeline.consumers.flatMap((c) => c.writes))].map(
  (k) => pipeline.tables[k]!.tableName,
);

/**
 * An item's value as canonical JSON (attributes sorted), so two runs compare by value. When, how
 * often and through which event an aggregate was written (`updatedAt`, its optimistic-lock
 * `version`, `rippleOrigin`, and the profile's `statsSeal`, a digest that covers `updatedAt`) is no
 * part of it: duplicates and order change those, never the value.
 */
function canonical(value: unknown): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== "object" || v === null) return v;
    const entries = Object.entries(v).filter(
      ([k]) => !["updatedAt", "version", "rippleOrigin", "statsSeal"].includes(k),
    );
    return entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, strip(x)]);
  };
  return JSON.stringify(strip(value));
}

async function replay(...args: string[]) {
  const out = join(dir, `out-${args.length}-${Date.now()}.json`);
  const result = await run("npx", ["tsx", "infra/replay/main.ts", ...args, "--out", out], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR" },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  const code = "code" in result ? result.code : 0;
  const tables =
    code === 0 ? (JSON.parse(readFileSync(out, "utf8")) as Record<string, Record<string, unknown>[]>) : {};
  return { code, stdout: result.stdout, stderr: result.stderr, tables };
}

describe("npm start -- --record, then npm run replay", () => {
  let runtime: Runtime;
  const recorded: Record<string, string[]> = {};

  beforeAll(async () => {
    runtime = await startTestRuntime({ recordFile: recording });
    const call = (method: string, path: string, body?: unknown) => callApi(runtime, method, path, body);
    // Arrange: every seed system written through the API, with updates and a removal.
    await call("POST", "/users", { userId: "ada", name: "Ada", email: "ada@example.com" });
    for (const [i, kg] of ["2.5", "1.25", "0.125"].entries()) {
      await call("POST", "/users/ada/entries", {
        category: "transport",
        activity: `ride ${i}`,
        kgCO2e: kg,
        timestamp: `2025-12-0${i + 1}T08:00:00.000Z`,
      });
    }
    await call("PUT", "/car-parks/CP001/occupancy", { occupied: 400 });
    await call("PUT", "/car-parks/CP002/occupancy", { occupied: 12 });
    await call("POST", "/pets", { name: "Sweety", type: "frog", price: "20.25" });
    // A removal, written around the API as users also do.
    await runtime.dynamodb.send(new DeleteItemCommand({ TableName: "PetStore", Key: { id: { N: "2" } } }));
    await call("POST", "/carts/ada/items", {
      bookId: "b1",
      title: "T",
      author: "A",
      price: "15.99",
      quantity: 2,
    });
    await call("POST", "/users/ada/events", { event_type: "login" });
    await runtime.settled({ timeoutMs: 60_000 });
    for (const table of written) {
      recorded[table] = [];
      for await (const page of paginateScan({ client: runtime.dynamodb }, { TableName: table })) {
        for (const item of page.Items ?? []) recorded[table].push(canonical(item));
      }
      recorded[table].sort();
    }
    await runtime.stop();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it("records each delivered stream record once, in Lambda's shape", () => {
    // Act
    const lines = readFileSync(recording, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));

    // Assert
    expect(lines.length).toBeGreaterThan(20);
    expect(new Set(lines.map((r) => `${r.eventSourceARN}#${r.dynamodb.SequenceNumber}`)).size).toBe(
      lines.length,
    );
    expect(lines[0]).toMatchObject({
      eventSource: "aws:dynamodb",
      dynamodb: { StreamViewType: "NEW_IMAGE" },
    });
  });

  it.each([
    { description: "as recorded", flags: [] },
    {
      description: "with half the batches sent again and delivery shuffled",
      flags: ["--duplicate", "0.5", "--shuffle", "--seed", "5"],
    },
  ])(
    "reproduces the same aggregates in a fresh runtime, $description, and the audit agrees",
    async ({ flags }) => {
      // Act
      const result = await replay(recording, ...flags);

      // Assert
      expect(result.stderr).not.toMatch(/replay:/);
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/audit: no difference/);
      for (const table of written) {
        expect((result.tables[table] ?? []).map(canonical).sort(), table).toEqual(recorded[table]);
      }
    },
  );

  it("replays the whole events/ folder, listing every set-aside record with its reason", async () => {
    // Arrange: the large-* records are made, not recorded (events/README.md): their images are
    // over DynamoDB's 400 KB item size, so no table's stream could carry them.
    const made = ["large-under-limit", "large-at-limit", "large-undeliverable", "large-over-limit"];

    // Act
    const result = await replay("events/");

    // Assert
    expect(result.code, result.stdout).toBe(0);
    for (const reason of ["SchemaViolationError", "MalformedRecordError", "LoopDepthExceededError"]) {
      expect(result.stdout).toContain(reason);
    }
    for (const name of made) {
      expect(result.stdout).toMatch(
        new RegExp(`not stored: events .*evt-${name.replace("-limit", "")}.*not replayed`),
      );
    }
    expect(result.stdout).toMatch(/audit: no difference/);
  });

  it("replays the recorded events given file by file", async () => {
    // Arrange
    const files = readdirSync("events", { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".json") && !f.includes("large-"))
      .map((f) => join("events", f));

    // Act
    const result = await replay(...files);

    // Assert
    expect(result.code, result.stdout).toBe(0);
    for (const reason of ["SchemaViolationError", "MalformedRecordError", "LoopDepthExceededError"]) {
      expect(result.stdout).toContain(reason);
    }
    expect(result.stdout).toMatch(/audit: no difference/);
  });
});
