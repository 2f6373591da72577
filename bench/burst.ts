process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readParkingTotals, readPetStats } from "#commons/aggregates.ts";
import { auditAll, auditTableNames } from "#infra/audit/audit.ts";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import { type BurstPlan, runBurst } from "../test/helpers/burst.ts";
import { scanItems } from "../test/helpers/process-runtime.ts";
import { startTestRuntime } from "../test/helpers/runtime.ts";
import type { Row } from "./load.ts";

/**
 * A burst far above what one machine serves, on the whole local runtime under `--data` (durable
 * hand-offs, Lambda's own 1- and 2-minute retry delays): dead letters, failed invocations and the
 * time to converge, with the hot aggregates sharded as declared, beside the same burst on the
 * single-item design (`aggregateShards: 1`: every car park on one totals item, every pet on one
 * pet-count item) measured in the same run.
 *
 *   npm run bench -- burst            (BURST_WRITERS, BURST_PETS, BURST_READINGS change the plan)
 *
 * Each design runs in a process of its own: handlers read their configuration once, at load.
 */

/** What one burst came to. */
export interface BurstFigures {
  readonly shards: number;
  readonly writers: number;
  readonly writes: number;
  /** From the first write to the last acknowledged, ms. */
  readonly writtenMs: number;
  /**
   * From the last acknowledged write until everything has gone through (retries included), ms;
   * `null` when it had not within {@link CONVERGE_LIMIT_MS} (the other figures are then as of that moment).
   */
  readonly convergeMs: number | null;
  /** Events sent to a consumer's dead-letter queue, or discarded. */
  readonly deadLetters: number;
  /** Records in the set-aside table (dead letters, refused events, unmappable records). */
  readonly setAside: number;
  /** Consumer invocations that failed (lost every race they could try, or timed out). */
  readonly functionErrors: number;
  /** The same, by function. */
  readonly functionErrorsBy: Record<string, number>;
  /** Pets and car parks the aggregates are off the ledger by. */
  readonly missing: number;
  readonly auditDifferences: number;
}

/** How long a burst is given to converge before its figures are taken as they are. */
export const CONVERGE_LIMIT_MS = 900_000;

export function burstPlan(env: NodeJS.ProcessEnv = process.env): BurstPlan {
  return {
    writers: Number(env.BURST_WRITERS ?? 64),
    pets: Number(env.BURST_PETS ?? 1_800),
    readings: Number(env.BURST_READINGS ?? 1_200),
    carParks: 96,
  };
}

/** The declaration with every consumer's hot aggregates spread over `shards` items. */
function withShards(shards: number): PipelineDeclaration {
  return { ...pipeline, consumers: pipeline.consumers.map((c) => ({ ...c, aggregateShards: shards })) };
}

/** Runs one burst in this process and returns its figures. */
async function measure(shards: number | undefined, plan: BurstPlan): Promise<BurstFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-bench-burst-"));
  const declaration = shards === undefined ? pipeline : withShards(shards);
  const runtime = await startTestRuntime({
    pipeline: declaration,
    dataDir,
    asyncRetryDelayMs: 60_000,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  try {
    const started = performance.now();
    const ledger = await runBurst(
      { api: runtime.endpoints.api, token: runtime.apiToken, dynamodb: runtime.dynamodb },
      plan,
    );
    const written = performance.now();
    const converged = await runtime.settled({ timeoutMs: CONVERGE_LIMIT_MS }).then(
      () => performance.now(),
      () => undefined,
    );
    const aggregates = model.tables.aggregates!.tableName;
    const pets = await readPetStats(runtime.dynamodb, aggregates);
    const parks = await readParkingTotals(runtime.dynamodb, aggregates);
    const rows = runtime.stats().rows;
    const count = (pattern: RegExp) =>
      rows.filter((r) => pattern.test(r.name)).reduce((sum, r) => sum + r.value, 0);
    return {
      shards: shards ?? model.consumers.find((c) => c.name === "store-stats")!.aggregateShards,
      writers: plan.writers,
      writes: plan.pets + plan.readings,
      writtenMs: Math.round(written - started),
      convergeMs: converged === undefined ? null : Math.round(converged - written),
      deadLetters: count(/: (dead letters|discarded)$/),
      setAside: (await scanItems(runtime.dynamodb, model.tables[model.setAside.table]!.tableName)).length,
      functionErrors: count(/: function errors$/),
      functionErrorsBy: Object.fromEntries(
        rows.filter((r) => r.name.endsWith(": function errors")).map((r) => [r.name.split(":")[0], r.value]),
      ),
      missing:
        Math.abs(ledger.petCount - pets.petCount) +
        Math.abs(ledger.parking.carParkCount - (parks?.carParkCount ?? 0)),
      auditDifferences: (await auditAll(runtime.dynamodb, auditTableNames(declaration, {}), declaration))
        .length,
    };
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs one burst in a fresh process (`tsx bench/burst.ts <shards|declared>`), for its figures. */
export function measureInProcess(shards: number | undefined, plan: BurstPlan): Promise<BurstFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), shards === undefined ? "declared" : String(shards)],
      {
        env: {
          ...process.env,
          BURST_WRITERS: String(plan.writers),
          BURST_PETS: String(plan.pets),
          BURST_READINGS: String(plan.readings),
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as BurstFigures);
      else reject(new Error(`the burst with ${shards ?? "declared"} shard(s) exited ${code}: ${out}`));
    });
  });
}

/** The burst with the declared shards beside the single-item design, one row per figure. */
export async function benchBurst(): Promise<Row[]> {
  const plan = burstPlan();
  const sharded = await measureInProcess(undefined, plan);
  const single = await measureInProcess(1, plan).catch((error: unknown) => {
    console.error(`the single-item baseline failed: ${String(error)}`);
    return undefined;
  });
  const what = `${sharded.writes} writes from ${plan.writers} writers`;
  const baseline = (of: (figures: BurstFigures) => number) =>
    single === undefined ? undefined : { name: "one item per aggregate", value: of(single) };
  // One row per figure: how it reads from a burst's figures, and what it should be.
  const figures: { name: string; unit: string; of: (f: BurstFigures) => number; target?: string }[] = [
    {
      name: `${what}, ${sharded.shards} shards: dead letters`,
      unit: "events",
      of: (f) => f.deadLetters,
      target: "0",
    },
    { name: "  set-aside records", unit: "records", of: (f) => f.setAside, target: "0" },
    { name: "  failed consumer invocations (retried by Lambda)", unit: "runs", of: (f) => f.functionErrors },
    { name: "  writes acknowledged in", unit: "ms", of: (f) => f.writtenMs },
    {
      name: `  converged after the last write in (Infinity: not within ${CONVERGE_LIMIT_MS / 60_000} min)`,
      unit: "ms",
      of: (f) => f.convergeMs ?? Number.POSITIVE_INFINITY,
    },
    { name: "  pets and car parks missing from the aggregates", unit: "", of: (f) => f.missing, target: "0" },
    { name: "  audit differences", unit: "", of: (f) => f.auditDifferences, target: "0" },
  ];
  return figures.map(({ name, unit, of, target }) => ({
    name,
    value: of(sharded),
    unit,
    baseline: baseline(of),
    ...(target === undefined ? {} : { target }),
  }));
}

// `tsx bench/burst.ts <shards|declared>`: one burst in this process, its figures as one JSON line.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const figures = await measure(
    arg === undefined || arg === "declared" ? undefined : Number(arg),
    burstPlan(),
  );
  console.log(JSON.stringify(figures));
  process.exit(0);
}
