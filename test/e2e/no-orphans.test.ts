import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freeRuntimePorts, isPortTaken } from "#infra/local/ports.ts";
import { portFlags } from "../helpers/process-runtime.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

/** Every process on the machine with its parent, read from /proc (this test is Linux only). */
function processes(): Proc[] {
  const all: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      all.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // exited while listing
    }
  }
  return all;
}

function descendants(pid: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = all.filter((p) => frontier.includes(p.ppid));
    found.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await what()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Started {
  readonly npm: ChildProcess;
  readonly ports: readonly number[];
  readonly output: () => string;
}

/** How a user starts the runtime. */
const LAUNCH = {
  "npm start": ["npm", "start", "--"],
  npx: ["npx", "tsx", "infra/local/main.ts"],
} as const;

/** `npm start` (or npx) with free ports, as a user, systemd or CI runs it, in a process group of its own. */
async function npmStart(
  ports?: Awaited<ReturnType<typeof freeRuntimePorts>>,
  launch: keyof typeof LAUNCH = "npm start",
): Promise<Started> {
  const { apiPort, dynamodbPort, eventbridgePort } = ports ?? (await freeRuntimePorts());
  const [command, ...args] = LAUNCH[launch];
  const npm = spawn(command, [...args, ...portFlags({ apiPort, dynamodbPort, eventbridgePort })], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  npm.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  npm.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { npm, ports: [apiPort, dynamodbPort, eventbridgePort], output: () => output };
}

/** What `kill` aims at: npm (or npx) itself, or the runtime (java's parent). */
type Aim = "npm" | "runtime";

function pidOf(aim: Aim, npmPid: number, tree: readonly Proc[]): number {
  if (aim === "npm") return npmPid;
  const pid = tree.find((p) => p.cmdline.includes("LoopbackDynamoDBLocal"))?.ppid;
  if (pid === undefined) throw new Error(`no runtime process under npm: ${JSON.stringify(tree)}`);
  return pid;
}

describe("npm start leaves no process and no port behind", () => {
  let started: Started | undefined;
  let tree: Proc[] = [];
  let blocker: Server | undefined;

  afterEach(async () => {
    for (const p of tree) if (alive(p.pid)) process.kill(p.pid, "SIGKILL");
    if (started?.npm.pid !== undefined && alive(started.npm.pid)) process.kill(-started.npm.pid, "SIGKILL");
    await new Promise<void>((resolve) =>
      blocker === undefined ? resolve() : blocker.close(() => resolve()),
    );
    started = undefined;
    blocker = undefined;
    tree = [];
  });

  it.each([
    {
      description: "SIGTERM to npm start (systemd, a container runtime, a CI timeout)",
      launch: "npm start",
      aim: "npm",
      signal: "SIGTERM",
    },
    { description: "SIGINT to npm start", launch: "npm start", aim: "npm", signal: "SIGINT" },
    { description: "SIGTERM to npx", launch: "npx", aim: "npm", signal: "SIGTERM" },
    { description: "SIGTERM to the runtime", launch: "npm start", aim: "runtime", signal: "SIGTERM" },
    { description: "kill -9 of the runtime", launch: "npm start", aim: "runtime", signal: "SIGKILL" },
  ] as const)(
    "after $description",
    async ({ launch, aim, signal }) => {
      // Arrange
      started = await npmStart(undefined, launch);
      const running = started;
      const ready = await waitFor(() => running.output().includes("Press Ctrl-C to stop."), 90_000);
      expect(ready, running.output()).toBe(true);
      const npmPid = running.npm.pid as number;
      tree = descendants(npmPid);
      const java = tree.find((p) => p.cmdline.includes("LoopbackDynamoDBLocal"));
      expect(java).toBeDefined();

      // Act
      process.kill(pidOf(aim, npmPid, tree), signal);
      const everyProcessGone = await waitFor(
        () => !alive(npmPid) && tree.every((p) => !alive(p.pid)),
        20_000,
      );
      const portsFree = await waitFor(
        async () => (await Promise.all(running.ports.map(isPortTaken))).every((taken) => !taken),
        5_000,
      );

      // Assert
      expect(
        everyProcessGone,
        `left running: ${tree.filter((p) => alive(p.pid)).map((p) => p.cmdline.slice(0, 80))}`,
      ).toBe(true);
      expect(portsFree).toBe(true);
      if (signal !== "SIGKILL") expect(running.output()).toContain("ripple: stopped.");
    },
    150_000,
  );

  it.each([
    { description: "the API port", index: 0, flag: "--api-port N or RIPPLE_API_PORT=N" },
    { description: "the DynamoDB Local port", index: 1, flag: "--dynamodb-port N or RIPPLE_DYNAMODB_PORT=N" },
    {
      description: "the EventBridge port",
      index: 2,
      flag: "--eventbridge-port N or RIPPLE_EVENTBRIDGE_PORT=N",
    },
  ])(
    "says in one line which flag changes $description when another process holds it",
    async ({ index, flag }) => {
      // Arrange
      const ports = await freeRuntimePorts();
      const port = [ports.apiPort, ports.dynamodbPort, ports.eventbridgePort][index] as number;
      const holder = createServer();
      blocker = holder;
      await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
      started = await npmStart(ports);
      const running = started;

      // Act
      const code = await new Promise<number | null>((resolve) => running.npm.once("exit", resolve));

      // Assert
      const lines = running.output().split("\n");
      expect(code).toBe(1);
      expect(lines.filter((line) => line.startsWith("ripple: port"))).toEqual([
        `ripple: port ${port} (${["API and dashboard", "DynamoDB Local", "EventBridge"][index]}) is already in use; choose another with ${flag}, or stop what listens on it (ss -ltnp 'sport = :${port}')`,
      ]);
      expect(running.output()).not.toMatch(/^\s+at /m);
    },
    60_000,
  );
});
