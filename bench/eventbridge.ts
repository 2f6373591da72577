import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { compilePattern, flattenEvent, matchesFlat } from "#infra/local/eventbridge/pattern.ts";
import { startLocalEventBridge } from "#infra/local/eventbridge/server.ts";
import { pipeline } from "#infra/pipeline.ts";
import { ruleName, rulePattern } from "#infra/topology.ts";
import { DomainEvents } from "#schemas/domain-events.ts";
import { LOCAL_CLIENT_CONFIG } from "../test/helpers/dynamodb.ts";
import type { Row } from "./load.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Benchmarks the local EventBridge endpoint: pattern matching against every declared rule plus a
 * content-filtering pattern, and PutEvents → in-process delivery through the real SDK client.
 */
export async function benchEventBridge(): Promise<Row[]> {
  const patterns = [
    ...pipeline.consumers.map((c) => compilePattern(rulePattern(c))),
    compilePattern({
      source: [{ prefix: "ripple." }],
      detail: {
        data: { percentFull: [{ numeric: [">=", 70, "<", 90] }], carParkId: [{ wildcard: "cp-*" }] },
        $or: [{ metadata: { change: ["INSERT"] } }, { metadata: { depth: [{ numeric: ["<", 3] }] } }],
      },
    }),
  ];
  const events = Array.from({ length: 2_000 }, (_, i) => ({
    version: "0",
    id: `${i}`,
    "detail-type": i % 2 === 0 ? "CarParkOccupancyChanged" : "GoalSet",
    source: i % 2 === 0 ? "ripple.parking" : "ripple.carbon",
    account: "000000000000",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: {
      metadata: { change: "MODIFY", depth: i % 4 },
      data: { carParkId: `cp-${i}`, percentFull: i % 100 },
    },
  }));
  const rounds = 10;
  let matched = 0;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const event of events) {
      const flat = flattenEvent(event);
      for (const pattern of patterns) if (matchesFlat(pattern, flat)) matched++;
    }
  }
  const matchSeconds = (performance.now() - started) / 1000;

  const bus = await startLocalEventBridge({ port: 0, pipeline, logger: silent });
  const client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint });
  let delivered = 0;
  const consumer = pipeline.consumers.find((c) => c.events.includes(DomainEvents.CarParkOccupancyChanged));
  if (consumer !== undefined) {
    bus.registerFunctionTarget(ruleName(pipeline, consumer), consumer.name, async () => {
      delivered++;
    });
  }
  const requests = 200;
  const putStarted = performance.now();
  for (let i = 0; i < requests; i++) {
    await client.send(
      new PutEventsCommand({
        Entries: Array.from({ length: 10 }, (_, j) => ({
          EventBusName: pipeline.bus.name,
          Source: DomainEvents.CarParkOccupancyChanged.source,
          DetailType: DomainEvents.CarParkOccupancyChanged.detailType,
          Detail: JSON.stringify({ data: { carParkId: `cp-${i}-${j}`, percentFull: j } }),
        })),
      }),
    );
  }
  await bus.drained();
  const putSeconds = (performance.now() - putStarted) / 1000;
  client.destroy();
  await bus.stop();

  return [
    {
      name: "eventbridge: pattern matches per second (event × rule)",
      value: Math.round((rounds * events.length * patterns.length) / matchSeconds),
      unit: "matches/s",
    },
    { name: "eventbridge: events matched in the matching run", value: matched, unit: "matches" },
    {
      name: "eventbridge: PutEvents (10 entries) to in-process delivery",
      value: Math.round(delivered / putSeconds),
      unit: "events/s",
    },
  ];
}
