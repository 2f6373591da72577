import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { entrySize, publishEntries } from "#commons/publisher.ts";
import { deleteSetAside, readSetAside, type SetAsideItem } from "#commons/set-aside.ts";
import { redrive } from "../../functions/fan-out/redrive.ts";
import { resolveFanOutConfig } from "../function-config.ts";
import { redriveDeadLetters } from "../local/eventbridge/redrive.ts";
import { pipeline } from "../pipeline.ts";
import { isStage, STAGES, type Stage, stageName, tableEnvVar, tableOf } from "../topology.ts";
import { RedriveUsageError } from "./errors.ts";

/**
 * `npm run redrive`: puts what the pipeline set aside back on its way once the cause is fixed.
 *
 * The set-aside table holds four kinds of item; each has its own way back:
 * - stream records the fan-out could not map (no `kind`): mapped again and published, when they
 *   now map;
 * - `consumer-rejected` events: put on the bus again (every matching rule gets them; consumers
 *   deduplicate on the event id);
 * - `dead-letter` events of the local EventBridge: put on their bus again (in AWS, dead letters
 *   are SQS messages: see docs/runbook.md);
 * - `stream-batch-failure` descriptions of given-up batches: listed, with the stream range to
 *   re-read; they hold no records to send.
 * Redriven items are deleted; what still fails stays, with its reason.
 */

const KINDS = ["records", "rejected", "dead-letters"] as const;
type Kind = (typeof KINDS)[number];

export const REDRIVE_USAGE = `usage: npm run redrive [-- --stage dev|prod] [--only records|rejected|dead-letters] [--dry-run]
  --stage NAME  redrive a deployed stage (its tables and bus are prefixed: prod-ripple-set-aside, prod-ripple)
  --only KIND   redrive one kind only (default: all three)
  --dry-run     list what would be redriven; change nothing
  --help        show this text
Clients use the SDK's standard configuration (AWS_ENDPOINT_URL_DYNAMODB and
AWS_ENDPOINT_URL_EVENTBRIDGE point them at the local runtime); TABLE_SET_ASIDE and
EVENT_BUS_NAME override the declared set-aside table and bus.`;

export interface RedriveFlags {
  readonly stage?: Stage;
  readonly only?: Kind;
  readonly dryRun: boolean;
  readonly help: boolean;
}

/** Parses the flags; throws {@link RedriveUsageError} naming what is wrong. */
export function parseRedriveArgs(argv: readonly string[]): RedriveFlags {
  let values: { only?: string; stage?: string; "dry-run": boolean; help: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        only: { type: "string" },
        stage: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new RedriveUsageError(`${(error as Error).message}\n${REDRIVE_USAGE}`, { cause: error });
  }
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
  return {
    ...(values.stage === undefined ? {} : { stage: values.stage }),
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
  items: readonly SetAsideItem[],
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

/** Runs the redrive as the CLI does; returns the exit code (0 all redriven, 1 some left, 2 bad flags). */
export async function runRedrive(argv: readonly string[], io: RedriveIo): Promise<number> {
  let flags: RedriveFlags;
  try {
    flags = parseRedriveArgs(argv);
  } catch (error) {
    if (!(error instanceof RedriveUsageError)) throw error;
    io.err(`redrive: ${error.message}`);
    return 2;
  }
  if (flags.help) {
    io.out(REDRIVE_USAGE);
    return 0;
  }
  const env = io.env ?? process.env;
  const inStage = (name: string) => (flags.stage === undefined ? name : stageName(flags.stage, name));
  const physicalName = (key: string) => env[tableEnvVar(key)] ?? inStage(tableOf(pipeline, key).tableName);
  const tableName = physicalName(pipeline.fanOut.setAsideTable);
  const busName = env.EVENT_BUS_NAME ?? inStage(pipeline.bus.name);
  const dynamodb = io.dynamodb ?? new DynamoDBClient({});
  const eventBridge = io.eventBridge ?? new EventBridgeClient({});
  const wants = (kind: Kind) => flags.only === undefined || flags.only === kind;
  let left = 0;
  try {
    const items = await readSetAside(dynamodb, tableName);
    const byKind = (kind: string | undefined) => items.filter((item) => item.kind === kind);
    for (const item of byKind("stream-batch-failure")) {
      io.out(
        `redrive: ${item.id}: a given-up stream batch (${item.reason}); re-read that range of the stream within its 24 h retention`,
      );
    }
    if (flags.dryRun) {
      const plan: [Kind, SetAsideItem[]][] = [
        ["records", byKind(undefined)],
        ["rejected", byKind("consumer-rejected")],
        ["dead-letters", byKind("dead-letter")],
      ];
      for (const [kind, list] of plan) {
        if (!wants(kind)) continue;
        for (const item of list)
          io.out(`would redrive ${kind}: ${item.id} (${item.reasonCode}: ${item.reason})`);
      }
      return 0;
    }
    const report = (kind: Kind, result: { redriven: string[]; failed: { id: string; reason: string }[] }) => {
      for (const id of result.redriven) io.out(`redriven ${kind}: ${id}`);
      for (const f of result.failed) io.err(`still set aside (${kind}): ${f.id}: ${f.reason}`);
      left += result.failed.length;
    };
    if (wants("records")) {
      const config = resolveFanOutConfig({
        busName,
        pipeline,
        physicalName,
      });
      const result = await redrive({ eventBridge, dynamodb, config });
      report("records", { redriven: result.redriven, failed: result.remaining });
    }
    if (wants("rejected")) {
      report(
        "rejected",
        await redriveRejected(byKind("consumer-rejected"), { dynamodb, eventBridge, tableName, busName }),
      );
    }
    if (wants("dead-letters")) {
      report("dead-letters", await redriveDeadLetters({ dynamodb, eventBridge, tableName }));
    }
    io.out(
      left === 0
        ? "redrive: nothing left set aside that can be redriven"
        : `redrive: ${left} item(s) still set aside`,
    );
    return left === 0 ? 0 : 1;
  } finally {
    if (io.dynamodb === undefined) dynamodb.destroy();
    if (io.eventBridge === undefined) eventBridge.destroy();
  }
}
