import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { startDynamoDbLocal } from "#infra/local/dynamodb/dynamodb-local.ts";
import { startDynamoDbProxy } from "#infra/local/metrics/dynamodb-proxy.ts";
import { LocalMonitoring } from "#infra/local/metrics/monitor.ts";
import { freePort } from "#infra/local/ports.ts";
import { model } from "#infra/pipeline.ts";
import { LOCAL_CLIENT_CONFIG } from "../test/helpers/dynamodb.ts";
import { percentile, type Row } from "./load.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const REQUESTS = 400;

/** GetItem latencies (ms, ascending) of `REQUESTS` sequential requests through `endpoint`. */
async function getItemLatencies(endpoint: string, tableName: string): Promise<number[]> {
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
  try {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `k${i % 10}` } } }));
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  } finally {
    client.destroy();
  }
}

/**
 * What the dashboard's measurements cost: a handler's DynamoDB request through the measuring proxy
 * beside the same request straight to DynamoDB Local (measured in the same run, alternately), and
 * one evaluation of every alarm and one dashboard view over a store holding an hour of samples.
 */
export async function benchDashboard(): Promise<Row[]> {
  const dynamodbPort = await freePort();
  const db = await startDynamoDbLocal({ port: dynamodbPort, logger: silent, onFatal: () => {} });
  const monitoring = new LocalMonitoring(model, { logger: silent });
  const proxy = await startDynamoDbProxy(db.endpoint, (sample) => monitoring.dynamodb(sample));
  try {
    const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: db.endpoint });
    await client.send(
      new CreateTableCommand({
        TableName: "bench",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (let i = 0; i < 10; i++)
      await client.send(
        new PutItemCommand({ TableName: "bench", Item: { pk: { S: `k${i}` }, n: { N: `${i}` } } }),
      );
    client.destroy();
    // Warm both paths, then measure them one after the other, twice, so load on the machine hits both.
    await getItemLatencies(db.endpoint, "bench");
    await getItemLatencies(proxy.endpoint, "bench");
    const direct = [
      ...(await getItemLatencies(db.endpoint, "bench")),
      ...(await getItemLatencies(db.endpoint, "bench")),
    ];
    const proxied = [
      ...(await getItemLatencies(proxy.endpoint, "bench")),
      ...(await getItemLatencies(proxy.endpoint, "bench")),
    ];
    direct.sort((a, b) => a - b);
    proxied.sort((a, b) => a - b);

    // An hour of samples: one PutItem latency per table and second.
    const hour = new LocalMonitoring(model, { logger: silent, now: () => 3_600_000 * 500 });
    for (let s = 0; s < 3600; s++) {
      for (const t of Object.values(model.tables)) {
        hour.store.put(
          {
            namespace: "AWS/DynamoDB",
            metricName: "SuccessfulRequestLatency",
            dimensions: { TableName: t.tableName, Operation: "PutItem" },
          },
          5 + (s % 7),
          3_600_000 * 500 - s * 1000,
        );
      }
    }
    let started = performance.now();
    for (let i = 0; i < 20; i++) hour.evaluate();
    const evaluateMs = (performance.now() - started) / 20;
    started = performance.now();
    for (let i = 0; i < 5; i++) hour.view({ minutes: 10 });
    const viewMs = (performance.now() - started) / 5;
    const viewBytes = Buffer.byteLength(JSON.stringify(hour.view({ minutes: 10 })));
    const round = (n: number) => Math.round(n * 100) / 100;
    return [
      {
        name: "GetItem p50 through the measuring proxy",
        value: round(percentile(proxied, 50)),
        unit: "ms",
        baseline: { name: "straight to DynamoDB Local", value: round(percentile(direct, 50)) },
      },
      {
        name: "GetItem p99 through the measuring proxy",
        value: round(percentile(proxied, 99)),
        unit: "ms",
        baseline: { name: "straight to DynamoDB Local", value: round(percentile(direct, 99)) },
      },
      {
        name: `one evaluation of all ${model.monitoring.alarms.length} alarms`,
        value: round(evaluateMs),
        unit: "ms",
        target: "well under the 1 s between evaluations",
      },
      {
        name: "building the answer of GET /local/monitoring (10 min)",
        value: round(viewMs),
        unit: "ms",
        target: "well under the page's 2 s refresh",
      },
      { name: "size of that answer", value: Math.round(viewBytes / 1024), unit: "KiB" },
    ];
  } finally {
    await proxy.stop();
    await db.stop();
  }
}
