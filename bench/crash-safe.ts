process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeRuntimePorts, isPortTaken } from "#infra/local/ports.ts";
import {
  crash,
  javaPidOf,
  partitionItems,
  portFlags,
  type RuntimeProcess,
  scanItems,
  startRuntimeProcess,
  waitUntil,
} from "../test/helpers/process-runtime.ts";
import { benchBurst } from "./burst.ts";
import type { Row } from "./load.ts";

/**
 * What a crash, a dead DynamoDB Local, a burst and a stop cost the local runtime, measured the
 * way a user would see it: a ledger of writes made through the API, compared with the aggregates.
 *
 *   npm run bench -- crash-safe
 *
 * Each figure is printed beside a baseline measured in the same run: the same writes with no
 * fault (what converging costs when nothing goes wrong), a cold start of DynamoDB Local, the
 * runtime process stopped on its own, and for the burst the single-item design (`bench/burst.ts`).
 */

const TYPES = ["frog", "cat", "dog", "parrot", "tortoise"] as const;

async function pool(tasks: (() => Promise<unknown>)[], writers: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/** POSTs a pet until the API answers 201 (a 5xx or a refused connection is tried again). */
async function postPet(runtime: RuntimeProcess, body: unknown): Promise<void> {
  for (;;) {
    const response = await fetch(`${runtime.api}/pets`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 201) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function petCount(runtime: RuntimeProcess): Promise<number> {
  const shards = await partitionItems(runtime.dynamodb, "ripple-aggregates", "store-stats#pets");
  return shards.reduce((sum, shard) => sum + Number(shard.petCount), 0);
}

async function setAside(runtime: RuntimeProcess): Promise<number> {
  return (await scanItems(runtime.dynamodb, "ripple-set-aside")).length;
}

/** The same writes with no fault: what a fault's figures are compared with. */
interface NoFault {
  readonly lost: number;
  readonly setAside: number;
  readonly convergeMs: number;
  /** From spawning the runtime until it answered (DynamoDB Local's cold start included). */
  readonly startMs: number;
}

/** `pets` pets from 16 writers on a runtime under --data, nothing killed. */
async function noFault(pets: number): Promise<NoFault> {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-bench-nofault-"));
  const spawned = Date.now();
  const runtime = await startRuntimeProcess(["--data", dataDir]);
  const startMs = Date.now() - spawned;
  try {
    const before = ((await runtime.call("GET", "/pets")) as unknown[]).length;
    await pool(
      Array.from(
        { length: pets },
        (_, i) => () => postPet(runtime, { name: `n${i}`, type: TYPES[i % 5], price: "3" }),
      ),
      16,
    );
    const written = Date.now();
    await waitUntil(async () => (await petCount(runtime)) === before + pets, 300_000, 500);
    return {
      lost: before + pets - (await petCount(runtime)),
      setAside: await setAside(runtime),
      convergeMs: Date.now() - written,
      startMs,
    };
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const row = (name: string, value: number, unit: string, baseline: Row["baseline"], target?: string): Row => ({
  name,
  value,
  unit,
  ...(baseline === undefined ? {} : { baseline }),
  ...(target === undefined ? {} : { target }),
});

async function crashAfterBurst(pets: number, delayMs: number, base: NoFault): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-bench-crash-"));
  let runtime = await startRuntimeProcess(["--data", dataDir]);
  try {
    const first = runtime;
    const before = ((await first.call("GET", "/pets")) as unknown[]).length;
    await pool(
      Array.from(
        { length: pets },
        (_, i) => () => first.call("POST", "/pets", { name: `p${i}`, type: TYPES[i % 5], price: "3" }),
      ),
      16,
    );
    await new Promise((r) => setTimeout(r, delayMs));
    await crash(first);
    runtime = await startRuntimeProcess(["--data", dataDir]);
    const second = runtime;
    const restarted = Date.now();
    await waitUntil(async () => (await petCount(second)) === before + pets, 240_000, 1_000);
    const noCrash = "no crash";
    return [
      row(
        `pets lost, kill -9 ${delayMs} ms after ${pets} writes, restart on --data`,
        before + pets - (await petCount(second)),
        "pets",
        { name: noCrash, value: base.lost },
        "0",
      ),
      row(
        "  set aside after the restart",
        await setAside(second),
        "records",
        { name: noCrash, value: base.setAside },
        "0",
      ),
      row("  converged after the restart in", Date.now() - restarted, "ms", {
        name: `${noCrash}: after the last write`,
        value: base.convergeMs,
      }),
    ];
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function javaKilledMidWorkload(pets: number, base: NoFault): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-bench-java-"));
  const runtime = await startRuntimeProcess(["--data", dataDir]);
  try {
    const before = ((await runtime.call("GET", "/pets")) as unknown[]).length;
    let written = 0;
    let recoveredMs = 0;
    await pool(
      Array.from({ length: pets }, (_, i) => async () => {
        await postPet(runtime, { name: `j${i}`, type: TYPES[i % 5], price: "3" });
        if (++written === Math.floor(pets / 3)) {
          const killedAt = Date.now();
          process.kill(javaPidOf(runtime.child.pid as number) as number, "SIGKILL");
          await waitUntil(async () => (await fetch(`${runtime.api}/health`)).status === 503, 10_000, 100);
          await waitUntil(async () => (await fetch(`${runtime.api}/health`)).status === 200, 120_000, 200);
          recoveredMs = Date.now() - killedAt;
        }
      }),
      16,
    );
    const lastWrite = Date.now();
    await waitUntil(async () => (await petCount(runtime)) === before + pets, 300_000, 1_000);
    const noKill = "no kill";
    return [
      row(
        `pets lost, DynamoDB Local kill -9 after ${Math.floor(pets / 3)} of ${pets} writes`,
        before + pets - (await petCount(runtime)),
        "pets",
        { name: noKill, value: base.lost },
        "0",
      ),
      row("  DynamoDB Local back (503 → 200 on /health)", recoveredMs, "ms", {
        name: "cold npm start until ready",
        value: base.startMs,
      }),
      row("  set aside", await setAside(runtime), "records", { name: noKill, value: base.setAside }, "0"),
      row("  converged after the last write in", Date.now() - lastWrite, "ms", {
        name: noKill,
        value: base.convergeMs,
      }),
    ];
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    frontier = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...frontier);
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function orphans(): Promise<Row[]> {
  // Baseline: the runtime process alone (what npm start runs) stopped with SIGTERM.
  const alone = await startRuntimeProcess([]);
  const aloneTree = [alone.child.pid as number, ...descendants(alone.child.pid as number)];
  const aloneAt = Date.now();
  await alone.stop();
  await waitUntil(() => aloneTree.every((pid) => !alive(pid)), 20_000, 100);
  const aloneMs = Date.now() - aloneAt;

  const ports = await freeRuntimePorts();
  const npm = spawn("npm", ["start", "--", ...portFlags(ports)], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  let output = "";
  npm.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitUntil(() => output.includes("Press Ctrl-C"), 120_000);
  const tree = descendants(npm.pid as number);
  const takenBefore = (await Promise.all(Object.values(ports).map(isPortTaken))).filter(Boolean).length;
  const killedAt = Date.now();
  npm.kill("SIGTERM");
  await waitUntil(() => tree.every((pid) => !alive(pid)), 20_000, 100);
  const goneMs = Date.now() - killedAt;
  const left = tree.filter(alive);
  const taken = (await Promise.all(Object.values(ports).map(isPortTaken))).filter(Boolean).length;
  for (const pid of left) process.kill(pid, "SIGKILL");
  return [
    row(
      "SIGTERM to npm start: processes left",
      left.length,
      "processes",
      {
        name: "running before the SIGTERM",
        value: tree.length,
      },
      "0",
    ),
    row("  ports still taken", taken, "ports", { name: "taken before the SIGTERM", value: takenBefore }, "0"),
    row("  every process gone in", goneMs, "ms", {
      name: "the runtime process alone, SIGTERM",
      value: aloneMs,
    }),
  ];
}

/** Every figure of the crash, supervision, burst and orphan scenarios, each beside its baseline. */
export async function benchCrashSafe(): Promise<Row[]> {
  const rows: Row[] = [];
  const run = async (name: string, scenario: () => Promise<Row[]>) => {
    try {
      rows.push(...(await scenario()));
    } catch (error) {
      rows.push({ name: `${name} failed: ${String(error)}`, value: Number.NaN, unit: "" });
    }
  };
  await run("orphans", orphans);
  const base = await noFault(400);
  await run("kill -9 at once", () => crashAfterBurst(400, 0, base));
  await run("kill -9 after 2 s", () => crashAfterBurst(400, 2_000, base));
  await run("DynamoDB Local kill -9", () => javaKilledMidWorkload(400, base));
  await run("burst", benchBurst);
  return rows;
}
