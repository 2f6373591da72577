import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys } from "#commons/aggregates.ts";
import { type ConsumerDeps, consumeEvent, consumerDeclaration } from "#commons/consumer.ts";
import { startDynamoDbLocal } from "#infra/local/dynamodb/dynamodb-local.ts";
import { freePort } from "#infra/local/ports.ts";
import { createTables } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";
import { eventsForChange, tableEnvVar } from "#infra/topology.ts";
import type { CarbonEntry } from "#schemas/carbon.ts";
import { applyAchievementEvent } from "../functions/achievements/apply.ts";
import { applyCarbonEvent } from "../functions/carbon-stats/apply.ts";
import { applyParkingEvent } from "../functions/parking-totals/apply.ts";
import {
  domainEvent,
  type EventBridgeTargetEvent,
  seededRandom,
  seededShuffle,
  sequenceNumbers,
} from "../test/helpers/domain-events.ts";

/** One line of the benchmark table. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: string;
}

const EVENTS = 1_000;
const DUPLICATE_SHARE = 0.2;
const SEED = 20_251_130;

/** Write and read requests a client sent, counted the way DynamoDB bills them. */
interface RequestCounts {
  writes: number;
  reads: number;
}

const WRITE_COMMANDS = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"]);
const READ_COMMANDS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand"]);

/**
 * A DynamoDB client that counts every write request it sends — successful or not, since a failed
 * conditional write still consumes capacity — with BatchWriteItem counted per item and
 * TransactWriteItems twice per item.
 */
function countingClient(endpoint: string): { client: DynamoDBClient; counts: RequestCounts } {
  const counts: RequestCounts = { writes: 0, reads: 0 };
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      const input = args.input as { RequestItems?: Record<string, unknown[]>; TransactItems?: unknown[] };
      if (WRITE_COMMANDS.has(command)) counts.writes += 1;
      else if (command === "BatchWriteItemCommand")
        counts.writes += Object.values(input.RequestItems ?? {}).reduce((n, items) => n + items.length, 0);
      else if (command === "TransactWriteItemsCommand")
        counts.writes += 2 * (input.TransactItems?.length ?? 0);
      else if (READ_COMMANDS.has(command)) counts.reads += 1;
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  return { client, counts };
}

/** `events` plus a seeded 20 % of them again, shuffled: what an at-least-once, unordered bus delivers. */
function withDuplicatesShuffled<T>(events: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const duplicates = Array.from(
    { length: Math.round(events.length * DUPLICATE_SHARE) },
    () => events[Math.floor(random() * events.length)] as T,
  );
  return seededShuffle([...events, ...duplicates], seed);
}

/** `events` in order, then a seeded 20 % of them delivered again after all of them. */
function withDuplicatesLater<T>(events: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  return [
    ...events,
    ...Array.from(
      { length: Math.round(events.length * DUPLICATE_SHARE) },
      () => events[Math.floor(random() * events.length)] as T,
    ),
  ];
}

/** 1,000 occupancy readings over 20 car parks, each with increasing sequence numbers. */
function parkingEvents(): EventBridgeTargetEvent[] {
  const parks = 20;
  const perPark = EVENTS / parks;
  const events: EventBridgeTargetEvent[] = [];
  for (let p = 0; p < parks; p++) {
    const seqs = sequenceNumbers(perPark, 99_999_999_999_999_999_000n + BigInt(p) * 100_000n);
    for (let i = 0; i < perPark; i++) {
      const occupied = (i * 37 + p * 11) % 400;
      events.push(
        domainEvent(
          "CarParkOccupancyChanged",
          {
            carParkId: `CP${String(p).padStart(3, "0")}`,
            name: `Car park ${p}`,
            capacity: 400,
            occupied,
            available: 400 - occupied,
            percentFull: "0",
            status: "green",
            hourlyRate: "1.5",
            lastUpdated: "2025-11-30T16:05:12.923Z",
          },
          { sequenceNumber: seqs[i]!, change: i === 0 ? "INSERT" : "MODIFY" },
        ),
      );
    }
  }
  return events;
}

/**
 * The straightforward design, measured for comparison: a conditional PutItem of an idempotency
 * record per event, then an UpdateItem of the car park's state when the record was new.
 */
async function straightforwardParking(
  client: DynamoDBClient,
  deliveries: readonly EventBridgeTargetEvent[],
  run: string,
) {
  const table = pipeline.tables.aggregates!.tableName;
  for (const event of deliveries) {
    const detail = event.detail as {
      metadata: { eventId: string };
      data: { carParkId: string; occupied: number };
    };
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall({ pk: `baseline-idempotency#${run}#${detail.metadata.eventId}`, sk: "-" }),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) continue;
      throw error;
    }
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: marshall({ pk: "baseline-parking", sk: detail.data.carParkId }),
        UpdateExpression: "SET occupied = :o",
        ExpressionAttributeValues: marshall({ ":o": detail.data.occupied }),
      }),
    );
  }
}

/**
 * CarbonTrack: 50 users × 20 entries written in rounds of 50; after each round the round's events
 * (plus duplicates, shuffled) reach carbon-stats and achievements.
 */
async function carbonRun(deps: ConsumerDeps, counts: RequestCounts) {
  const users = 50;
  const perUser = EVENTS / users;
  const writes: { entry: CarbonEntry; event: EventBridgeTargetEvent }[] = [];
  for (let u = 0; u < users; u++) {
    const seqs = sequenceNumbers(perUser, 99_999_999_999_999_000_000n + BigInt(u) * 100_000n);
    for (let i = 0; i < perUser; i++) {
      const entry: CarbonEntry = {
        userId: `user-${u}`,
        timestamp: `2025-11-${String((i % 28) + 1).padStart(2, "0")}T08:${String(i).padStart(2, "0")}:00.000Z`,
        category: i % 3 === 0 ? "energy" : "transport",
        activity: "commute",
        kgCO2e: `${(i % 7) + 1}.25`,
      };
      writes.push({ entry, event: domainEvent("CarbonEntryRecorded", entry, { sequenceNumber: seqs[i]! }) });
    }
  }
  const ordered = seededShuffle(writes, SEED);
  const stats = { deliveries: 0, statsWrites: 0, achievementWrites: 0 };
  const carbon = consumerDeclaration("carbon-stats");
  const achievements = consumerDeclaration("achievements");
  for (let start = 0; start < ordered.length; start += 50) {
    const round = ordered.slice(start, start + 50);
    for (const { entry } of round) {
      await deps.client.send(
        new PutItemCommand({ TableName: pipeline.tables.carbonEntries!.tableName, Item: marshall(entry) }),
      );
    }
    for (const event of withDuplicatesShuffled(
      round.map((w) => w.event),
      SEED + start,
    )) {
      stats.deliveries++;
      const before = counts.writes;
      await consumeEvent(deps, carbon, event, applyCarbonEvent);
      const middle = counts.writes;
      await consumeEvent(deps, achievements, event, applyAchievementEvent);
      stats.statsWrites += middle - before;
      stats.achievementWrites += counts.writes - middle;
    }
  }
  return stats;
}

/** Consumer invocations one source write causes, per source table and change kind (from the declaration). */
function invocationsPerSourceWrite(): Row[] {
  return pipeline.sources.flatMap((source) =>
    (["INSERT", "MODIFY", "REMOVE"] as const).flatMap((kind) => {
      const events = eventsForChange(source, kind);
      if (events.length === 0) return [];
      const invocations = events.reduce(
        (n, e) =>
          n + pipeline.consumers.filter((c) => c.events.some((x) => x.detailType === e.detailType)).length,
        0,
      );
      return [
        {
          name: `consumer invocations per source write: ${pipeline.tables[source.table]?.tableName} ${kind}`,
          value: invocations,
          unit: "invocations/write",
        },
      ];
    }),
  );
}

/**
 * DynamoDB write requests per consumed event (duplicates included) for ripple's consumers, beside
 * the straightforward idempotency-record-plus-update design measured in the same run, and
 * consumer invocations per source write. Starts its own DynamoDB Local.
 */
export async function benchConsumers(): Promise<Row[]> {
  const db = await startDynamoDbLocal({ port: await freePort() });
  const tables = Object.fromEntries(Object.entries(pipeline.tables).map(([key, t]) => [key, t.tableName]));
  for (const [key, name] of Object.entries(tables)) process.env[tableEnvVar(key)] ??= name;
  try {
    const setup = new DynamoDBClient({
      endpoint: db.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await createTables(setup, pipeline);
    setup.destroy();

    const parking = consumerDeclaration("parking-totals");
    const measureParking = async (deliveries: readonly EventBridgeTargetEvent[], run: string) => {
      const ours = countingClient(db.endpoint);
      const scopedTables = { ...tables };
      for (const event of deliveries) {
        await consumeEvent({ client: ours.client, tables: scopedTables }, parking, event, applyParkingEvent);
      }
      const baseline = countingClient(db.endpoint);
      await straightforwardParking(baseline.client, deliveries, run);
      await ours.client.send(
        new DeleteItemCommand({ TableName: tables.aggregates!, Key: marshall(AggregateKeys.parkingTotals) }),
      );
      ours.client.destroy();
      baseline.client.destroy();
      return { ours: ours.counts, baseline: baseline.counts, deliveries: deliveries.length };
    };
    const events = parkingEvents();
    const shuffled = await measureParking(withDuplicatesShuffled(events, SEED), "shuffled");
    const ordered = await measureParking(withDuplicatesLater(events, SEED), "ordered");

    const carbon = countingClient(db.endpoint);
    const carbonStats = await carbonRun({ client: carbon.client, tables }, carbon.counts);
    const consumerWrites = carbonStats.statsWrites + carbonStats.achievementWrites;
    carbon.client.destroy();
    const per = (n: number, d: number) => Math.round((n / d) * 1000) / 1000;
    const label = `${EVENTS} events + ${Math.round(DUPLICATE_SHARE * 100)}% duplicates, shuffled`;
    const straightforward = "idempotency record PutItem + UpdateItem per event";
    return [
      ...(
        [
          [
            ordered,
            `${EVENTS} events in write order, ${Math.round(DUPLICATE_SHARE * 100)}% redelivered later`,
          ],
          [shuffled, label],
        ] as const
      ).flatMap(([run, what]): Row[] => [
        {
          name: `parking-totals: DynamoDB write requests per consumed event (${what})`,
          value: per(run.ours.writes, run.deliveries),
          unit: "writes/event",
          baseline: { name: straightforward, value: per(run.baseline.writes, run.deliveries) },
          target: "≤ 1.0",
        },
        {
          name: `parking-totals: DynamoDB read requests per consumed event (${what})`,
          value: per(run.ours.reads, run.deliveries),
          unit: "reads/event",
          baseline: { name: straightforward, value: per(run.baseline.reads, run.deliveries) },
        },
      ]),
      {
        name: `carbon-stats: DynamoDB write requests per consumed event (${label}, source written in rounds of 50)`,
        value: per(carbonStats.statsWrites, carbonStats.deliveries),
        unit: "writes/event",
        target: "≤ 1.0",
      },
      {
        name: "achievements: DynamoDB write requests per consumed event (same run)",
        value: per(carbonStats.achievementWrites, carbonStats.deliveries),
        unit: "writes/event",
        target: "≤ 1.0",
      },
      {
        name: "carbon-stats + achievements: DynamoDB read requests per consumed event (same run)",
        value: per(carbon.counts.reads, carbonStats.deliveries),
        unit: "reads/event",
      },
      {
        name: "carbon consumers: write requests per consumed event, both consumers together",
        value: per(consumerWrites, carbonStats.deliveries),
        unit: "writes/event",
      },
      {
        name: "carbon consumers: invocations per source write, measured (duplicates included)",
        value: per(carbonStats.deliveries * 2, EVENTS),
        unit: "invocations/write",
      },
      ...invocationsPerSourceWrite(),
    ];
  } finally {
    await db.stop();
  }
}
