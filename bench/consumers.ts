import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { AggregateKeys, queryAggregates } from "#commons/aggregates.ts";
import { consumeEvent } from "#commons/consumer.ts";
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
import { LOCAL_CLIENT_CONFIG } from "../test/helpers/dynamodb.ts";
import { type Row, runInFlight } from "./load.ts";
import { applyAchievementEvent as baselineAchievementEvent } from "./recompute-baseline/achievements-apply.ts";
import { applyCarbonEvent as baselineCarbonEvent } from "./recompute-baseline/carbon-stats-apply.ts";

const EVENTS = 1_000;
const DUPLICATE_SHARE = 0.2;
const SEED = 20_251_130;
const IN_FLIGHT = 16;

/** Requests a client sent and the capacity they consumed, as DynamoDB bills them. */
interface Usage {
  /** Write requests: a TransactWriteItems is one request, a BatchWriteItem one per item. */
  writes: number;
  /** Items written: a transaction's counted twice, as DynamoDB bills them. */
  writeItems: number;
  reads: number;
  /** Write capacity units: as DynamoDB reports them; a failed conditional write at its 1-unit minimum. */
  wcu: number;
  /** Read capacity units, as DynamoDB reports them. */
  rcu: number;
}

const WRITE_COMMANDS = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"]);
const READ_COMMANDS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand"]);
const WRITE_CAPACITY_COMMANDS = new Set([
  ...WRITE_COMMANDS,
  "BatchWriteItemCommand",
  "TransactWriteItemsCommand",
]);

const units = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number =>
  [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

/**
 * A DynamoDB client that counts every request it sends — successful or not, since a failed
 * conditional write still consumes capacity — with BatchWriteItem counted per item, and the
 * items a TransactWriteItems writes twice each beside it, and asks DynamoDB for the capacity each
 * one consumed.
 */
function countingClient(endpoint: string): { client: DynamoDBClient; usage: Usage } {
  const usage: Usage = { writes: 0, writeItems: 0, reads: 0, wcu: 0, rcu: 0 };
  const client = new DynamoDBClient({ endpoint, ...LOCAL_CLIENT_CONFIG });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      const input = args.input as {
        RequestItems?: Record<string, unknown[]>;
        TransactItems?: unknown[];
        ReturnConsumedCapacity?: string;
      };
      if (WRITE_COMMANDS.has(command)) {
        usage.writes += 1;
        usage.writeItems += 1;
      } else if (command === "BatchWriteItemCommand") {
        const items = Object.values(input.RequestItems ?? {}).reduce((n, batch) => n + batch.length, 0);
        usage.writes += items;
        usage.writeItems += items;
      } else if (command === "TransactWriteItemsCommand") {
        usage.writes += 1;
        usage.writeItems += 2 * (input.TransactItems?.length ?? 0);
      } else if (READ_COMMANDS.has(command)) usage.reads += 1;
      const measured = WRITE_CAPACITY_COMMANDS.has(command) || READ_COMMANDS.has(command);
      if (measured) input.ReturnConsumedCapacity = "TOTAL";
      try {
        const result = await next(args);
        if (measured) {
          const consumed = units((result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity);
          if (READ_COMMANDS.has(command)) usage.rcu += consumed;
          else usage.wcu += consumed;
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

/** Entry `i` of a bench user: three a day (07:00, 12:00, 19:00 UTC) from 2020-01-01, three categories. */
function benchEntry(userId: string, i: number): CarbonEntry {
  const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(i / 3) * 86_400_000).toISOString().slice(0, 10);
  const hour = ["07", "12", "19"][i % 3]!;
  return {
    userId,
    timestamp: `${day}T${hour}:00:00.000Z`,
    category: (["transport", "energy", "food"] as const)[i % 3]!,
    activity: "commute",
    kgCO2e: `${(i % 7) + 1}.25`,
  };
}

function entryEvents(userId: string, from: number, count: number): EventBridgeTargetEvent[] {
  const seqs = sequenceNumbers(count, 10_000_000_000_000_000_000n + BigInt(from) * 1_000n);
  return Array.from({ length: count }, (_, k) =>
    domainEvent("CarbonEntryRecorded", benchEntry(userId, from + k), { sequenceNumber: seqs[k]! }),
  );
}

async function putSourceEntries(client: DynamoDBClient, userId: string, from: number, count: number) {
  const table = pipeline.tables.carbonEntries!.tableName;
  for (let start = from; start < from + count; start += 25) {
    const batch = Array.from({ length: Math.min(25, from + count - start) }, (_, k) => ({
      PutRequest: { Item: marshall(benchEntry(userId, start + k)) },
    }));
    let pending: Record<string, WriteRequest[]> | undefined = { [table]: batch };
    while (pending !== undefined && Object.keys(pending).length > 0) {
      pending = (await client.send(new BatchWriteItemCommand({ RequestItems: pending }))).UnprocessedItems;
    }
  }
  await client.send(
    new PutItemCommand({
      TableName: pipeline.tables.carbonUsers!.tableName,
      Item: marshall({ userId, name: `Bench ${userId}`, createdAt: "2019-12-31T00:00:00.000Z" }),
    }),
  );
}

/** The CarbonTrack consumers of one design: carbon-stats and achievements. */
interface CarbonDesign {
  readonly name: string;
  readonly carbonStats: Parameters<typeof consumeEvent>[3];
  readonly achievements: Parameters<typeof consumeEvent>[3];
}

const CARBON_SIZES = [10, 1_000, 10_000] as const;
/** New entries consumed per measurement (plus 20 % duplicates, shuffled). */
const MEASURED_ENTRIES = 60;

/**
 * Per consumed event for one user who already has 10, 1,000 or 10,000 entries: requests and
 * capacity units of each CarbonTrack consumer, ripple's day-and-month-cell design beside the
 * recompute-everything design (the earlier consumers, in `bench/recompute-baseline/`) in the same run.
 */
async function carbonHistoryRows(
  endpoint: string,
  admin: DynamoDBClient,
  tables: Record<string, string>,
): Promise<Row[]> {
  const designs: CarbonDesign[] = [
    { name: "cells", carbonStats: applyCarbonEvent, achievements: applyAchievementEvent },
    { name: "recompute", carbonStats: baselineCarbonEvent, achievements: baselineAchievementEvent },
  ];
  const results = new Map<string, Usage & { ms: number; events: number }>();
  const carbon = consumerModel("carbon-stats");
  const achievements = consumerModel("achievements");
  // Warm-up, not measured: the first size measured would otherwise also pay for compiling the
  // consumers' code, and read slower than the larger ones for no reason of theirs.
  const warmUp = { client: admin, tables, ...consumerSettings() };
  for (const event of withDuplicatesShuffled(entryEvents("bench-warm-up", 0, MEASURED_ENTRIES), SEED)) {
    for (const design of designs) {
      await consumeEvent(warmUp, carbon, event, design.carbonStats);
      await consumeEvent(warmUp, achievements, event, design.achievements);
    }
  }
  const prepared: { design: CarbonDesign; size: number; deliveries: EventBridgeTargetEvent[] }[] = [];
  for (const size of CARBON_SIZES) {
    for (const design of designs) {
      const userId = `bench-${design.name}-${size}`;
      await putSourceEntries(admin, userId, 0, size);
      if (design.name === "cells") {
        // The cells are built by the consumers themselves, from the events of the stored entries.
        const deps = { client: admin, tables, ...consumerSettings() };
        for (const event of entryEvents(userId, 0, size)) {
          await consumeEvent(deps, carbon, event, design.carbonStats);
          await consumeEvent(deps, achievements, event, design.achievements);
        }
      }
      const fresh = entryEvents(userId, size, MEASURED_ENTRIES);
      await putSourceEntries(admin, userId, size, MEASURED_ENTRIES);
      prepared.push({ design, size, deliveries: withDuplicatesShuffled(fresh, SEED + size) });
    }
  }
  // Each user's deliveries in their order, but one delivery of every user in turn, round after
  // round: load that comes and goes on a shared machine hits every size and design alike.
  for (const [consumer, declaration, applyOf] of [
    ["carbon-stats", carbon, (d: CarbonDesign) => d.carbonStats],
    ["achievements", achievements, (d: CarbonDesign) => d.achievements],
  ] as const) {
    const runs = prepared.map((p) => ({ ...p, counting: countingClient(endpoint), ms: 0 }));
    const rounds = Math.max(...runs.map((r) => r.deliveries.length));
    for (let k = 0; k < rounds; k++) {
      for (const run of runs) {
        const event = run.deliveries[k];
        if (event === undefined) continue;
        const started = performance.now();
        await consumeEvent(
          { client: run.counting.client, tables, ...consumerSettings() },
          declaration,
          event,
          applyOf(run.design),
        );
        run.ms += performance.now() - started;
      }
    }
    for (const run of runs) {
      results.set(`${run.design.name}/${consumer}/${run.size}`, {
        ...run.counting.usage,
        ms: run.ms,
        events: run.deliveries.length,
      });
      run.counting.client.destroy();
    }
  }
  const rows: Row[] = [];
  const per = (n: number, d: number) => Math.round((n / d) * 1000) / 1000;
  const measures = [
    { key: "reads", name: "read requests", unit: "reads/event" },
    { key: "rcu", name: "read capacity units", unit: "RCU/event" },
    {
      key: "writes",
      name: "write requests (a TransactWriteItems counts as one, as DynamoDB counts requests)",
      unit: "writes/event",
      target: "≤ 1.0",
    },
    { key: "writeItems", name: "items written (a transaction's counted twice)", unit: "items/event" },
    { key: "wcu", name: "write capacity units", unit: "WCU/event" },
    { key: "ms", name: "milliseconds", unit: "ms/event" },
  ] as const;
  for (const consumer of ["carbon-stats", "achievements"]) {
    for (const measure of measures) {
      const at10 = results.get(`cells/${consumer}/10`)!;
      for (const size of CARBON_SIZES) {
        const ours = results.get(`cells/${consumer}/${size}`)!;
        const base = results.get(`recompute/${consumer}/${size}`)!;
        const target =
          size === 10
            ? "target" in measure
              ? measure.target
              : undefined
            : `≤ 1.5 × ${per(at10[measure.key], at10.events)} (the figure at 10 entries)${"target" in measure ? `, ${measure.target}` : ""}`;
        rows.push({
          name: `${consumer}: ${measure.name} per consumed event, user with ${size.toLocaleString("en")} entries (${MEASURED_ENTRIES} new + ${Math.round(DUPLICATE_SHARE * 100)}% duplicates, shuffled)`,
          value: per(ours[measure.key], ours.events),
          unit: measure.unit,
          baseline: { name: "recompute from all entries", value: per(base[measure.key], base.events) },
          ...(target === undefined ? {} : { target }),
        });
      }
    }
  }
  return rows;
}

/** What every consumer's deps carry beside the client and tables, from the resolved model. */
function consumerSettings(consumer?: string) {
  return {
    setAsideTableName: model.tables[model.setAside.table]!.tableName,
    tombstoneRetentionSeconds: model.tombstoneRetentionSeconds,
    aggregateShards: consumerModel(consumer ?? "store-stats").aggregateShards,
  };
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
  const settings = consumerSettings();
  const admin = new DynamoDBClient({ endpoint: db.endpoint, ...LOCAL_CLIENT_CONFIG });
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
          { client: ours.client, tables, ...settings, ...consumerSettings(options.consumer) },
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
      partitions: [AggregateKeys.parkingTotalsPartition],
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
      what: `write order, ${duplicates} redelivered later, ${parkingConcurrency} in flight (its reserved concurrency) over the totals' shards`,
      run: "concurrent",
      inFlight: parkingConcurrency,
    });
    await compare({
      consumer: "store-stats",
      apply: applyStoreEvent,
      deliveries: withDuplicatesShuffled(petEvents(), SEED),
      what: `${EVENTS} pet events over 250 pets + ${duplicates} duplicates, shuffled, ${IN_FLIGHT} in flight over ${consumerModel("store-stats").aggregateShards} shards`,
      run: "pets",
      inFlight: IN_FLIGHT,
      partitions: [AggregateKeys.petsPartition],
    });
  } finally {
    admin.destroy();
    await db.stop();
  }
  return rows;
}

/**
 * CarbonTrack consumers for one user with 10, 1,000 and 10,000 entries already stored, beside
 * the recompute-everything design (`carbonHistoryRows`). Starts its own DynamoDB Local.
 */
export async function benchCarbonHistory(): Promise<Row[]> {
  const db = await startDynamoDbLocal({ port: await freePort() });
  const tables = Object.fromEntries(Object.entries(pipeline.tables).map(([key, t]) => [key, t.tableName]));
  const admin = new DynamoDBClient({ endpoint: db.endpoint, ...LOCAL_CLIENT_CONFIG });
  try {
    await createTables(admin, pipeline);
    return await carbonHistoryRows(db.endpoint, admin, tables);
  } finally {
    admin.destroy();
    await db.stop();
  }
}
