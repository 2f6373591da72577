import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { freeRuntimePorts } from "../infra/local/ports.ts";
import { startRuntime } from "../infra/local/runtime.ts";
import { pipeline } from "../infra/pipeline.ts";
import { percentile, type Row, runInFlight } from "./load.ts";

/** How much load {@link benchApi} applies. */
export interface BenchApiOptions {
  /** Requests per measured route. @default 2000 */
  readonly requests?: number;
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
}

interface Measurement {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * Runs `requests` calls of `call(i)` with `concurrency` in flight, after an unmeasured warm-up
 * of a tenth as many; throughput and latency percentiles.
 */
async function measure(
  requests: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<Measurement> {
  const warmUp = Math.max(concurrency, Math.floor(requests / 10));
  for (let i = 0; i < warmUp; i += concurrency) {
    await Promise.all(Array.from({ length: concurrency }, (_, j) => call(requests + i + j)));
  }
  const times = await runInFlight(requests, concurrency, call);
  const elapsed = (Math.max(...times.callDoneAt) - times.startedAt) / 1000;
  const latencies = times.callDoneAt.map((done, i) => done - times.callStartedAt[i]!).sort((a, b) => a - b);
  return {
    perSecond: Math.round(requests / elapsed),
    p50: Number(percentile(latencies, 50).toFixed(2)),
    p99: Number(percentile(latencies, 99).toFixed(2)),
  };
}

/** Throughput, p50 and p99 of a measured route, each beside the same figure of its baseline. */
function measurementRows(
  name: string,
  measured: Measurement,
  baselineName: string,
  baseline: Measurement,
): Row[] {
  return [
    {
      name: `${name} throughput`,
      value: measured.perSecond,
      unit: "req/s",
      baseline: { name: baselineName, value: baseline.perSecond },
    },
    ...(["p50", "p99"] as const).map((p) => ({
      name: `${name} latency ${p}`,
      value: measured[p],
      unit: "ms",
      baseline: { name: `${baselineName} ${p}`, value: baseline[p] },
    })),
  ];
}

async function expectStatus(response: Response, status: number): Promise<void> {
  const body = await response.text();
  if (response.status !== status) {
    throw new Error(
      `benchmark request answered ${response.status} instead of ${status}: ${body.slice(0, 200)}`,
    );
  }
}

const CHILD = "RIPPLE_BENCH_API_CHILD";
/** Users the measured entries are spread over. */
const USERS = 200;
const ROWS = "RIPPLE_BENCH_API_ROWS ";
const here = fileURLToPath(import.meta.url);

/**
 * Producer API throughput and latency on the local runtime — `startRuntime` on free ports, so
 * requests go through the runtime's HTTP adapter, its Lambda-shaped invocation of the API handler
 * and DynamoDB Local while the streams, fan-out, bus and consumers work behind them — for `POST
 * /users/{userId}/entries` (a user check and a write) and `GET /car-parks` (a scan of 4 items).
 * Baselines measured in the same run: a bare node:http server answering constant JSON (the HTTP
 * floor on this machine) and raw PutItem calls of the same entries to the runtime's DynamoDB
 * Local (the storage floor).
 *
 * The handlers read their endpoints once per process, so the runtime runs in a child process of
 * its own, whatever other benchmarks started in this one.
 */
export function benchApi(options: BenchApiOptions = {}): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", here], {
      env: { ...process.env, [CHILD]: JSON.stringify(options) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), 15 * 60_000);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith(ROWS));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice(ROWS.length)) as Row[]);
      else reject(new Error(`the API benchmark exited with ${signal ?? code}: ${out.slice(-500)}`));
    });
  });
}

/** The measurements, in the process {@link benchApi} starts. */
async function measureOnRuntime(options: BenchApiOptions): Promise<Row[]> {
  const requests = options.requests ?? 2000;
  const concurrency = options.concurrency ?? 16;
  const runtime = await startRuntime({
    pipeline,
    ...(await freeRuntimePorts()),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  const stop = () => runtime.stop();
  process.once("SIGTERM", () => void stop().finally(() => process.exit(143)));
  const floor = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  });
  try {
    const api = runtime.endpoints.api;
    const headers = { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" };
    await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
    const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;

    // Entries spread over many users, as producers' traffic is (carbon-stats re-reads a user's
    // entries per event, so one user taking every entry would measure that instead), and
    // consecutive requests go to different users, so no two share a millisecond timestamp.
    for (let w = 0; w < USERS; w++) {
      await expectStatus(
        await fetch(`${api}/users`, {
          method: "POST",
          headers,
          body: JSON.stringify({ userId: `bench-${w}`, name: "Bench" }),
        }),
        201,
      );
    }
    await runtime.settled({ timeoutMs: 120_000 });

    const bare = await measure(requests, concurrency, async () => {
      await expectStatus(await fetch(floorUrl), 200);
    });
    // The same entries as the API writes, for the same users, so the pipeline behind does the same work.
    const putItem = await measure(requests, concurrency, async (i) => {
      await runtime.dynamodb.send(
        new PutItemCommand({
          TableName: pipeline.tables.carbonEntries!.tableName,
          Item: {
            userId: { S: `bench-${i % USERS}` },
            timestamp: { S: new Date(1_000_000_000_000 + i).toISOString() },
            category: { S: "transport" },
            activity: { S: "bench" },
            kgCO2e: { N: "1.25" },
          },
        }),
      );
    });
    await runtime.settled({ timeoutMs: 300_000 });
    const entries = await measure(requests, concurrency, async (i) => {
      await expectStatus(
        await fetch(`${api}/users/bench-${i % USERS}/entries`, {
          method: "POST",
          headers,
          body: JSON.stringify({ category: "transport", activity: "bench", kgCO2e: 1.25 }),
        }),
        201,
      );
    });
    await runtime.settled({ timeoutMs: 300_000 });
    const carParks = await measure(requests, concurrency, async () => {
      await expectStatus(await fetch(`${api}/car-parks`, { headers }), 200);
    });

    const target = `${requests} requests, ${concurrency} in flight, local runtime (startRuntime)`;
    return [
      ...measurementRows("api POST /users/{userId}/entries", entries, "raw DynamoDB Local PutItem", putItem),
      ...measurementRows("api GET /car-parks", carParks, "bare node:http constant JSON", bare),
    ].map((row) => ({ ...row, target }));
  } finally {
    await new Promise<void>((resolve) => (floor.listening ? floor.close(() => resolve()) : resolve()));
    await stop();
  }
}

if (process.argv[1] === here) {
  if (process.env[CHILD] !== undefined) {
    const rows = await measureOnRuntime(JSON.parse(process.env[CHILD]) as BenchApiOptions);
    process.stdout.write(`${ROWS}${JSON.stringify(rows)}\n`);
    process.exit(0);
  } else {
    // `npx tsx bench/api.ts`: this benchmark alone.
    for (const row of await benchApi()) {
      console.log(
        `${row.name}: ${row.value} ${row.unit}  (baseline ${row.baseline?.value} ${row.baseline?.name})`,
      );
    }
  }
}
