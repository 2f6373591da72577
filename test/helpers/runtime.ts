import { createServer, type Server } from "node:http";
import { type AttributeValue, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { type Runtime, type StartRuntimeProps, startRuntime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startedForSuite } from "./suite.ts";

/**
 * Starts the whole local runtime for a test file: free ports on 127.0.0.1, short poll and retry
 * delays, only errors logged. One per test file (handlers keep the endpoints they were loaded
 * with); call `stop()` in `afterAll`.
 */
export async function startTestRuntime(overrides: Partial<StartRuntimeProps> = {}): Promise<Runtime> {
  return startRuntime({
    pipeline,
    ...(await freeRuntimePorts()),
    retryBaseDelayMs: 50,
    pollIntervalMs: 50,
    streamRetryBaseMs: 50,
    asyncRetryDelayMs: 50,
    logger: { info: () => {}, warn: () => {}, error: console.error },
    ...overrides,
  });
}

/** Sends a request to the runtime's API with its token, a JSON body when given; fetch's answer. */
export function requestApi(
  runtime: Runtime,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${runtime.endpoints.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/**
 * Like {@link requestApi}, for a request that must succeed: throws with the status and body
 * otherwise; the answer's JSON (undefined for 204 No Content).
 */
export async function callApi(
  runtime: Runtime,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await requestApi(runtime, method, path, body);
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** An HTTP endpoint on 127.0.0.1 that keeps every event POSTed to it: a run-time rule target. */
export interface HttpSubscriber<Event> {
  readonly server: Server;
  readonly url: string;
  readonly events: Event[];
  stop(): Promise<void>;
}

export async function startHttpSubscriber<Event = unknown>(): Promise<HttpSubscriber<Event>> {
  const events: Event[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      events.push(JSON.parse(body) as Event);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    server,
    url: `http://127.0.0.1:${port}/events`,
    events,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Adds a rule on the runtime's bus with one target, through the local EventBridge endpoint as any
 * SDK user would: a test's or bench's own subscriber.
 */
export async function addRule(
  runtime: Pick<Runtime, "endpoints" | "busName">,
  rule: { readonly name: string; readonly pattern: object; readonly target: { Id: string; Arn: string } },
): Promise<void> {
  const eventBridge = new EventBridgeClient({
    endpoint: runtime.endpoints.eventbridge,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    await eventBridge.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: runtime.busName,
        EventPattern: JSON.stringify(rule.pattern),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({ Rule: rule.name, EventBusName: runtime.busName, Targets: [rule.target] }),
    );
  } finally {
    eventBridge.destroy();
  }
}

/** What a test file's shared Act gets: the started runtime, and a writer of items around the API. */
export interface AroundTheApi {
  readonly runtime: Runtime;
  /** Puts `item` straight into the table named `tableName` with the SDK, as an import or a script would. */
  readonly put: (tableName: string, item: Record<string, AttributeValue>) => Promise<unknown>;
}

/**
 * The whole local runtime for a test file's tests: started (with `overrides`) before them, given the
 * items `write` puts into its tables around the API (the file's shared Act), settled, and stopped
 * after them; stopped at once when `write` or the settle fails. The tests read it as the runtime.
 *
 * @example
 * const runtime = runtimeWrittenAround({}, async ({ put }) => {
 *   await put(t("pets"), { id: N("950"), name: S("Precise"), type: S("axolotl"), price: N("1E-7") });
 * });
 */
export function runtimeWrittenAround(
  overrides: Partial<StartRuntimeProps>,
  write: (around: AroundTheApi) => Promise<void>,
): Runtime {
  return startedForSuite(async () => {
    const runtime = await startTestRuntime(overrides);
    const put = (tableName: string, item: Record<string, AttributeValue>) =>
      runtime.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: item }));
    try {
      await write({ runtime, put });
      await runtime.settled({ timeoutMs: 60_000 });
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    return runtime;
  }, 120_000);
}
