import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, paginateQuery, paginateScan } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { freeRuntimePorts, isPortTaken } from "#infra/local/ports.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `npm start`'s runtime as its own process (what a crash test kills), with its ports and output. */
export interface RuntimeProcess {
  readonly child: ChildProcess;
  readonly api: string;
  readonly token: string;
  readonly ports: {
    readonly apiPort: number;
    readonly dynamodbPort: number;
    readonly eventbridgePort: number;
  };
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** A client of its DynamoDB Local. */
  readonly dynamodb: DynamoDBClient;
  /** Calls its API with the token; throws on anything but 2xx. */
  call(method: string, path: string, body?: unknown): Promise<unknown>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
}

/** The flags that give `npm start` these ports. */
export function portFlags(ports: RuntimeProcess["ports"]): string[] {
  return [
    "--api-port",
    `${ports.apiPort}`,
    "--dynamodb-port",
    `${ports.dynamodbPort}`,
    "--eventbridge-port",
    `${ports.eventbridgePort}`,
  ];
}

export async function waitUntil(
  what: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await what()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Starts `node --import tsx infra/local/main.ts` (what `npm start` runs) with `args`, on the
 * given ports (free ones by default), and resolves once it prints that it is running.
 */
export async function startRuntimeProcess(
  args: readonly string[],
  options: { readonly ports?: RuntimeProcess["ports"]; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<RuntimeProcess> {
  const ports = options.ports ?? (await freeRuntimePorts());
  const token = "crash-test-token";
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "infra/local/main.ts", ...portFlags(ports), ...args],
    {
      cwd: root,
      env: { ...process.env, RIPPLE_API_TOKEN: token, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await waitUntil(
    () => output.includes("Press Ctrl-C to stop.") || child.exitCode !== null,
    120_000,
  );
  if (!ready || child.exitCode !== null) {
    child.kill("SIGKILL");
    throw new Error(`the runtime did not start:\n${output}`);
  }
  const api = `http://127.0.0.1:${ports.apiPort}`;
  const dynamodb = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${ports.dynamodbPort}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return {
    child,
    api,
    token,
    ports,
    output: () => output,
    exited,
    dynamodb,
    async call(method, path, body) {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return text === "" ? undefined : (JSON.parse(text) as unknown);
    },
    async stop() {
      dynamodb.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Kills the runtime with SIGKILL and waits until its java is gone and its ports are free. */
export async function crash(runtime: RuntimeProcess): Promise<void> {
  runtime.dynamodb.destroy();
  runtime.child.kill("SIGKILL");
  await runtime.exited;
  const free = await waitUntil(
    async () =>
      (
        await Promise.all(
          [runtime.ports.apiPort, runtime.ports.dynamodbPort, runtime.ports.eventbridgePort].map(isPortTaken),
        )
      ).every((taken) => !taken),
    15_000,
  );
  if (!free) throw new Error("the runtime's ports were still taken 15 s after kill -9");
}

/** Every item of a table, unmarshalled. */
export async function scanItems(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName })) {
    for (const item of page.Items ?? []) items.push(unmarshall(item));
  }
  return items;
}

/** Every item of one partition of a table, unmarshalled. */
export async function partitionItems(
  client: DynamoDBClient,
  tableName: string,
  pk: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery(
    { client },
    {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: pk } },
      ConsistentRead: true,
    },
  )) {
    for (const item of page.Items ?? []) items.push(unmarshall(item));
  }
  return items;
}

/** Pid of the java a runtime process started, read from /proc (Linux). */
export function javaPidOf(runtimePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${runtimePid}/task/${runtimePid}/children`, "utf8")
      .trim()
      .split(" ");
    for (const pid of children) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("LoopbackDynamoDBLocal")) return Number(pid);
    }
  } catch {
    // gone
  }
  return undefined;
}
