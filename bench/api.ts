import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { createApiHandler } from "../functions/api/app.ts";
import type { ApiTables } from "../functions/api/route.ts";
import { startApiServer } from "../infra/local/api-server.ts";
import { startDynamoDbLocal } from "../infra/local/dynamodb/dynamodb-local.ts";
import { freePort } from "../infra/local/ports.ts";
import { createTables } from "../infra/local/tables.ts";
import { pipeline } from "../infra/pipeline.ts";

/** One benchmark result, as bench/run.ts prints it. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: string;
}

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

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
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
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(requests / elapsed),
    p50: Number(percentile(latencies, 50).toFixed(2)),
    p99: Number(percentile(latencies, 99).toFixed(2)),
  };
}

async function expectStatus(response: Response, status: number): Promise<void> {
  const body = await response.text();
  if (response.status !== status) {
    throw new Error(
      `benchmark request answered ${response.status} instead of ${status}: ${body.slice(0, 200)}`,
    );
  }
}

/**
 * Producer API throughput and latency through the local adapter against DynamoDB Local, for
 * `POST /users/{userId}/entries` (a write with a user check) and `GET /car-parks` (a scan of 4
 * items). Baselines measured in the same run: a bare node:http server answering constant JSON
 * (the HTTP floor on this machine) and raw DynamoDB PutItem calls (the storage floor).
 */
export async function benchApi(options: BenchApiOptions = {}): Promise<Row[]> {
  const requests = options.requests ?? 2000;
  const concurrency = options.concurrency ?? 16;
  const db = await startDynamoDbLocal({ port: await freePort() });
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const floor = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  });
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
  try {
    await createTables(client, pipeline);
    const tables = Object.fromEntries(
      Object.entries(pipeline.tables).map(([key, table]) => [key, table.tableName]),
    ) as unknown as ApiTables;
    const token = randomUUID();
    const handler = createApiHandler({
      client,
      tables,
      token,
      logger: new Logger({ serviceName: "ripple-api-bench", logLevel: "ERROR" }),
    });
    api = await startApiServer({ port: await freePort(), handler, token });
    await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
    const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

    // One user per worker, so concurrent entries rarely share a millisecond timestamp.
    for (let w = 0; w < concurrency; w++) {
      await expectStatus(
        await fetch(`${api.url}/users`, {
          method: "POST",
          headers,
          body: JSON.stringify({ userId: `bench-${w}`, name: "Bench" }),
        }),
        201,
      );
    }
    await expectStatus(await fetch(`${api.url}/car-parks`, { headers }), 200);

    const bare = await measure(requests, concurrency, async () => {
      await expectStatus(await fetch(floorUrl), 200);
    });
    const putItem = await measure(requests, concurrency, async (i) => {
      await client.send(
        new PutItemCommand({
          TableName: tables.carbonEntries,
          Item: {
            userId: { S: `raw-${i % concurrency}` },
            timestamp: { S: new Date(1_700_000_000_000 + i).toISOString() },
            category: { S: "transport" },
            activity: { S: "bench" },
            kgCO2e: { N: "1.25" },
          },
        }),
      );
    });
    const entries = await measure(requests, concurrency, async (i) => {
      await expectStatus(
        await fetch(`${api!.url}/users/bench-${i % concurrency}/entries`, {
          method: "POST",
          headers,
          body: JSON.stringify({ category: "transport", activity: "bench", kgCO2e: 1.25 }),
        }),
        201,
      );
    });
    const carParks = await measure(requests, concurrency, async () => {
      await expectStatus(await fetch(`${api!.url}/car-parks`, { headers }), 200);
    });

    const bareBaseline = { name: "bare node:http constant JSON", value: bare.perSecond };
    return [
      {
        name: "api POST /users/{userId}/entries throughput",
        value: entries.perSecond,
        unit: "req/s",
        baseline: { name: "raw DynamoDB PutItem", value: putItem.perSecond },
      },
      {
        name: "api POST /users/{userId}/entries latency p50",
        value: entries.p50,
        unit: "ms",
        baseline: { name: "raw DynamoDB PutItem p50", value: putItem.p50 },
      },
      {
        name: "api POST /users/{userId}/entries latency p99",
        value: entries.p99,
        unit: "ms",
        baseline: { name: "raw DynamoDB PutItem p99", value: putItem.p99 },
      },
      {
        name: "api GET /car-parks throughput",
        value: carParks.perSecond,
        unit: "req/s",
        baseline: bareBaseline,
      },
      {
        name: "api GET /car-parks latency p50",
        value: carParks.p50,
        unit: "ms",
        baseline: { name: "bare node:http p50", value: bare.p50 },
      },
      {
        name: "api GET /car-parks latency p99",
        value: carParks.p99,
        unit: "ms",
        baseline: { name: "bare node:http p99", value: bare.p99 },
      },
    ].map((row) => ({ ...row, target: `${requests} requests, ${concurrency} in flight, DynamoDB Local` }));
  } finally {
    await api?.stop();
    await new Promise<void>((resolve) => (floor.listening ? floor.close(() => resolve()) : resolve()));
    client.destroy();
    await db.stop();
  }
}
