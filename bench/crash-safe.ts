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

/**
 * What a crash, a dead DynamoDB Local, a burst and a stop cost the local runtime, measured the
 * way a user would see it: a ledger of writes made through the API, compared with the aggregates.
 *
 *   npx tsx bench/crash-safe.ts
 *
 * Prints one line per figure, each beside its target (lost events and dead letters must be 0).
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

async function deadLetters(runtime: RuntimeProcess): Promise<number> {
  return (await scanItems(runtime.dynamodb, "ripple-set-aside")).length;
}

interface Figure {
  readonly name: string;
  readonly value: string;
  readonly target: string;
}

async function crashAfterBurst(pets: number, delayMs: number): Promise<Figure[]> {
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
    await waitUntil(async () => (await petCount(second)) === before + pets, 240_000, 1_000);
    const lost = before + pets - (await petCount(second));
    return [
      { name: `pets lost, kill -9 ${delayMs} ms after ${pets} writes`, value: `${lost}`, target: "0" },
      { name: "  set aside after the restart", value: `${await deadLetters(second)}`, target: "0" },
    ];
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function javaKilledMidWorkload(pets: number): Promise<Figure[]> {
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
    await waitUntil(async () => (await petCount(runtime)) === before + pets, 300_000, 1_000);
    return [
      {
        name: `pets lost, DynamoDB Local kill -9 after ${Math.floor(pets / 3)} of ${pets} writes`,
        value: `${before + pets - (await petCount(runtime))}`,
        target: "0",
      },
      { name: "  DynamoDB Local back (503 → 200 on /health)", value: `${recoveredMs} ms`, target: "seconds" },
      { name: "  set aside", value: `${await deadLetters(runtime)}`, target: "0" },
    ];
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function burst(writers: number, pets: number): Promise<Figure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-bench-burst-"));
  const runtime = await startRuntimeProcess(["--data", dataDir]);
  try {
    const before = ((await runtime.call("GET", "/pets")) as unknown[]).length;
    const started = Date.now();
    await pool(
      Array.from(
        { length: pets },
        (_, i) => () => postPet(runtime, { name: `b${i}`, type: TYPES[i % 5], price: "3" }),
      ),
      writers,
    );
    const written = Date.now();
    const converged = await waitUntil(async () => (await petCount(runtime)) === before + pets, 600_000, 500);
    const done = Date.now();
    return [
      {
        name: `burst: ${pets} pets from ${writers} writers, written in`,
        value: `${written - started} ms`,
        target: "",
      },
      {
        name: "  converged after the last write in",
        value: converged ? `${done - written} ms` : "did not converge in 600 s",
        target: "",
      },
      {
        name: "  pets missing from the aggregate",
        value: `${before + pets - (await petCount(runtime))}`,
        target: "0",
      },
      { name: "  dead letters", value: `${await deadLetters(runtime)}`, target: "0" },
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

async function orphans(): Promise<Figure[]> {
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
  const killedAt = Date.now();
  npm.kill("SIGTERM");
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil(() => tree.every((pid) => !alive(pid)), 20_000, 100);
  const goneMs = Date.now() - killedAt;
  const left = tree.filter(alive);
  const taken = (await Promise.all(Object.values(ports).map(isPortTaken))).filter(Boolean).length;
  for (const pid of left) process.kill(pid, "SIGKILL");
  return [
    { name: `SIGTERM to npm start: processes left of ${tree.length}`, value: `${left.length}`, target: "0" },
    { name: "  ports still taken", value: `${taken}`, target: "0" },
    { name: "  every process gone in", value: `${goneMs} ms`, target: "seconds" },
  ];
}

const figures: Figure[] = [];
for (const run of [
  () => orphans(),
  () => crashAfterBurst(400, 0),
  () => crashAfterBurst(400, 2_000),
  () => javaKilledMidWorkload(300),
  () => burst(64, Number(process.env.BURST_WRITES ?? 3000)),
]) {
  try {
    figures.push(...(await run()));
  } catch (error) {
    figures.push({ name: "failed", value: String(error), target: "" });
  }
  for (const f of figures.splice(0))
    console.log(`${f.name.padEnd(64)} ${f.value.padStart(14)}   target ${f.target}`);
}
