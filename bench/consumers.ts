import {
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys, queryAggregates } from "#commons/aggregates.ts";
import { type ConsumerDeps, consumeEvent } from "#commons/consumer.ts";
import { startDynamoDbLocal } from "#infra/local/dynamodb/dynamodb-local.ts";
import { freePort } from "#infra/local/ports.ts";
import { createTables } from "#infra/local/tables.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import type { CarbonEntry } from "#schemas/carbon.ts";
import { applyAchievementEvent } from "../functions/achievements/apply.ts";
import { applyCarbonEvent } from "../functions/carbon-stats/apply.ts";
import { applyParkingEvent } from "../functions/parking-totals/apply.ts";
import { applyStoreEvent } from "../functions/store-stats/apply.ts";
import {
  domainEvent,
  type EventBridgeTargetEvent,
  seededRandom,
  seededShuffle,
  sequenceNumbers,
} from "../test/helpers/domain-events.ts";
import { type Row, runInFlight } from "./load.ts";

const EVENTS = 1_000;
const DUPLICATE_SHARE = 0.2;
const SEED = 20_251_130;
const IN_FLIGHT = 16;
const LOCAL = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

/** Requests a client sent and the capacity they consumed, as DynamoDB bills them. */
interface Usage {
  writes: number;
  reads: number;
  /** Write capacity units: as DynamoDB reports them; a failed conditional write at its 1-unit minimum. */
  wcu: number;
}

const WRITE_COMMANDS = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"]);
const READ_COMMANDS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand"]);
const CAPACITY_COMMANDS = new Set([...WRITE_COMMANDS, "BatchWriteItemCommand", "TransactWriteItemsCommand"]);

const units = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number =>
  [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

/**
 * A DynamoDB client that counts every request it sends — successful or not, since a failed
 * conditional write still consumes capacity — with BatchWriteItem counted per item and
 * TransactWriteItems twice per item, and asks DynamoDB for the write capacity each one consumed.
 */
function countingClient(endpoint: string): { client: DynamoDBClient; usage: Usage } {
  const usage: Usage = { writes: 0, reads: 0, wcu: 0 };
  const client = new DynamoDBClient({ endpoint, ...LOCAL });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      const input = args.input as {
        RequestItems?: Record<string, unknown[]>;
        TransactItems?: unknown[];
        ReturnConsumedCapacity?: string;
      };
      if (WRITE_COMMANDS.has(command)) usage.writes += 1;
      else if (command === "BatchWriteItemCommand")
        usage.writes += Object.values(input.RequestItems ?? {}).reduce((n, items) => n + items.length, 0);
      else if (command === "TransactWriteItemsCommand")
        usage.writes += 2 * (input.TransactItems?.length ?? 0);
      else if (READ_COMMANDS.has(command)) usage.reads += 1;
      if (CAPACITY_COMMANDS.has(command)) input.ReturnConsumedCapacity = "TOTAL";
      try {
        const result = await next(args);
        if (CAPACITY_COMMANDS.has(command)) {
          usage.wcu += units((result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity);
        }
        return result;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) usage.wcu += 1;
        throw error;
      }
    },
    { step: "initialize", name: "countRequests" },
  );
  return { client, usage };
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

/** 1,000 pet events over 250 pets: listed, updated twice, and every other pet removed (else updated). */
function petEvents(): EventBridgeTargetEvent[] {
  const types = ["dog", "cat", "fish", "frog", "bird"];
  const events: EventBridgeTargetEvent[] = [];
  for (let id = 1; id <= EVENTS / 4; id++) {
    const seqs = sequenceNumbers(4, 99_999_999_999_999_990_000n + BigInt(id) * 100n);
    const pet = (n: number) => ({
      id,
      name: `Pet ${id}`,
      type: types[(id + n) % types.length]!,
      price: "9.99",
    });
    events.push(domainEvent("PetListed", pet(0), { sequenceNumber: seqs[0]! }));
    events.push(domainEvent("PetUpdated", pet(1), { sequenceNumber: seqs[1]!, change: "MODIFY" }));
    events.push(domainEvent("PetUpdated", pet(2), { sequenceNumber: seqs[2]!, change: "MODIFY" }));
    events.push(
      id % 2 === 0
        ? domainEvent("PetRemoved", { id }, { sequenceNumber: seqs[3]! })
        : domainEvent("PetUpdated", pet(3), { sequenceNumber: seqs[3]!, change: "MODIFY" }),
    );
  }
  return events;
}

/**
 * The straightforward design, measured for comparison: a conditional PutItem of an idempotency
 * record per event, then an UpdateItem of the source item's state when the record was new (and,
 * unlike ripple, a stale event overwrites newer state).
 */
async function straightforward(
  client: DynamoDBClient,
  deliveries: readonly EventBridgeTargetEvent[],
  run: string,
  inFlight: number,
): Promise<void> {
  const table = pipeline.tables.aggregates!.tableName;
  await runInFlight(deliveries.length, inFlight, async (i) => {
    const event = deliveries[i]!;
    const detail = event.detail as { metadata: { eventId: string; keys: Record<string, unknown> } };
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall({ pk: `baseline-idempotency#${run}#${detail.metadata.eventId}`, sk: "-" }),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: marshall({ pk: `baseline#${run}`, sk: JSON.stringify(detail.metadata.keys) }),
        UpdateExpression: "SET #state = :state",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: marshall({ ":state": JSON.stringify(event.detail) }),
      }),
    );
  });
}

/**
 * CarbonTrack: 50 users × 20 entries written in rounds of 50; after each round the round's events
 * (plus duplicates, shuffled) reach carbon-stats and achievements.
 */
async function carbonRun(deps: ConsumerDeps, usage: Usage) {
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
  const carbon = consumerModel("carbon-stats");
  const achievements = consumerModel("achievements");
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
      const before = usage.writes;
      await consumeEvent(deps, carbon, event, applyCarbonEvent);
      const middle = usage.writes;
      await consumeEvent(deps, achievements, event, applyAchievementEvent);
      stats.statsWrites += middle - before;
      stats.achievementWrites += usage.writes - middle;
    }
  }
  return stats;
}

/** A consumer of the resolved model, by name. */
function consumerModel(name: string) {
  const consumer = model.consumers.find((c) => c.name === name);
  if (consumer === undefined) throw new Error(`no consumer "${name}" is declared`);
  return consumer;
}

/**
 * DynamoDB write requests and write capacity per consumed event (duplicates included) for
 * ripple's consumers, beside the straightforward idempotency-record-plus-update design measured
 * in the same run on the same deliveries. Starts its own DynamoDB Local.
 */
export async function benchConsumers(): Promise<Row[]> {
  const db = await startDynamoDbLocal({ port: await freePort() });
  const tables = Object.fromEntries(Object.entries(pipeline.tables).map(([key, t]) => [key, t.tableName]));
  const settings = {
    setAsideTableName: model.tables[model.setAside.table]!.tableName,
    tombstoneRetentionSeconds: model.tombstoneRetentionSeconds,
  };
  const admin = new DynamoDBClient({ endpoint: db.endpoint, ...LOCAL });
  const rows: Row[] = [];
  const per = (n: number, d: number) => Math.round((n / d) * 1000) / 1000;
  const duplicates = `${Math.round(DUPLICATE_SHARE * 100)}%`;
  const straightforwardName = "idempotency record PutItem + UpdateItem per event";
  try {
    await createTables(admin, pipeline);

    /** One consumer over `deliveries` beside the straightforward design, and the rows saying so. */
    const compare = async (options: {
      readonly consumer: string;
      readonly apply: Parameters<typeof consumeEvent>[3];
      readonly deliveries: readonly EventBridgeTargetEvent[];
      readonly what: string;
      readonly run: string;
      readonly inFlight: number;
      /** Aggregate partitions to clear afterwards, so the next run starts empty. */
      readonly partitions: readonly string[];
    }) => {
      const ours = countingClient(db.endpoint);
      const baseline = countingClient(db.endpoint);
      const declaration = consumerModel(options.consumer);
      await runInFlight(options.deliveries.length, options.inFlight, (i) =>
        consumeEvent(
          { client: ours.client, tables, ...settings },
          declaration,
          options.deliveries[i]!,
          options.apply,
        ),
      );
      await straightforward(baseline.client, options.deliveries, options.run, options.inFlight);
      for (const pk of options.partitions) {
        for (const item of await queryAggregates(admin, tables.aggregates!, pk)) {
          await admin.send(
            new DeleteItemCommand({
              TableName: tables.aggregates!,
              Key: marshall({ pk: item.pk, sk: item.sk }),
            }),
          );
        }
      }
      ours.client.destroy();
      baseline.client.destroy();
      const n = options.deliveries.length;
      rows.push(
        {
          name: `${options.consumer}: write requests per consumed event (${options.what})`,
          value: per(ours.usage.writes, n),
          unit: "writes/event",
          baseline: { name: straightforwardName, value: per(baseline.usage.writes, n) },
          target: "≤ 1.0",
        },
        {
          name: `${options.consumer}: write capacity units per consumed event (same run)`,
          value: per(ours.usage.wcu, n),
          unit: "WCU/event",
          baseline: { name: straightforwardName, value: per(baseline.usage.wcu, n) },
        },
        {
          name: `${options.consumer}: read requests per consumed event (same run)`,
          value: per(ours.usage.reads, n),
          unit: "reads/event",
          baseline: { name: straightforwardName, value: per(baseline.usage.reads, n) },
        },
      );
    };

    const parking = parkingEvents();
    const parkingRun = {
      consumer: "parking-totals",
      apply: applyParkingEvent,
      partitions: [AggregateKeys.parkingTotals.pk],
    };
    await compare({
      ...parkingRun,
      deliveries: withDuplicatesLater(parking, SEED),
      what: `${EVENTS} events over 20 car parks in write order, ${duplicates} redelivered later, one at a time`,
      run: "ordered",
      inFlight: 1,
    });
    await compare({
      ...parkingRun,
      deliveries: withDuplicatesShuffled(parking, SEED),
      what: `${EVENTS} events + ${duplicates} duplicates, shuffled, one at a time`,
      run: "shuffled",
      inFlight: 1,
    });
    const parkingConcurrency = consumerModel("parking-totals").reservedConcurrency ?? IN_FLIGHT;
    await compare({
      ...parkingRun,
      deliveries: withDuplicatesLater(parking, SEED + 1),
      what: `write order, ${duplicates} redelivered later, ${parkingConcurrency} in flight (its reserved concurrency) on the one totals item`,
      run: "concurrent",
      inFlight: parkingConcurrency,
    });
    await compare({
      consumer: "store-stats",
      apply: applyStoreEvent,
      deliveries: withDuplicatesShuffled(petEvents(), SEED),
      what: `${EVENTS} pet events over 250 pets + ${duplicates} duplicates, shuffled, ${IN_FLIGHT} in flight over 16 shards`,
      run: "pets",
      inFlight: IN_FLIGHT,
      partitions: [AggregateKeys.petsPartition],
    });

    const carbon = countingClient(db.endpoint);
    const carbonStats = await carbonRun({ client: carbon.client, tables, ...settings }, carbon.usage);
    carbon.client.destroy();
    const label = `${EVENTS} events + ${duplicates} duplicates, shuffled, source written in rounds of 50`;
    rows.push(
      {
        name: `carbon-stats: write requests per consumed event (${label})`,
        value: per(carbonStats.statsWrites, carbonStats.deliveries),
        unit: "writes/event",
        target: "≤ 1.0",
      },
      {
        name: "achievements: write requests per consumed event (same run)",
        value: per(carbonStats.achievementWrites, carbonStats.deliveries),
        unit: "writes/event",
        target: "≤ 1.0",
      },
      {
        name: "carbon-stats + achievements: read requests per consumed event (same run)",
        value: per(carbon.usage.reads, carbonStats.deliveries),
        unit: "reads/event",
      },
    );
  } finally {
    admin.destroy();
    await db.stop();
  }
  return rows;
}
