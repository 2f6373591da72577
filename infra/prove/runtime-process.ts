import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { ProveError } from "./errors.ts";

const projectRoot = join(import.meta.dirname, "../..");

/**
 * Runtimes started by this process, each the leader of its own process group. Should this process
 * end before stopping them (an error, Ctrl-C, a CI timeout's SIGTERM), their groups are killed
 * as it exits, so no runtime or DynamoDB Local outlives `npm run prove`.
 */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
});

/** Where a runtime started by `npm run prove` listens, and its data folder. */
export interface RuntimeProcessProps {
  readonly apiPort: number;
  readonly dynamodbPort: number;
  readonly eventbridgePort: number;
  readonly dataDir: string;
  readonly token: string;
}

/**
 * A whole local runtime as its own process (`npm start` with `--data`), so that `npm run prove`
 * can kill it the way a crash does and start it again on the same data.
 *
 * It runs in a process group of its own: a kill reaches tsx, the runtime and DynamoDB Local at
 * once, as a machine losing power would. Lambda's one minute between asynchronous retries is cut
 * to half a second, so a run takes minutes, not hours.
 */
export class RuntimeProcess {
  private child: ChildProcess | undefined;
  private output = "";

  constructor(private readonly props: RuntimeProcessProps) {}

  get api(): string {
    return `http://127.0.0.1:${this.props.apiPort}`;
  }

  get endpoints(): { readonly dynamodb: string; readonly eventbridge: string } {
    return {
      dynamodb: `http://127.0.0.1:${this.props.dynamodbPort}`,
      eventbridge: `http://127.0.0.1:${this.props.eventbridgePort}`,
    };
  }

  /** Starts it and resolves once it says it is running. */
  async start(): Promise<void> {
    const p = this.props;
    const args = [
      "tsx",
      "infra/local/main.ts",
      "--api-port",
      String(p.apiPort),
      "--dynamodb-port",
      String(p.dynamodbPort),
      "--eventbridge-port",
      String(p.eventbridgePort),
      "--data",
      p.dataDir,
    ];
    this.output = "";
    const child = spawn("npx", args, {
      cwd: projectRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        RIPPLE_API_TOKEN: p.token,
        RIPPLE_ASYNC_RETRY_DELAY_MS: "500",
        POWERTOOLS_LOG_LEVEL: "ERROR",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    });
    this.child = child;
    live.add(child);
    child.once("exit", () => live.delete(child));
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ProveError(`the runtime did not start within 120 s:\n${this.output}`)),
        120_000,
      );
      const check = () => {
        if (this.output.includes("ripple is running")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", check);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new ProveError(`the runtime exited with ${code} while starting:\n${this.output}`));
      });
    });
  }

  /** Kills the whole process group at once, as a crash does. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** Stops it as Ctrl-C does. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, signal);
    } catch {
      return;
    }
    await exited;
    this.child = undefined;
    // A crash leaves nothing to clean up, but DynamoDB Local must be gone before a restart.
    await this.waitForPortFree(this.props.dynamodbPort);
  }

  private async waitForPortFree(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.pidsOnPort(port).length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private pidsOnPort(port: number): number[] {
    try {
      return execFileSync("pgrep", ["-f", `DynamoDBLocal.* -port ${port}( |$)`], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map(Number);
    } catch {
      return [];
    }
  }

  /** Pauses DynamoDB Local (SIGSTOP) for `ms`, then lets it go on (SIGCONT). */
  async pauseDynamoDb(ms: number): Promise<void> {
    const pids = this.pidsOnPort(this.props.dynamodbPort);
    if (pids.length === 0)
      throw new ProveError(`no DynamoDB Local found on port ${this.props.dynamodbPort} to pause`);
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, ms));
    for (const pid of pids) process.kill(pid, "SIGCONT");
  }

  /** The runtime's output so far (its last 20,000 characters), for a failure message. */
  get log(): string {
    return this.output;
  }
}
