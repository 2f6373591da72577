import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { readSetAside } from "#commons/set-aside.ts";
import type { SetAsideItem } from "#schemas/set-aside.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { createLambdaContext, invokeHandler } from "../local/lambda-context.ts";
import { resolveMappingSettings, tableOf } from "../topology.ts";
import type { InputRecord } from "./input.ts";
import { orderRecords, redeliveryStart, seededRandom, toBatches } from "./plan.ts";

/**
 * Where a replay sends records: a fresh in-memory runtime of its own, or a running one.
 *
 * The fan-out is the very handler module Lambda runs, imported in this process with the SDK's
 * endpoint variables pointing at the target's DynamoDB Local and bus, so what it publishes reaches
 * the target's rules and consumers exactly as a stream batch would.
 */
export interface ReplayTarget {
  readonly dynamodb: DynamoDBClient;
  /** Pipeline counters (rows of the runtime's stats: bus deliveries, consumer runs, …). */
  counters(): Promise<ReadonlyMap<string, number>>;
  /** Resolves once every published event has been delivered and every consumer is idle. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const projectRoot = join(import.meta.dirname, "../..");

export interface DeliverOptions {
  /** Chance per record that its batch is sent again from it on. @default 0 */
  readonly duplicate: number;
  /** Interleave items at random (each item's own order kept). @default false */
  readonly shuffle: boolean;
  /** Records per second at most. @default as fast as the fan-out takes them */
  readonly ratePerSecond?: number;
  readonly seed: number;
  /** Called after every batch with the records delivered so far and the total. */
  readonly progress?: (done: number, total: number) => void;
}

export interface DeliveryResult {
  readonly batches: number;
  /** Records sent again by `duplicate`. */
  readonly duplicated: number;
  /** Records the fan-out still reported failed after every retry. */
  readonly undelivered: readonly { readonly where: string; readonly reason: string }[];
}

type FanOutHandler = (
  event: DynamoDBStreamEvent,
  context: unknown,
) => Promise<DynamoDBBatchResponse | undefined>;

async function importFanOut(pipeline: PipelineDeclaration): Promise<FanOutHandler> {
  const module = (await import(pathToFileURL(join(projectRoot, pipeline.fanOut.handler)).href)) as {
    handler: FanOutHandler;
  };
  return module.handler;
}

const MAX_ATTEMPTS = 6;

/**
 * Sends one batch to the fan-out as Lambda's event source mapping would: on a reported failure it
 * resends from the earliest failed record on, backing off, until it succeeds or attempts run out.
 */
async function sendBatch(
  fanOut: FanOutHandler,
  pipeline: PipelineDeclaration,
  batch: readonly InputRecord[],
): Promise<DeliveryResult["undelivered"]> {
  let rest = [...batch];
  let lastReason = "";
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && rest.length > 0; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 2)));
    const context = createLambdaContext({
      functionName: `${pipeline.name}-fan-out`,
      timeoutSeconds: pipeline.fanOut.timeoutSeconds,
      memorySizeMB: pipeline.fanOut.memorySize,
      region: process.env.AWS_REGION ?? "us-east-1",
    });
    try {
      const records: DynamoDBRecord[] = rest.map((r) => structuredClone(r.record));
      const response = await invokeHandler(fanOut, { Records: records }, context, {
        timeoutSeconds: pipeline.fanOut.timeoutSeconds,
      });
      const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      const from = rest.findIndex((r) => failed.includes(r.record.dynamodb?.SequenceNumber ?? ""));
      lastReason = `the fan-out reported record ${failed[0]} failed`;
      rest = from < 0 ? [] : rest.slice(from);
    } catch (error) {
      lastReason = `the fan-out threw: ${(error as Error).message}`;
    }
  }
  return rest.map((r) => ({ where: r.where, reason: lastReason }));
}

/** Delivers the records to the fan-out in per-item order, in batches, at the asked pace. */
export async function deliver(
  pipeline: PipelineDeclaration,
  records: readonly InputRecord[],
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const fanOut = await importFanOut(pipeline);
  const random = seededRandom(options.seed);
  const ordered = orderRecords(records, options.shuffle ? random : undefined);
  const batchSizes = new Map(
    pipeline.sources.map((s) => [tableOf(pipeline, s.table).tableName, resolveMappingSettings(s).batchSize]),
  );
  const batches = toBatches(ordered, (table) => batchSizes.get(table) ?? 100);
  const started = Date.now();
  let sent = 0;
  let duplicated = 0;
  const undelivered: { where: string; reason: string }[] = [];
  for (const batch of batches) {
    if (options.ratePerSecond !== undefined) {
      const due = started + ((sent + batch.length) / options.ratePerSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    undelivered.push(...(await sendBatch(fanOut, pipeline, batch)));
    const again =
      options.duplicate > 0 ? redeliveryStart(batch.length, options.duplicate, random) : undefined;
    if (again !== undefined) {
      const tail = batch.slice(again);
      duplicated += tail.length;
      undelivered.push(...(await sendBatch(fanOut, pipeline, tail)));
    }
    sent += batch.length;
    options.progress?.(sent, ordered.length);
  }
  return { batches: batches.length, duplicated, undelivered };
}

/** Every item of a table as canonical JSON, by key, to tell what a replay changed. */
export async function snapshotTable(client: DynamoDBClient, tableName: string, keyNames: readonly string[]) {
  const items = new Map<string, string>();
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const key = JSON.stringify(keyNames.map((k) => item[k]));
      const sorted = Object.keys(item)
        .sort()
        .map((k) => [k, item[k]]);
      items.set(key, JSON.stringify(sorted));
    }
  }
  return items;
}

/** How many items differ between two snapshots (added, changed or removed). */
export function changedItems(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): number {
  let changed = 0;
  for (const [key, value] of after) if (before.get(key) !== value) changed++;
  for (const key of before.keys()) if (!after.has(key)) changed++;
  return changed;
}

/** Set-aside items that were not there before, by id. */
export async function newSetAside(
  target: ReplayTarget,
  tableName: string,
  before: ReadonlySet<string>,
): Promise<SetAsideItem[]> {
  return (await readSetAside(target.dynamodb, tableName)).items.filter((item) => !before.has(item.id));
}
