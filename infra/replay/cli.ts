import { writeFileSync } from "node:fs";
import { runAudit } from "../audit/cli.ts";
import { parseFlags } from "../cli/flags.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { tableOf } from "../topology.ts";
import { ReplayError, ReplayInputError, ReplayUsageError } from "./errors.ts";
import { readRecords } from "./input.ts";
import { orderRecords } from "./plan.ts";
import { changedItems, type DeliveryResult, deliver, newSetAside, snapshotTable } from "./replay.ts";
import {
  freshTarget,
  itemHistories,
  itemKey,
  materialize,
  type ReplayTarget,
  runningTarget,
  withdrawSetAside,
} from "./target.ts";

/**
 * `npm run replay -- FILE|DIR...`: runs recorded stream records through the fan-out, bus and
 * consumers of a runtime, then audits the aggregates and prints what happened.
 * Exit 0 when the audit agrees and every record was delivered, 1 on any difference or record the
 * fan-out would not take, 2 on unreadable input or bad flags (nothing is replayed then).
 */

export const USAGE = `usage: npm run replay -- FILE|DIR... [options]
  FILE|DIR         recorded stream records: JSONL (npm start -- --record FILE), Lambda events
                   {"Records": [...]} (as in events/), or S3 on-failure objects; a folder is read whole
  --endpoint URL   replay into the runtime running at URL (its API, e.g. http://127.0.0.1:3000);
                   default: a fresh in-memory runtime whose tables get the records' final state
  --token TOKEN    that runtime's API token (default RIPPLE_API_TOKEN)
  --duplicate P    send batches again from a record on, with chance P per record (0-1, e.g. 0.2)
  --shuffle        interleave items at random and let the bus deliver out of order
  --rate N         at most N records per second (e.g. 50)
  --seed N         seed of --duplicate and --shuffle, to repeat a run (default 1)
  --out FILE       write every item of the tables the consumers write, as they end, to FILE (JSON)
  --help           show this text`;

export interface ReplayFlags {
  readonly paths: readonly string[];
  readonly endpoint?: string;
  readonly token?: string;
  readonly duplicate: number;
  readonly shuffle: boolean;
  readonly ratePerSecond?: number;
  readonly seed: number;
  readonly out?: string;
  readonly help: boolean;
}

function numberFlag(flag: string, text: string | undefined, ok: (n: number) => boolean, expected: string) {
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!ok(n)) throw new ReplayUsageError(`--${flag} must be ${expected} (given ${JSON.stringify(text)})`);
  return n;
}

/** Parses the replay's flags; throws {@link ReplayUsageError} on anything else. */
export function parseReplayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ReplayFlags {
  const parsed = parseFlags(
    argv,
    { strings: ["endpoint", "token", "duplicate", "rate", "seed", "out"], booleans: ["shuffle", "help"] },
    (message, cause) => new ReplayUsageError(`${message}\n${USAGE}`, { cause }),
    true,
  );
  const v = parsed.values;
  const str = (k: "endpoint" | "token" | "duplicate" | "rate" | "seed" | "out") => v[k];
  const help = v.help;
  if (!help && parsed.positionals.length === 0) {
    throw new ReplayUsageError(
      `give at least one file or folder of recorded stream records, e.g. npm run replay -- events/\n${USAGE}`,
    );
  }
  const endpoint = str("endpoint");
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ReplayUsageError(
      `--endpoint must be the runtime's API URL, e.g. http://127.0.0.1:3000 (given ${JSON.stringify(endpoint)})`,
    );
  }
  const token = str("token") ?? env.RIPPLE_API_TOKEN;
  if (endpoint !== undefined && (token === undefined || token === "")) {
    throw new ReplayUsageError(
      "--endpoint needs the runtime's API token: give --token TOKEN (printed by npm start) or set RIPPLE_API_TOKEN",
    );
  }
  const duplicate =
    numberFlag(
      "duplicate",
      str("duplicate"),
      (n) => n >= 0 && n <= 1,
      "a chance between 0 and 1, e.g. 0.2",
    ) ?? 0;
  const rate = numberFlag(
    "rate",
    str("rate"),
    (n) => n > 0,
    "a number of records per second above 0, e.g. 50",
  );
  const seed = numberFlag("seed", str("seed"), (n) => Number.isInteger(n), "a whole number, e.g. 42") ?? 1;
  return {
    paths: parsed.positionals,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(token === undefined ? {} : { token }),
    duplicate,
    shuffle: v.shuffle === true,
    ...(rate === undefined ? {} : { ratePerSecond: rate }),
    seed,
    ...(str("out") === undefined ? {} : { out: str("out") as string }),
    help,
  };
}

export interface ReplayIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Redraws the progress line; only given on a terminal. */
  readonly progress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} records`;
}

/** Each counter's growth between two readings, for the rows that grew. */
function grown(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): [string, number][] {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number])
    .filter(([, d]) => d > 0);
}

async function snapshots(target: ReplayTarget, pipeline: PipelineDeclaration) {
  const written = [...new Set(pipeline.consumers.flatMap((c) => c.writes))];
  const out = new Map<string, Map<string, string>>();
  for (const key of written) {
    const table = tableOf(pipeline, key);
    const keys = [table.partitionKey.name, ...(table.sortKey === undefined ? [] : [table.sortKey.name])];
    out.set(table.tableName, await snapshotTable(target.dynamodb, table.tableName, keys));
  }
  return out;
}

/** Runs the audit against the target, keeping its lines for the summary; a crash is a difference. */
async function auditQuietly(target: ReplayTarget): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runAudit([], {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    client: target.dynamodb,
  }).catch((error: unknown) => {
    lines.push(`the audit could not finish: ${(error as Error).message}`);
    return 1;
  });
  return { code, lines };
}

type Snapshots = Awaited<ReturnType<typeof snapshots>>;

/** The summary: records read, counters, what was set aside and why, aggregates changed, the audit. */
function printSummary(
  io: ReplayIo,
  run: {
    readonly records: ReturnType<typeof readRecords>;
    readonly delivery: DeliveryResult;
    readonly counters: [string, number][];
    readonly setAside: Awaited<ReturnType<typeof newSetAside>>;
    readonly before: Snapshots;
    readonly after: Snapshots;
    readonly unstorable: readonly string[];
    readonly audit: { readonly code: number; readonly lines: readonly string[] };
  },
): void {
  const { records, delivery } = run;
  const files = new Set(records.map((r) => r.where.replace(/(:\d+| record \d+)$/, "")));
  io.out(
    `replay: ${records.length} records read from ${files.size} file(s), delivered in ${delivery.batches} batches` +
      (delivery.duplicated > 0 ? `, ${delivery.duplicated} sent again (--duplicate)` : ""),
  );
  io.out(`  events published and delivered (bus, consumer runs):`);
  for (const [name, n] of run.counters) io.out(`    ${name.padEnd(40)} ${n}`);
  io.out(`  set aside: ${run.setAside.length}`);
  for (const item of run.setAside)
    io.out(`    ${item.reasonCode} ${item.table} ${item.sequenceNumber}: ${item.reason}`);
  for (const [table, snapshot] of run.after) {
    const n = changedItems(run.before.get(table) ?? new Map(), snapshot);
    if (n > 0) io.out(`  aggregates changed: ${n} item(s) of ${table}`);
  }
  for (const line of run.unstorable) io.out(`  not stored: ${line}`);
  if (delivery.undelivered.length > 0) {
    io.out(`  not delivered: ${delivery.undelivered.length} record(s)`);
    for (const u of delivery.undelivered) io.out(`    ${u.where}: ${u.reason}`);
  }
  io.out(`  audit: ${run.audit.code === 0 ? "no difference" : "differences found"}`);
  for (const line of run.audit.lines) io.out(`    ${line}`);
}

/** `--out FILE`: every item of the tables the consumers write, as the replay left them. */
function writeAggregates(file: string, after: Snapshots, io: ReplayIo): void {
  const tables = Object.fromEntries(
    [...after].map(([table, items]) => [
      table,
      [...items.values()].sort().map((json) => Object.fromEntries(JSON.parse(json))),
    ]),
  );
  writeFileSync(file, `${JSON.stringify(tables, null, 1)}\n`);
  io.out(`  aggregates written to ${file}`);
}

/** Runs a replay as the CLI does and returns the exit code. */
export async function runReplay(
  argv: readonly string[],
  pipeline: PipelineDeclaration,
  io: ReplayIo,
): Promise<number> {
  let flags: ReplayFlags;
  let records: ReturnType<typeof readRecords>;
  try {
    flags = parseReplayArgs(argv, io.env ?? process.env);
    if (flags.help) {
      io.out(USAGE);
      return 0;
    }
    const declared = new Set(pipeline.sources.map((s) => tableOf(pipeline, s.table).tableName));
    records = readRecords(flags.paths, declared);
  } catch (error) {
    if (!(error instanceof ReplayUsageError || error instanceof ReplayInputError)) throw error;
    io.err(`replay: ${error.message}`);
    return 2;
  }

  let target: ReplayTarget | undefined;
  try {
    target =
      flags.endpoint === undefined
        ? await freshTarget(pipeline, { shuffle: flags.shuffle })
        : await runningTarget(pipeline, flags.endpoint, flags.token ?? "");
    const setAsideTable = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;
    const setAsideBefore = new Set((await newSetAside(target, setAsideTable, new Set())).map((i) => i.id));
    const fresh = flags.endpoint === undefined;
    const items = itemHistories(orderRecords(records));
    const { unstorable, unstorableItems } = fresh
      ? await materialize(target.dynamodb, items)
      : { unstorable: [], unstorableItems: new Set<string>() };
    // An item no table can hold came from no table's stream: its records are left out.
    const replayed = records.filter((r) => !unstorableItems.has(itemKey(r)));
    const before = await snapshots(target, pipeline);
    const countersBefore = await target.counters();

    const delivery: DeliveryResult = await deliver(pipeline, replayed, {
      duplicate: flags.duplicate,
      shuffle: flags.shuffle,
      seed: flags.seed,
      ...(flags.ratePerSecond === undefined ? {} : { ratePerSecond: flags.ratePerSecond }),
      ...(io.progress === undefined ? {} : { progress: (done, total) => io.progress?.(bar(done, total)) }),
    });
    await target.settled();

    const after = await snapshots(target, pipeline);
    const counters = grown(countersBefore, await target.counters());
    const setAside = await newSetAside(target, setAsideTable, setAsideBefore);
    if (fresh)
      await withdrawSetAside(
        target.dynamodb,
        items,
        setAside.filter((i) => i.kind === "stream-record"),
      );
    const audit = await auditQuietly(target);
    printSummary(io, { records, delivery, counters, setAside, before, after, unstorable, audit });
    if (flags.out !== undefined) writeAggregates(flags.out, after, io);
    return audit.code === 0 && delivery.undelivered.length === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    io.err(`replay: ${error.message}`);
    return 2;
  } finally {
    await target?.stop();
  }
}
