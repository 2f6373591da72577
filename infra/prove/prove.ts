import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readSetAside } from "#commons/set-aside.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { localEnvironment } from "../local/runtime.ts";
import { resolvePipeline } from "../model.ts";
import { seededRandom } from "../replay/plan.ts";
import { tableOf } from "../topology.ts";
import { ProveError } from "./errors.ts";
import { type Comparison, compare, Ledger, type ShownStats } from "./ledger.ts";
import type { RuntimeProcess } from "./runtime-process.ts";

const run = promisify(execFile);
const projectRoot = join(import.meta.dirname, "../..");

/** The faults `npm run prove` can inject, each a failure AWS documents (see docs/runbook.md). */
export const FAULTS = [
  "duplicate",
  "reorder",
  "putevents-failures",
  "putevents-throttle",
  "consumer-error",
  "consumer-timeout",
  "kill-restart",
  "dynamodb-pause",
] as const;
export type FaultName = (typeof FAULTS)[number];

/** What the fault switch is set to for each fault; the last two act on the processes instead. */
const SETTINGS: Readonly<Record<FaultName, object | undefined>> = {
  duplicate: { duplicate: true },
  reorder: { reorderMaxDelayMs: 300 },
  "putevents-failures": { putEventsEntryFailure: 0.3 },
  "putevents-throttle": { putEventsThrottle: 0.3 },
  "consumer-error": { consumerError: { "*": 0.3 } },
  // A timed-out invocation holds one of carbon-stats' few concurrent slots for its whole timeout
  // (30 s), as in Lambda: the chance is scaled to the phase's writes (see `settingFor`).
  "consumer-timeout": { consumerTimeout: { "carbon-stats": 0.2 } },
  "kill-restart": undefined,
  "dynamodb-pause": undefined,
};

const CATEGORIES = ["transport", "energy", "food", "shopping", "waste", "other"] as const;
const USERS = ["prove-ada", "prove-bob", "prove-cy", "prove-di", "prove-eve"] as const;
const WRITERS = 8;

/** One fault's line of the verdict. */
export interface PhaseResult {
  readonly fault: FaultName;
  readonly acknowledged: number;
  /** Times the fault struck: switch strikes, or kills and pauses made. */
  readonly injected: number;
  /** Set aside or dead-lettered during the phase (redriven before comparing). */
  readonly setAside: number;
  readonly comparison: Comparison;
  readonly convergeMs: number;
}

interface Context {
  readonly runtime: RuntimeProcess;
  readonly pipeline: PipelineDeclaration;
  readonly token: string;
  readonly ledger: Ledger;
  readonly random: () => number;
  next: number;
}

async function call(
  ctx: Context,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<Response> {
  return fetch(`${ctx.runtime.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ctx.token}`,
      "content-type": "application/json",
      ...(key === undefined ? {} : { "idempotency-key": key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    // Waiting for the pipeline to settle may take as long as the settle itself asks for.
    signal: AbortSignal.timeout(path.startsWith("/local/settled") ? SETTLE_REQUEST_MS + 30_000 : 30_000),
  });
}

/**
 * Posts one entry until the API acknowledges it. A retry carries the same Idempotency-Key, so a
 * write whose answer was lost (a crash, a pause) is kept once. Only a 2xx enters the ledger.
 */
async function postEntry(ctx: Context, index: number): Promise<void> {
  const userId = USERS[index % USERS.length]!;
  const category = CATEGORIES[Math.floor(ctx.random() * CATEGORIES.length)]!;
  const kgCO2e = (1 + Math.floor(ctx.random() * 50_000)) / 1000;
  const kgText = kgCO2e.toFixed(3).replace(/\.?0+$/, "");
  const timestamp = new Date(Date.UTC(2025, 5, 1) + index * 60_000).toISOString();
  const key = randomUUID();
  const body = { category, activity: `prove ${index}`, kgCO2e: kgText, timestamp };
  for (let attempt = 0; ; attempt++) {
    const response = await call(ctx, "POST", `/users/${userId}/entries`, body, key).catch(() => undefined);
    if (response?.ok) {
      ctx.ledger.entry(userId, category, kgText);
      return;
    }
    if (
      response !== undefined &&
      response.status >= 400 &&
      response.status < 500 &&
      // 409: this very request (its Idempotency-Key) is still in progress; 429: throttled. Retry.
      response.status !== 409 &&
      response.status !== 429
    ) {
      throw new ProveError(
        `POST /users/${userId}/entries answered ${response.status}: ${await response.text()}`,
      );
    }
    if (attempt > 1500) {
      const last = response === undefined ? "no answer" : `${response.status} ${await response.text()}`;
      throw new ProveError(`POST /users/${userId}/entries was not acknowledged in 5 minutes (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function writeMany(ctx: Context, count: number, during?: () => Promise<void>): Promise<void> {
  const indexes = Array.from({ length: count }, () => ctx.next++);
  const work = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = w; i < indexes.length; i += WRITERS) await postEntry(ctx, indexes[i]!);
  });
  await Promise.all([...work, during?.()]);
}

async function control(ctx: Context, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await call(ctx, method, path, body).catch((error: unknown) => {
    throw new ProveError(`${method} ${path} got no answer: ${(error as Error).message}`, { cause: error });
  });
  if (!response.ok)
    throw new ProveError(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** How long the pipeline may take to settle after a phase. */
const SETTLE_WITHIN_MS = 20 * 60_000;
/**
 * One wait of `POST /local/settled`: shorter than the 300 s after which Node's fetch gives up on
 * an answer's headers, so a long settle is waited for in several requests.
 */
const SETTLE_REQUEST_MS = 120_000;

/** Waits until every change written so far has gone all the way through the pipeline. */
async function settled(ctx: Context): Promise<void> {
  const deadline = Date.now() + SETTLE_WITHIN_MS;
  for (;;) {
    const path = `/local/settled?timeoutMs=${SETTLE_REQUEST_MS}`;
    const response = await call(ctx, "POST", path).catch((error: unknown) => {
      throw new ProveError(`POST ${path} got no answer: ${(error as Error).message}`, { cause: error });
    });
    const text = await response.text();
    if (response.ok) return;
    if (response.status !== 504 || Date.now() >= deadline) {
      throw new ProveError(
        `the pipeline did not settle within ${SETTLE_WITHIN_MS / 60_000} minutes (POST ${path} answered ${response.status}: ${text})`,
      );
    }
  }
}

/** Runs an operator command (`npm run redrive`, `npm run audit`) against the runtime. */
async function command(ctx: Context, script: string, args: string[] = []) {
  const env = {
    ...process.env,
    ...localEnvironment(resolvePipeline(ctx.pipeline), ctx.runtime.endpoints, ctx.token),
  };
  return run("npx", ["tsx", script, ...args], { cwd: projectRoot, env, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      stdout: `${e.stdout ?? ""}${e.stderr ?? ""}`,
    }),
  );
}

/** Items in the set-aside table now: records and events the pipeline could not deliver. */
async function setAsideCount(ctx: Context): Promise<number> {
  const client = new DynamoDBClient({
    endpoint: ctx.runtime.endpoints.dynamodb,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const listing = await readSetAside(
      client,
      tableOf(ctx.pipeline, ctx.pipeline.fanOut.setAsideTable).tableName,
    );
    return listing.items.length + listing.unreadable.length;
  } finally {
    client.destroy();
  }
}

async function shownStats(ctx: Context): Promise<Map<string, ShownStats | undefined>> {
  const shown = new Map<string, ShownStats | undefined>();
  for (const userId of USERS) {
    const body = (await (await control(ctx, "GET", `/users/${userId}`)).json()) as { stats?: ShownStats };
    shown.set(userId, body.stats);
  }
  return shown;
}

/** Waits for the pipeline, redrives what was set aside, waits again, and compares with the ledger. */
async function converge(ctx: Context): Promise<{ comparison: Comparison; setAside: number }> {
  await settled(ctx);
  const setAside = await setAsideCount(ctx);
  if (setAside > 0) {
    await command(ctx, "infra/redrive/main.ts");
    await settled(ctx);
  }
  return { comparison: compare(ctx.ledger, await shownStats(ctx)), setAside };
}

/** Strikes of the switch's faults so far, by the name `GET /local/faults` reports. */
async function strikes(ctx: Context): Promise<number> {
  const body = (await (await control(ctx, "GET", "/local/faults")).json()) as {
    fired: Record<string, number>;
  };
  return Object.values(body.fired).reduce((a, b) => a + b, 0);
}

async function restart(ctx: Context): Promise<void> {
  await ctx.runtime.kill();
  await ctx.runtime.start();
}

/** Timeouts a consumer-timeout phase aims at, whatever its size: each costs a slot 30 s. */
const TIMEOUTS_PER_PHASE = 8;

/**
 * The switch setting of a phase of `writes` writes. A consumer timeout's chance is scaled down for
 * a large phase, so that it strikes about {@link TIMEOUTS_PER_PHASE} times: at 0.2 of 625 writes,
 * carbon-stats' two slots would spend some 40 minutes in timeouts.
 */
function settingFor(fault: FaultName, writes: number): object | undefined {
  if (fault !== "consumer-timeout") return SETTINGS[fault];
  return { consumerTimeout: { "carbon-stats": Math.min(0.2, TIMEOUTS_PER_PHASE / Math.max(1, writes)) } };
}

async function phase(ctx: Context, fault: FaultName, writes: number): Promise<PhaseResult> {
  const before = ctx.ledger.acknowledged;
  const setting = settingFor(fault, writes);
  const strikesBefore = setting === undefined ? 0 : await strikes(ctx);
  let made = 0;
  if (setting !== undefined) await control(ctx, "PUT", "/local/faults", setting);
  // The process faults strike while writes are under way, and a crash strikes again right after
  // the last write is acknowledged, while its events are still on their way.
  const during = async () => {
    await new Promise((r) => setTimeout(r, 300));
    if (fault === "kill-restart") await restart(ctx);
    if (fault === "dynamodb-pause") await ctx.runtime.pauseDynamoDb(3000);
    if (fault === "kill-restart" || fault === "dynamodb-pause") made++;
  };
  await writeMany(ctx, writes, during);
  if (fault === "kill-restart") {
    await restart(ctx);
    made++;
  }
  // A switch fault stays set while the phase's events flow, so it strikes the consumers too. It
  // strikes by chance: while it has not struck, a few more writes go through it (at most 10 rounds).
  let injected = made;
  if (setting !== undefined) {
    await settled(ctx);
    injected = (await strikes(ctx)) - strikesBefore;
    for (let round = 0; injected === 0 && round < 10; round++) {
      await writeMany(ctx, WRITERS);
      await settled(ctx);
      injected = (await strikes(ctx)) - strikesBefore;
    }
  }
  if (setting !== undefined) await control(ctx, "DELETE", "/local/faults");
  const started = Date.now();
  const { comparison, setAside } = await converge(ctx);
  return {
    fault,
    acknowledged: ctx.ledger.acknowledged - before,
    injected,
    setAside,
    comparison,
    convergeMs: Date.now() - started,
  };
}

export interface ProveOptions {
  readonly runtime: RuntimeProcess;
  readonly pipeline: PipelineDeclaration;
  readonly token: string;
  readonly seed: number;
  readonly writes: number;
  readonly faults: readonly FaultName[];
  readonly onPhase?: (result: PhaseResult) => void;
}

/** Registers the users, runs one phase per fault, then the audit. */
export async function prove(
  options: ProveOptions,
): Promise<{ phases: PhaseResult[]; audit: { code: number; stdout: string } }> {
  const ctx: Context = {
    runtime: options.runtime,
    pipeline: options.pipeline,
    token: options.token,
    ledger: new Ledger(),
    random: seededRandom(options.seed),
    next: 0,
  };
  for (const userId of USERS) {
    const response = await call(ctx, "POST", "/users", {
      userId,
      name: userId,
      email: `${userId}@example.com`,
    });
    if (!response.ok && response.status !== 409) {
      throw new ProveError(`POST /users answered ${response.status}: ${await response.text()}`);
    }
  }
  const per = Math.max(1, Math.floor(options.writes / options.faults.length));
  const phases: PhaseResult[] = [];
  for (const [i, fault] of options.faults.entries()) {
    const writes = i === options.faults.length - 1 ? options.writes - per * i : per;
    const result = await phase(ctx, fault, writes);
    phases.push(result);
    options.onPhase?.(result);
  }
  return { phases, audit: await command(ctx, "infra/audit/main.ts") };
}
