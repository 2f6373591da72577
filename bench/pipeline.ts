import { type AttributeValue, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { type Runtime, startRuntime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { eventsForChange } from "#infra/topology.ts";
import { addRule } from "../test/helpers/runtime.ts";
import { percentile, type Row, runInFlight } from "./load.ts";

const ITEMS = 2_000;
const CONCURRENCY = 16;
const FIRST_ID = 100_000;

const achievement = (id: number): Record<string, AttributeValue> => ({
  userId: { S: `bench-${id}` },
  achievementId: { S: "first-entry" },
  title: { S: "First entry" },
  unlockedAt: { S: "2025-11-30T16:05:12.923Z" },
});

/** Consumer invocations the declaration says one source write causes, averaged over `writes`. */
function declaredInvocations(writes: readonly { table: string; kind: "INSERT" | "MODIFY" | "REMOVE" }[]) {
  let invocations = 0;
  for (const { table, kind } of writes) {
    const source = pipeline.sources.find((s) => pipeline.tables[s.table]?.tableName === table)!;
    for (const event of eventsForChange(source, kind)) {
      invocations += pipeline.consumers.filter((c) =>
        c.events.some((e) => e.detailType === event.detailType),
      ).length;
    }
  }
  return invocations / writes.length;
}

/**
 * Consumer invocations per source write, measured on the runtime: a mix of producer writes with
 * the SDK (a registration, entries, car park readings, pets), counted as the runs of the
 * consumers' functions, beside what the declaration says they should cost.
 */
async function measureInvocations(runtime: Runtime): Promise<Row> {
  await runtime.settled({ timeoutMs: 120_000 });
  const runs = () =>
    runtime
      .stats()
      .rows.filter((r) => r.name.endsWith(": runs"))
      .reduce((sum, r) => sum + r.value, 0);
  const before = runs();
  const S = (value: string): AttributeValue => ({ S: value });
  const N = (value: number | string): AttributeValue => ({ N: String(value) });
  const now = new Date().toISOString();
  type Write = { table: string; kind: "INSERT" | "MODIFY" | "REMOVE"; item: Record<string, AttributeValue> };
  const writes: Write[] = [
    { table: "carbontrack-users", kind: "INSERT", item: { userId: S("m"), name: S("M"), createdAt: S(now) } },
  ];
  for (let i = 0; i < 40; i++) {
    writes.push({
      table: "carbontrack-entries",
      kind: "INSERT",
      item: {
        userId: S("m"),
        timestamp: S(`2025-11-${String((i % 28) + 1).padStart(2, "0")}T0${i % 10}:00:00.000Z`),
        category: S("food"),
        activity: S("lunch"),
        kgCO2e: N("1.5"),
      },
    });
  }
  for (let i = 0; i < 20; i++) {
    const occupied = (i * 17) % 200;
    writes.push({
      table: "parking-data",
      kind: "MODIFY",
      item: {
        carParkId: S("CP001"),
        name: S("City Centre"),
        capacity: N(450),
        occupied: N(occupied),
        available: N(450 - occupied),
        percentFull: N(0),
        status: S("green"),
        hourlyRate: N("2.50"),
        lastUpdated: S(now),
      },
    });
    writes.push({
      table: "PetStore",
      kind: "INSERT",
      item: { id: N(1000 + i), name: S(`Pet ${i}`), type: S("dog"), price: N("10") },
    });
  }
  for (const w of writes)
    await runtime.dynamodb.send(new PutItemCommand({ TableName: w.table, Item: w.item }));
  await runtime.settled({ timeoutMs: 120_000 });
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    name: `consumer invocations per source write (${writes.length} SDK writes: a registration, entries, readings, pets)`,
    value: round((runs() - before) / writes.length),
    unit: "invocations/write",
    baseline: {
      name: "one per subscribed consumer per event, from the declaration",
      value: round(declaredInvocations(writes)),
    },
  };
}

/**
 * End-to-end local throughput: PutItem into a source table (carbontrack-achievements, whose
 * AchievementUnlocked events no declared consumer takes, so DynamoDB Local serves only the
 * producer and the stream) → stream poller → fan-out → local
 * EventBridge → a rule target, beside the raw DynamoDB Local PutItem rate measured in the same
 * run with the same concurrency, plus the delivery latency from PutItem's answer to the target,
 * and consumer invocations per source write on the same runtime.
 */
export async function benchPipeline(): Promise<Row[]> {
  const runtime = await startRuntime({
    pipeline,
    ...(await freeRuntimePorts()),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  try {
    // Raw rate: the same items into a table with no stream, nothing downstream.
    const raw = await runInFlight(ITEMS, CONCURRENCY, async (i) => {
      await runtime.dynamodb.send(
        new PutItemCommand({
          TableName: "ripple-counters",
          Item: { name: { S: `bench-${i}` }, ...achievement(i) },
        }),
      );
    });
    const rawRate = ITEMS / ((raw.callDoneAt.reduce((a, b) => Math.max(a, b), 0) - raw.startedAt) / 1000);

    // The pipeline: a target bound to a rule that matches the bench's AchievementUnlocked events.
    const arrivedAt = new Map<number, number>();
    await addRule(runtime, {
      name: "bench-target",
      pattern: {
        "detail-type": ["AchievementUnlocked"],
        detail: { data: { userId: [{ prefix: "bench-" }] } },
      },
      target: { Id: "bench", Arn: "arn:aws:lambda:us-east-1:000000000000:function:bench-target" },
    });
    runtime.eventBridge.registerFunctionTarget("bench-target", "bench", async (event) => {
      const id = Number((event.detail as { data: { userId: string } }).data.userId.slice("bench-".length));
      if (!arrivedAt.has(id)) arrivedAt.set(id, performance.now());
    });

    const piped = await runInFlight(ITEMS, CONCURRENCY, async (i) => {
      await runtime.dynamodb.send(
        new PutItemCommand({ TableName: "carbontrack-achievements", Item: achievement(FIRST_ID + i) }),
      );
    });
    const deadline = Date.now() + 120_000;
    while (arrivedAt.size < ITEMS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (arrivedAt.size < ITEMS)
      throw new Error(`only ${arrivedAt.size} of ${ITEMS} events arrived within 120 s`);
    const lastArrival = Math.max(...arrivedAt.values());
    const pipelineRate = ITEMS / ((lastArrival - piped.startedAt) / 1000);
    const latencies = piped.callDoneAt
      .map((done, i) => arrivedAt.get(FIRST_ID + i)! - done)
      .sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    const invocations = await measureInvocations(runtime);
    return [
      {
        name: `end-to-end records/s (PutItem → target, ${ITEMS} items, ${CONCURRENCY} in flight)`,
        value: Math.round(pipelineRate),
        unit: "records/s",
        baseline: { name: "raw DynamoDB Local PutItem/s", value: Math.round(rawRate) },
        target: `>= 90% of raw (${Math.round((pipelineRate / rawRate) * 100)}%)`,
      },
      { name: "delivery latency p50", value: round(percentile(latencies, 50)), unit: "ms" },
      { name: "delivery latency p95", value: round(percentile(latencies, 95)), unit: "ms" },
      {
        name: "delivery latency p99",
        value: round(percentile(latencies, 99)),
        unit: "ms",
        target: "< 1000 ms",
      },
      invocations,
    ];
  } finally {
    await runtime.stop();
  }
}
