import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { entrySize, MAX_REQUEST_BYTES } from "#commons/publisher.ts";
import type { FanOutConfig } from "../functions/fan-out/config.ts";
import { fanOut } from "../functions/fan-out/fan-out.ts";
import { planRecord } from "../functions/fan-out/map-record.ts";
import { resolveFanOutConfig } from "../infra/function-config.ts";
import type { Row } from "./load.ts";

const BATCH_SIZE = 1_000;
const WARMUP_RUNS = 3;
const MEASURED_RUNS = 11;
const EVENTS_DIR = fileURLToPath(new URL("../events/", import.meta.url));

/** Recorded records and how often each appears in the generated batch (weights sum to 100). */
const MIX: [file: string, weight: number][] = [
  ["parking-data/modify.json", 30],
  ["carbontrack-entries/insert.json", 20],
  ["events/insert-all-types.json", 10],
  ["events/modify.json", 5],
  ["cloudshelf-shopping-cart/modify.json", 15],
  ["PetStore/insert.json", 5],
  ["PetStore/modify.json", 5],
  ["carbontrack-goals/insert.json", 4],
  ["cloudshelf-shopping-cart/ttl-expire.json", 3],
  ["parking-data/remove.json", 3],
];

/** 1,000 realistic stream records over the source tables, each with its own key and sequence number. */
function generateBatchJson(): string {
  const templates = MIX.map(([file, weight]) => {
    const record = (JSON.parse(readFileSync(`${EVENTS_DIR}${file}`, "utf8")) as { Records: DynamoDBRecord[] })
      .Records[0] as DynamoDBRecord;
    return { json: JSON.stringify(record), weight };
  });
  const records: DynamoDBRecord[] = [];
  let sequence = 4_421_584_500_000_000_017_450_500_000n;
  for (let i = 0; records.length < BATCH_SIZE; i++) {
    for (const { json, weight } of templates) {
      if (i % 100 >= weight || records.length >= BATCH_SIZE) continue;
      const record = JSON.parse(json) as DynamoDBRecord;
      sequence += 1_000n;
      const stream = record.dynamodb!;
      stream.SequenceNumber = sequence.toString();
      stream.ApproximateCreationDateTime = 1_764_518_712 + Math.floor(records.length / 100);
      // Give every record its own partition key.
      for (const image of [stream.Keys, stream.NewImage]) {
        for (const name of ["carParkId", "userId", "user_id"]) {
          const attribute = image?.[name];
          if (attribute?.S !== undefined) attribute.S = `${attribute.S}-${records.length}`;
        }
        if (image?.id?.N !== undefined) image.id.N = String(1000 + records.length);
      }
      records.push(record);
    }
  }
  return JSON.stringify({ Records: records });
}

const DETAIL_TYPE = Buffer.from('"DetailType":');

/** An EventBridge client whose HTTP handler (its edge) answers every PutEvents at once with success. */
function instantEventBridge(sizes: number[]): EventBridgeClient {
  return new EventBridgeClient({
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    requestHandler: {
      handle: async (request: { body?: string | Uint8Array }) => {
        const raw = request.body ?? "";
        const body =
          typeof raw === "string"
            ? Buffer.from(raw)
            : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        sizes.push(body.byteLength);
        let count = 0;
        for (let at = body.indexOf(DETAIL_TYPE); at >= 0; at = body.indexOf(DETAIL_TYPE, at + 1)) count++;
        const entries = Array.from({ length: count }, (_, i) => `{"EventId":"e${i}"}`).join(",");
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "application/x-amz-json-1.1" },
            body: Buffer.from(`{"FailedEntryCount":0,"Entries":[${entries}]}`),
          },
        };
      },
    } as never,
  });
}

/**
 * The straightforward handler: the same mapping, but one PutEvents request per record, as a
 * handler that loops over records and awaits `send` for each would.
 */
async function oneRequestPerRecord(
  records: DynamoDBRecord[],
  client: EventBridgeClient,
  config: FanOutConfig,
) {
  for (const record of records) {
    for (const event of planRecord(record, config).events) {
      await client.send(new PutEventsCommand({ Entries: [event.entry] }));
    }
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Times several contenders in turn, round after round (so load that comes and goes on the
 * machine hits them alike), after warm-up rounds; returns each one's median milliseconds.
 */
async function interleavedMedians<K extends string>(
  contenders: Record<K, () => Promise<unknown> | unknown>,
): Promise<Record<K, number>> {
  const names = Object.keys(contenders) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < WARMUP_RUNS + MEASURED_RUNS; round++) {
    for (const name of names) {
      const start = performance.now();
      await contenders[name]();
      if (round >= WARMUP_RUNS) times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name])])) as Record<K, number>;
}

/**
 * Measures the fan-out on 1,000 realistic records from a mix of tables against the JSON floor
 * (parse and re-stringify the batch) and a straightforward one-request-per-record handler, with
 * EventBridge answering instantly at its HTTP edge so only our CPU cost (and the SDK's) counts.
 */
export async function benchFanOut(): Promise<Row[]> {
  const batchJson = generateBatchJson();
  const config = resolveFanOutConfig({ busName: "ripple-bench" });
  const dynamodb = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "b", secretAccessKey: "b" },
  });
  const parse = () => (JSON.parse(batchJson) as { Records: DynamoDBRecord[] }).Records;

  // EventBridge stubbed at `send`: only our code runs.
  const accepted = Array.from({ length: 10 }, (_, i) => ({ EventId: `e${i}` }));
  const sendStub = {
    send: async (command: PutEventsCommand) => ({
      FailedEntryCount: 0,
      Entries: accepted.slice(0, command.input.Entries?.length ?? 0),
    }),
  } as unknown as EventBridgeClient;
  // One more run records every request, sized as EventBridge sizes it.
  const sent: PutEventsRequestEntry[][] = [];
  const recordingStub = {
    send: async (command: PutEventsCommand) => {
      sent.push(command.input.Entries ?? []);
      return sendStub.send(command);
    },
  } as unknown as EventBridgeClient;
  const run = async (eventBridge: EventBridgeClient) => {
    const result = await fanOut(parse(), { eventBridge, dynamodb, config, remainingTimeMs: () => 60_000 });
    if (result.batchItemFailures.length > 0) throw new Error("the bench batch was not fully delivered");
  };

  // EventBridge stubbed at its HTTP handler: the SDK builds, serializes and signs each request.
  const httpStub = instantEventBridge([]);
  const ms = await interleavedMedians({
    floor: () => JSON.stringify(JSON.parse(batchJson)),
    fanOut: () => run(sendStub),
    fanOutSdk: () => run(httpStub),
    baseline: () => oneRequestPerRecord(parse(), httpStub, config),
  });
  const { floor: floorMs, fanOut: fanOutMs, fanOutSdk: fanOutSdkMs, baseline: baselineMs } = ms;
  await run(recordingStub);

  const perSecond = (ms: number) => Math.round((BATCH_SIZE / ms) * 1000);
  const perRun = sent.map((request) => request.length);
  const full = perRun.slice(0, -1);
  const largestRequest = Math.max(
    ...sent.map((request) => request.reduce((sum, e) => sum + entrySize(e), 0)),
  );
  return [
    {
      name: "fan-out, EventBridge send stubbed (1,000 mixed records)",
      value: perSecond(fanOutMs),
      unit: "records/s",
      baseline: { name: "JSON parse + stringify of the batch (floor)", value: perSecond(floorMs) },
    },
    {
      name: "fan-out cost relative to the JSON floor",
      value: Number((fanOutMs / floorMs).toFixed(2)),
      unit: "× floor",
      target: "≤ 3",
    },
    {
      name: "fan-out incl. SDK request building, HTTP edge stubbed",
      value: perSecond(fanOutSdkMs),
      unit: "records/s",
      baseline: { name: "one PutEvents request per record (same stub)", value: perSecond(baselineMs) },
      target: "≥ 5× baseline",
    },
    {
      name: "fan-out speed-up over one request per record",
      value: Number((baselineMs / fanOutSdkMs).toFixed(2)),
      unit: "×",
      target: "≥ 5",
    },
    {
      name: "entries per PutEvents request (full requests)",
      value: Number((full.reduce((a, b) => a + b, 0) / Math.max(1, full.length)).toFixed(2)),
      unit: "entries",
      baseline: {
        name: "all requests, last included",
        value: Number((perRun.reduce((a, b) => a + b, 0) / perRun.length).toFixed(2)),
      },
      target: "≥ 9.9",
    },
    {
      name: "largest PutEvents request",
      value: largestRequest,
      unit: "bytes",
      target: `≤ ${MAX_REQUEST_BYTES}`,
    },
  ];
}
