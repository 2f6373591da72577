import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { entrySize, publishEntries } from "#commons/publisher.ts";
import { deleteSetAside, readSetAside, type SetAsideListing } from "#commons/set-aside.ts";
import {
  type ConsumerRejectedSetAside,
  type SetAsideItem,
  type SetAsideItemOf,
  type SetAsideKind,
  SetAsideKinds,
} from "#schemas/set-aside.ts";
import { redrive } from "../../functions/fan-out/redrive.ts";
import { type CliUsage, flagsOrExit, parseFlags } from "../cli/flags.ts";
import { resolveFanOutConfig } from "../function-config.ts";
import { pipeline } from "../pipeline.ts";
import { isStage, STAGES, type Stage, stageName, tableEnvVar, tableOf } from "../topology.ts";
import { redriveDeadLetters } from "./dead-letters.ts";
import { RedriveInputError, RedriveUsageError } from "./errors.ts";
import {
  bucketObjects,
  checkOnFailureObjects,
  localObjects,
  redriveOnFailure,
  type StoredObject,
} from "./on-failure.ts";

/**
 * `npm run redrive`: puts what the pipeline set aside back on its way once the cause is fixed.
 *
 * The set-aside table holds four kinds of item; each has its own way back:
 * - stream records the fan-out could not map (no `kind`): the item is read as it is now (the
 *   record carries its key); a fixed item is mapped afresh and published, one still bad stays
 *   with its current reason, one deleted since is cleared with a note;
 * - `consumer-rejected` events: put on the bus again (every matching rule gets them; consumers
 *   deduplicate on the event id);
 * - `dead-letter` events of the local EventBridge: put on their bus again (in AWS, dead letters
 *   are SQS messages: see docs/runbook.md);
 * - `stream-batch-failure` items, given-up stream batches: their records, kept in the local
 *   on-failure store (the item's `object`), are replayed through the fan-out (`on-failure.ts`);
 *   with `--bucket`, the objects Lambda wrote to the S3 on-failure bucket are. An item without an
 *   object is listed, with the stream range to re-read.
 * Redriven items are deleted; what still fails stays, with its reason.
 */

const KINDS = ["records", "rejected", "dead-letters", "on-failure"] as const;
type Kind = (typeof KINDS)[number];

export const REDRIVE_USAGE = `usage: npm run redrive [-- --stage dev|prod] [--only records|rejected|dead-letters|on-failure] [--id ID] [--bucket NAME] [--dry-run]
  --stage NAME  redrive a deployed stage (its tables and bus are prefixed: prod-ripple-set-aside, prod-ripple)
  --only KIND   redrive one kind only (default: all four)
  --id ID       redrive the one set-aside item with this id (as listed by the dashboard or --dry-run)
  --bucket NAME replay the stream batches Lambda gave up on from this S3 on-failure bucket (stack
                output FanOutOnFailureBucketName); default: the local runtime's on-failure store
  --dry-run     say what would happen to each item (published afresh, stays and why, cleared); change nothing
  --help        show this text
Clients use the SDK's standard configuration (AWS_ENDPOINT_URL_DYNAMODB and
AWS_ENDPOINT_URL_EVENTBRIDGE point them at the local runtime); TABLE_SET_ASIDE and
EVENT_BUS_NAME override the declared set-aside table and bus.`;

export interface RedriveFlags {
  readonly stage?: Stage;
  readonly only?: Kind;
  /** The one set-aside item to redrive. @default all */
  readonly id?: string;
  readonly bucket?: string;
  readonly dryRun: boolean;
  readonly help: boolean;
}

/** Parses the flags; throws {@link RedriveUsageError} naming what is wrong. */
export function parseRedriveArgs(argv: readonly string[]): RedriveFlags {
  const { values } = parseFlags(
    argv,
    { strings: ["only", "stage", "id", "bucket"], booleans: ["dry-run", "help"] },
    (message, cause) => new RedriveUsageError(`${message}\n${REDRIVE_USAGE}`, { cause }),
  );
  if (values.only !== undefined && !(KINDS as readonly string[]).includes(values.only)) {
    throw new RedriveUsageError(
      `--only must be one of ${KINDS.join(", ")} (given ${JSON.stringify(values.only)})\n${REDRIVE_USAGE}`,
    );
  }
  if (values.stage !== undefined && !isStage(values.stage)) {
    throw new RedriveUsageError(
      `--stage must be one of ${STAGES.join(", ")} (given ${JSON.stringify(values.stage)})\n${REDRIVE_USAGE}`,
    );
  }
  if (values.id !== undefined && values.id.trim() === "") {
    throw new RedriveUsageError(
      `--id must name a set-aside item, e.g. --id dead-letter#0b5e… (given an empty id)\n${REDRIVE_USAGE}`,
    );
  }
  if (values.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(values.bucket)) {
    throw new RedriveUsageError(
      `--bucket must be an S3 bucket name, 3-63 lowercase letters, digits, dots and hyphens (given ${JSON.stringify(values.bucket)}), e.g. --bucket "$(out FanOutOnFailureBucketName)"`,
    );
  }
  if (values.bucket !== undefined && values.id !== undefined) {
    throw new RedriveUsageError(
      `--id names a set-aside item, and the objects of --bucket have none; leave out --id to replay the bucket's objects, or --bucket to redrive that item`,
    );
  }
  if (values.bucket !== undefined && values.only !== undefined && values.only !== "on-failure") {
    throw new RedriveUsageError(
      `--bucket is read by the on-failure kind only; leave out --only ${values.only} or give --only on-failure`,
    );
  }
  return {
    ...(values.stage === undefined ? {} : { stage: values.stage }),
    ...(values.id === undefined ? {} : { id: values.id }),
    ...(values.bucket === undefined ? {} : { bucket: values.bucket }),
    ...(values.only === undefined ? {} : { only: values.only as Kind }),
    dryRun: values["dry-run"],
    help: values.help,
  };
}

export interface RedriveIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly dynamodb?: DynamoDBClient;
  readonly eventBridge?: EventBridgeClient;
  readonly s3?: S3Client;
  readonly env?: NodeJS.ProcessEnv;
}

/** The PutEvents entry that puts a rejected EventBridge event back on its bus. */
function entryOfEvent(event: unknown, busName: string): PutEventsRequestEntry {
  const e = event as {
    source: string;
    "detail-type": string;
    detail: unknown;
    resources?: string[];
    time?: string;
  };
  return {
    EventBusName: busName,
    Source: e.source,
    DetailType: e["detail-type"],
    Detail: JSON.stringify(e.detail),
    ...(e.resources === undefined || e.resources.length === 0 ? {} : { Resources: e.resources }),
    ...(e.time === undefined ? {} : { Time: new Date(e.time) }),
  };
}

async function redriveRejected(
  items: readonly ConsumerRejectedSetAside[],
  deps: { dynamodb: DynamoDBClient; eventBridge: EventBridgeClient; tableName: string; busName: string },
): Promise<{ redriven: string[]; failed: { id: string; reason: string }[] }> {
  const entries = items.map((item) => entryOfEvent(item.record, deps.busName));
  const started = Date.now();
  const outcome = await publishEntries(
    deps.eventBridge,
    entries,
    { remainingTimeMs: () => 60_000 - (Date.now() - started) },
    entries.map(entrySize),
  );
  const redriven: string[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const [i, item] of items.entries()) {
    if (outcome.delivered[i]) {
      await deleteSetAside(deps.dynamodb, deps.tableName, item.id);
      redriven.push(item.id);
    } else {
      failed.push({ id: item.id, reason: outcome.lastError[i] ?? "not delivered" });
    }
  }
  return { redriven, failed };
}

const REDRIVE_CLI: CliUsage = { usage: REDRIVE_USAGE, UsageError: RedriveUsageError, prefix: "redrive: " };

/** Runs the redrive as the CLI does; returns the exit code (0 all redriven, 1 some left, 2 bad flags). */
export async function runRedrive(argv: readonly string[], io: RedriveIo): Promise<number> {
  const flags = flagsOrExit(() => parseRedriveArgs(argv), REDRIVE_CLI, io);
  if (typeof flags === "number") return flags;
  const target = redriveTarget(flags, io.env ?? process.env);
  const clients = {
    dynamodb: io.dynamodb ?? new DynamoDBClient({}),
    eventBridge: io.eventBridge ?? new EventBridgeClient({}),
  };
  const s3 = flags.bucket === undefined ? undefined : (io.s3 ?? new S3Client({}));
  try {
    // Given-up batches are read and checked first: bad input stops the redrive before it sends anything.
    let onFailure: OnFailureInput | undefined;
    try {
      onFailure = wants(flags, "on-failure") ? await readOnFailure(flags, target, clients, s3) : undefined;
    } catch (error) {
      if (!(error instanceof RedriveInputError)) throw error;
      io.err(`redrive: ${error.message}`);
      return 2;
    }
    const listing = await readSetAside(clients.dynamodb, target.tableName);
    let left = reportWhatStays(listing, flags, io);
    if (flags.dryRun) {
      await printPlan(listing.items, flags, target, clients, io);
      for (const [name, records] of onFailure?.perObject ?? [])
        io.out(`would replay on-failure: ${name} (${records.length} record(s))`);
      return 0;
    }
    left += await redriveWanted(listing.items, flags, target, clients, io);
    if (onFailure !== undefined) left += await replayOnFailure(onFailure, target, io);
    io.out(
      left === 0
        ? "redrive: nothing left set aside that can be redriven"
        : `redrive: ${left} item(s) still set aside`,
    );
    return left === 0 ? 0 : 1;
  } finally {
    if (io.dynamodb === undefined) clients.dynamodb.destroy();
    if (io.eventBridge === undefined) clients.eventBridge.destroy();
    if (io.s3 === undefined) s3?.destroy();
  }
}

/** Where the redrive reads and writes: the stage's (or overridden) set-aside table and bus. */
interface RedriveTarget {
  readonly tableName: string;
  readonly busName: string;
  readonly physicalName: (key: string) => string;
}

function redriveTarget(flags: RedriveFlags, env: NodeJS.ProcessEnv): RedriveTarget {
  const inStage = (name: string) => (flags.stage === undefined ? name : stageName(flags.stage, name));
  const physicalName = (key: string) => env[tableEnvVar(key)] ?? inStage(tableOf(pipeline, key).tableName);
  return {
    tableName: physicalName(pipeline.fanOut.setAsideTable),
    busName: env.EVENT_BUS_NAME ?? inStage(pipeline.bus.name),
    physicalName,
  };
}

const wants = (flags: RedriveFlags, kind: Kind) => flags.only === undefined || flags.only === kind;
/** Whether the flags take the set-aside item with this id (all, unless --id names one). */
const picks = (flags: RedriveFlags, id: string) => flags.id === undefined || flags.id === id;

function byKind<K extends SetAsideKind>(items: readonly SetAsideItem[], kind: K): SetAsideItemOf<K>[] {
  return items.filter((item): item is SetAsideItemOf<K> => item.kind === kind);
}

/**
 * Prints what no redrive takes back: unreadable items (those of records and dead letters are
 * reported by their own redrive, unless this is a dry run) and given-up stream batches. Returns
 * how many unreadable items it reported.
 */
function reportWhatStays(listing: SetAsideListing, flags: RedriveFlags, io: RedriveIo): number {
  const reportedByRedrive = new Set<string>([SetAsideKinds.streamRecord, SetAsideKinds.deadLetter]);
  let reported = 0;
  for (const item of listing.unreadable) {
    if (!picks(flags, item.id)) continue;
    if (!flags.dryRun && reportedByRedrive.has(item.kind)) continue;
    io.err(`still set aside (unreadable ${item.kind}): ${item.id}: ${item.reason}`);
    reported++;
  }
  for (const item of byKind(listing.items, SetAsideKinds.streamBatchFailure)) {
    if (!picks(flags, item.id)) continue;
    if (item.object !== undefined) continue; // its records are kept: the on-failure kind replays them
    io.out(
      `redrive: ${item.id}: a given-up stream batch (${item.reason}); re-read that range of the stream within its 24 h retention`,
    );
  }
  return reported;
}

/** What a dry run prints: each record's outcome as redrive would decide it, and the events it would put back. */
async function printPlan(
  items: readonly SetAsideItem[],
  flags: RedriveFlags,
  target: RedriveTarget,
  clients: { readonly dynamodb: DynamoDBClient; readonly eventBridge: EventBridgeClient },
  io: RedriveIo,
): Promise<void> {
  if (wants(flags, "records")) {
    const { busName, physicalName } = target;
    const config = resolveFanOutConfig({ busName, pipeline, physicalName });
    const result = await redrive({ ...clients, config, dryRun: true, select: (id) => picks(flags, id) });
    for (const o of result.outcomes) {
      const line =
        o.outcome === "redriven"
          ? `would publish afresh: ${o.id} (${o.note})`
          : o.outcome === "cleared"
            ? `would clear: ${o.id} (${o.note})`
            : `would stay set aside: ${o.id} (${o.reason})`;
      io.out(`records: ${line}`);
    }
  }
  const plan: [Kind, SetAsideItem[]][] = [
    ["rejected", byKind(items, SetAsideKinds.consumerRejected).filter((i) => picks(flags, i.id))],
    ["dead-letters", byKind(items, SetAsideKinds.deadLetter).filter((i) => picks(flags, i.id))],
  ];
  for (const [kind, list] of plan) {
    if (!wants(flags, kind)) continue;
    for (const item of list) io.out(`would redrive ${kind}: ${item.id} (${item.reasonCode}: ${item.reason})`);
  }
}

/** Redrives each kind the flags ask for, printing each outcome; how many items stay. */
async function redriveWanted(
  items: readonly SetAsideItem[],
  flags: RedriveFlags,
  target: RedriveTarget,
  clients: { readonly dynamodb: DynamoDBClient; readonly eventBridge: EventBridgeClient },
  io: RedriveIo,
): Promise<number> {
  let left = 0;
  const report = (kind: Kind, result: { redriven: string[]; failed: { id: string; reason: string }[] }) => {
    for (const id of result.redriven) io.out(`redriven ${kind}: ${id}`);
    for (const f of result.failed) io.err(`still set aside (${kind}): ${f.id}: ${f.reason}`);
    left += result.failed.length;
  };
  const { tableName, busName, physicalName } = target;
  if (wants(flags, "records")) {
    const config = resolveFanOutConfig({ busName, pipeline, physicalName });
    const result = await redrive({ ...clients, config, select: (id) => picks(flags, id) });
    for (const c of result.cleared) io.out(`cleared records: ${c.id}: ${c.note}`);
    report("records", { redriven: result.redriven, failed: result.remaining });
  }
  if (wants(flags, "rejected")) {
    const rejected = byKind(items, SetAsideKinds.consumerRejected).filter((i) => picks(flags, i.id));
    report("rejected", await redriveRejected(rejected, { ...clients, tableName, busName }));
  }
  if (wants(flags, "dead-letters")) {
    report(
      "dead-letters",
      await redriveDeadLetters({ ...clients, tableName, select: (item) => picks(flags, item.id) }),
    );
  }
  return left;
}

/** The given-up batches to replay, read and checked. */
interface OnFailureInput {
  readonly objects: readonly StoredObject[];
  readonly perObject: ReturnType<typeof checkOnFailureObjects>;
}

/**
 * Reads the on-failure objects (from the bucket, or the local store through the set-aside table)
 * and checks every record in them.
 * @throws {RedriveInputError} on a missing bucket or object, or an object not in Lambda's format
 */
async function readOnFailure(
  flags: RedriveFlags,
  target: RedriveTarget,
  clients: { readonly dynamodb: DynamoDBClient },
  s3: S3Client | undefined,
): Promise<OnFailureInput> {
  const objects =
    flags.bucket === undefined || s3 === undefined
      ? (await localObjects(clients.dynamodb, target.tableName, (id) => picks(flags, id))).objects
      : await bucketObjects(s3, flags.bucket);
  const declared = new Set(pipeline.sources.map((s) => target.physicalName(s.table)));
  return { objects, perObject: checkOnFailureObjects(objects, declared) };
}

/** Replays the given-up batches through the fan-out, printing each object's outcome; how many stay. */
async function replayOnFailure(input: OnFailureInput, target: RedriveTarget, io: RedriveIo): Promise<number> {
  const result = await redriveOnFailure(input.objects, input.perObject, {
    pipeline,
    busName: target.busName,
    physicalName: target.physicalName,
  });
  for (const r of result.redriven) io.out(`redriven on-failure: ${r.name} (${r.records} record(s))`);
  for (const f of result.failed) io.err(`still kept (on-failure): ${f.name}: ${f.reason}`);
  return result.failed.length;
}
