import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import type { PipelineDeclaration } from "../declaration.ts";
import { freeRuntimePorts } from "../local/ports.ts";
import { localEnvironment, type Runtime, startRuntime } from "../local/runtime.ts";
import { resolvePipeline } from "../model.ts";
import { ReplayError } from "./errors.ts";
import type { InputRecord } from "./input.ts";
import type { ReplayTarget } from "./replay.ts";

export type { ReplayTarget } from "./replay.ts";

interface StatsBody {
  readonly rows: readonly { name: string; value: number }[];
  readonly endpoints?: { readonly dynamodb: string; readonly eventbridge: string };
}

function toMap(rows: StatsBody["rows"]): Map<string, number> {
  return new Map(rows.map((r) => [r.name, r.value]));
}

/** Lambda's JSON form of a Binary value is base64 text; the SDK wants bytes. */
function toSdkValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.B === "string") return { B: Buffer.from(v.B, "base64") };
  if (Array.isArray(v.BS)) return { BS: v.BS.map((b) => Buffer.from(String(b), "base64")) };
  if (Array.isArray(v.L)) return { L: v.L.map(toSdkValue) };
  if (typeof v.M === "object" && v.M !== null) {
    return { M: Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, toSdkValue(x)])) };
  }
  return v;
}

type TableRecord = DynamoDBRecord & { readonly table: string };

/** Every item's records in the order delivered, by item. */
export type ItemHistories = ReadonlyMap<string, readonly TableRecord[]>;

/** The records of every item, in order. */
/** The key of a record's item in {@link ItemHistories}: its table and its keys. */
export function itemKey(r: InputRecord): string {
  return `${r.table}\u0000${JSON.stringify(r.record.dynamodb?.Keys)}`;
}

export function itemHistories(ordered: readonly InputRecord[]): ItemHistories {
  const items = new Map<string, TableRecord[]>();
  for (const r of ordered) {
    const key = itemKey(r);
    items.set(key, [...(items.get(key) ?? []), { ...r.record, table: r.table }]);
  }
  return items;
}

async function putImage(
  dynamodb: DynamoDBClient,
  record: TableRecord | undefined,
  table: string,
  keys: unknown,
) {
  const image = record?.dynamodb?.NewImage;
  if (record === undefined || record.eventName === "REMOVE" || image === undefined) {
    const Key = Object.fromEntries(Object.entries(keys ?? {}).map(([k, v]) => [k, toSdkValue(v)]));
    await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: Key as never }));
    return;
  }
  const Item = Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toSdkValue(v)]));
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: Item as never }));
}

/**
 * Gives a fresh runtime's source tables the state the records end in (each item's last image;
 * nothing for an item last removed), so the audit has the truth to compare aggregates with.
 * The runtime's stream pollers are off: these writes feed no fan-out.
 */
export async function materialize(
  dynamodb: DynamoDBClient,
  items: ItemHistories,
): Promise<{ readonly unstorable: string[]; readonly unstorableItems: ReadonlySet<string> }> {
  const unstorable: string[] = [];
  const unstorableItems = new Set<string>();
  for (const [key, history] of items) {
    const last = history.at(-1)!;
    try {
      await putImage(dynamodb, last, last.table, last.dynamodb?.Keys);
    } catch (error) {
      // A hand-made record may hold an image no table can: DynamoDB items are at most 400 KB.
      if ((error as Error).name !== "ValidationException") throw error;
      unstorableItems.add(key);
      unstorable.push(
        `${last.table} ${JSON.stringify(last.dynamodb?.Keys)}: DynamoDB refused its last image (${(error as Error).message}); no table's stream could carry it, so its ${history.length} record(s) are not replayed`,
      );
    }
  }
  return { unstorable, unstorableItems };
}

/**
 * Where the fan-out set aside an item's last records, puts back the last version it did take
 * (or nothing, if it took none): the audit is asked about what the pipeline took, and the
 * set-aside records are listed in the summary instead.
 */
export async function withdrawSetAside(
  dynamodb: DynamoDBClient,
  items: ItemHistories,
  setAside: readonly { readonly table: string; readonly sequenceNumber: string; readonly record: unknown }[],
): Promise<void> {
  // Keyed by the item's keys too: a hand-made recording may reuse a sequence number across items.
  const id = (table: string, sequenceNumber: string | undefined, keys: unknown) =>
    `${table}#${sequenceNumber}#${JSON.stringify(keys)}`;
  const refused = new Set(
    setAside.map((i) =>
      id(i.table, i.sequenceNumber, (i.record as DynamoDBRecord | undefined)?.dynamodb?.Keys),
    ),
  );
  const isRefused = (r: TableRecord) =>
    refused.has(id(r.table, r.dynamodb?.SequenceNumber, r.dynamodb?.Keys));
  for (const history of items.values()) {
    const last = history.at(-1)!;
    if (!isRefused(last)) continue;
    const taken = history.findLast((r) => !isRefused(r));
    // An image no table can hold was reported when the tables were given their state.
    await putImage(dynamodb, taken, last.table, last.dynamodb?.Keys).catch((error: Error) => {
      if (error.name !== "ValidationException") throw error;
    });
  }
}

/**
 * Turns off the tables' TTL in a fresh runtime. Its stream pollers are off, so an item whose
 * recorded `ttl` has passed since the recording would vanish from the table without the REMOVE
 * that carries its expiry to the aggregates: the audit would then count what the consumers did
 * not see go. With TTL off, such an item stays, as it does in DynamoDB until TTL gets to it
 * (usually days), and a recorded expiry (a REMOVE by dynamodb.amazonaws.com) is replayed as recorded.
 */
async function stopTimeToLive(dynamodb: DynamoDBClient, pipeline: PipelineDeclaration): Promise<void> {
  for (const table of Object.values(resolvePipeline(pipeline).tables)) {
    if (table.timeToLiveAttribute === undefined) continue;
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: table.tableName,
        TimeToLiveSpecification: { Enabled: false, AttributeName: table.timeToLiveAttribute },
      }),
    );
  }
}

/** A fresh in-memory runtime on free ports, with its stream pollers off. */
export async function freshTarget(
  pipeline: PipelineDeclaration,
  options: { readonly shuffle: boolean },
): Promise<ReplayTarget & { readonly runtime: Runtime }> {
  const runtime = await startRuntime({
    pipeline,
    ...(await freeRuntimePorts()),
    streams: false,
    seedData: false,
    retryBaseDelayMs: 100,
    asyncRetryDelayMs: 1000,
    // Shuffled delivery: the bus holds each delivery back a random time, so events arrive out of order.
    ...(options.shuffle ? { chaos: { maxDelayMs: 200 } } : {}),
    logger: { info: () => {}, warn: () => {}, error: (line: string) => console.error(line) },
  });
  await stopTimeToLive(runtime.dynamodb, pipeline);
  return {
    runtime,
    dynamodb: runtime.dynamodb,
    counters: async () => toMap(runtime.stats().rows),
    settled: () => runtime.settled({ timeoutMs: 10 * 60_000 }),
    stop: () => runtime.stop(),
  };
}

async function readStats(endpoint: string, token: string): Promise<StatsBody> {
  let response: Response;
  try {
    response = await fetch(`${endpoint.replace(/\/$/, "")}/local/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    throw new ReplayError(
      `no ripple runtime answers at ${endpoint} (${(error as Error).message}); start one with npm start, or leave out --endpoint to replay into a fresh one`,
    );
  }
  if (response.status === 401) {
    throw new ReplayError(
      `${endpoint} refused the token; give the token npm start printed with --token or RIPPLE_API_TOKEN`,
    );
  }
  if (!response.ok) throw new ReplayError(`${endpoint}/local/stats answered ${response.status}`);
  return (await response.json()) as StatsBody;
}

/**
 * A runtime already running (`npm start`), found through its API's `/local/stats`. Settling is
 * judged from outside: the runtime's counters unchanged over a quiet period.
 */
export async function runningTarget(
  pipeline: PipelineDeclaration,
  endpoint: string,
  token: string,
): Promise<ReplayTarget> {
  const first = await readStats(endpoint, token);
  if (first.endpoints === undefined) {
    throw new ReplayError(
      `${endpoint}/local/stats names no endpoints; is it a ripple runtime of this version?`,
    );
  }
  Object.assign(process.env, localEnvironment(resolvePipeline(pipeline), first.endpoints, token));
  const dynamodb = new DynamoDBClient({});
  const counters = async () => toMap((await readStats(endpoint, token)).rows);
  return {
    dynamodb,
    counters,
    settled: async () => {
      let before = JSON.stringify([...(await counters())]);
      for (let quiet = 0; quiet < 4; ) {
        await new Promise((r) => setTimeout(r, 500));
        const now = JSON.stringify([...(await counters())]);
        quiet = now === before ? quiet + 1 : 0;
        before = now;
      }
    },
    stop: async () => dynamodb.destroy(),
  };
}
