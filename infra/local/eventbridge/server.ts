import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { resolveLimits } from "#commons/limits.ts";
import type { PipelineDeclaration } from "../../declaration.ts";
import { ruleName as ruleNameOf, tableOf } from "../../topology.ts";
import type { HandoffJournal } from "../handoff-journal.ts";
import { type BusResourcePolicy, type Caller, EventBridgeApi, type PutEventsFaults } from "./api.ts";
import { Delivery, type DeliveryStats, type FunctionInvoker } from "./delivery.ts";
import { EventBridgeApiError, LocalEventBridgeConfigError } from "./errors.ts";
import { declaredRules } from "./rules.ts";

export type { EventBridgeEvent, FunctionInvoker } from "./delivery.ts";

export interface LocalEventBridgeProps {
  /** Port on 127.0.0.1; 0 picks a free one. @default 8010 */
  readonly port?: number;
  /**
   * Builds the declared bus and one rule per consumer (with its target, retry policy and
   * dead-letter destination). @default only the `default` bus, no rules
   */
  readonly pipeline?: PipelineDeclaration;
  /**
   * Client for dead letters, written to the pipeline's set-aside table.
   * @default none — events that exhaust their retries are dropped (counted and logged)
   */
  readonly dynamodb?: DynamoDBClient;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** Base of the exponential backoff between delivery attempts (full jitter). @default 1000 */
  readonly retryBaseDelayMs?: number;
  /** Cap of one backoff delay. @default 300_000 */
  readonly retryMaxDelayMs?: number;
  /** Clock for event ages and envelope times. @default Date.now */
  readonly now?: () => number;
  /**
   * Keeps accepted events until delivered, across a stop or a crash: PutEvents answers once its
   * events are on disk, and a target's owed deliveries resume when its function is registered.
   * @default in memory
   */
  readonly journal?: HandoffJournal;
  /** @default console */
  readonly logger?: Pick<Console, "info" | "warn" | "error">;
  /**
   * Which credentials may publish which sources on which bus, as the bus's resource policy does
   * in AWS. @default none: any caller may publish any source but `aws.*`
   */
  readonly resourcePolicy?: BusResourcePolicy;
  /** Failures PutEvents makes on purpose (the runtime's fault switch). @default none */
  readonly faults?: PutEventsFaults;
}

export interface LocalEventBridge {
  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint` or `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  readonly endpoint: string;
  readonly port: number;
  /** Name of the declared bus (`default` without a pipeline). */
  readonly busName: string;
  /**
   * Binds an in-process function to a target: events the rule matches are passed to `invoke`,
   * which stands for EventBridge's call to Lambda's Invoke API; a rejection is a failed Invoke,
   * retried under the target's RetryPolicy. (The runtime's consumers resolve as soon as the event
   * is queued, as Lambda's asynchronous Invoke does; see `AsyncInvocations`.) Creates the target
   * (default retry policy, no dead-letter queue) when the rule exists but has no such target.
   */
  registerFunctionTarget(ruleName: string, targetId: string, invoke: FunctionInvoker): void;
  /**
   * Binds a declared consumer's handler to its rule's target: the same as
   * `registerFunctionTarget(ruleName(pipeline, consumer), consumer.name, invoke)`.
   */
  registerConsumer(consumerName: string, invoke: FunctionInvoker): void;
  /** Resolves when no event is waiting for or in delivery (retries included). */
  drained(): Promise<void>;
  /** What delivery has done so far. */
  stats(): Readonly<DeliveryStats>;
  /** Stops listening, drops pending retries (logged), waits for running deliveries. */
  stop(): Promise<void>;
}

const JSON_1_1 = "application/x-amz-json-1.1";
/**
 * Largest request body read: a request at the PutEvents limit with every byte JSON-escaped
 * (`\u0000` is 6 bytes) plus room for the envelope, so only what EventBridge itself would refuse
 * is refused, and with EventBridge's message.
 */
const maxBodyBytes = (api: EventBridgeApi) => api.limits.putEventsRequestBytes * 6 + 64 * 1024;

/** The retry delays of `props`, checked. */
function retryDelaysOf(props: LocalEventBridgeProps): { retryBaseDelayMs: number; retryMaxDelayMs: number } {
  const retryBaseDelayMs = props.retryBaseDelayMs ?? 1000;
  const retryMaxDelayMs = props.retryMaxDelayMs ?? 300_000;
  if (!(retryBaseDelayMs >= 0) || !(retryMaxDelayMs >= retryBaseDelayMs)) {
    throw new LocalEventBridgeConfigError(
      `retryBaseDelayMs must be >= 0 and retryMaxDelayMs >= retryBaseDelayMs (given ${retryBaseDelayMs} and ${retryMaxDelayMs})`,
    );
  }
  return { retryBaseDelayMs, retryMaxDelayMs };
}

/** Creates the pipeline's bus with its declared rules and their targets, as the CDK app does. */
function declareBus(
  api: EventBridgeApi,
  pipeline: NonNullable<LocalEventBridgeProps["pipeline"]>,
  where: { region: string; accountId: string },
): void {
  api.createBus(pipeline.bus.name);
  for (const rule of declaredRules(pipeline, where)) {
    api.putRule({
      Name: rule.ruleName,
      EventBusName: rule.busName,
      EventPattern: rule.eventPattern,
      Description: rule.description,
    });
    api.putTargets({ Rule: rule.ruleName, EventBusName: rule.busName, Targets: [rule.target] });
  }
}

/** Listens on 127.0.0.1:`port` (0: any free port); resolves with the port taken. */
async function listenOn(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : port;
}

/**
 * Starts ripple's local EventBridge endpoint: a node:http server on 127.0.0.1 speaking
 * EventBridge's JSON 1.1 protocol (`X-Amz-Target: AWSEvents.<Op>`), so the unmodified
 * `EventBridgeClient` works against it with `endpoint` (or `AWS_ENDPOINT_URL_EVENTBRIDGE`).
 *
 * PutEvents validates as EventBridge does (1–10 entries, the declared size limits — 1 MB by
 * default — and per-entry errors) and answers
 * before delivery; matched events reach targets asynchronously, at least once, with retries and
 * dead letters (see `Delivery`). Targets are in-process functions (Lambda ARNs, bound with
 * `registerFunctionTarget`) or `http://127.0.0.1:PORT/path` URLs the event is POSTed to.
 *
 * @example
 * const bus = await startLocalEventBridge({ port: 8010, pipeline, dynamodb });
 * bus.registerFunctionTarget("ripple-parking-totals", "parking-totals", (event) => handler(event));
 */
export async function startLocalEventBridge(props: LocalEventBridgeProps = {}): Promise<LocalEventBridge> {
  const port = props.port ?? 8010;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalEventBridgeConfigError(`port must be an integer between 0 and 65535 (given ${port})`);
  }
  const { retryBaseDelayMs, retryMaxDelayMs } = retryDelaysOf(props);
  const accountId = props.accountId ?? "000000000000";
  const region = props.region ?? "us-east-1";
  const now = props.now ?? Date.now;
  const logger = props.logger ?? console;
  const functions = new Map<string, FunctionInvoker>();
  const key = (rule: string, target: string) => `${rule}\u0000${target}`;

  const delivery = new Delivery({
    ...(props.dynamodb === undefined ? {} : { dynamodb: props.dynamodb }),
    ...(props.pipeline === undefined
      ? {}
      : { deadLetterTable: tableOf(props.pipeline, props.pipeline.fanOut.setAsideTable).tableName }),
    retryBaseDelayMs,
    retryMaxDelayMs,
    now,
    logger,
    functionFor: (rule, target) => functions.get(key(rule, target)),
    ...(props.journal === undefined ? {} : { journal: props.journal }),
  });
  const api = new EventBridgeApi({
    accountId,
    region,
    delivery,
    now,
    logger,
    ...(props.resourcePolicy === undefined ? {} : { resourcePolicy: props.resourcePolicy }),
    limits: resolveLimits(props.pipeline?.limits),
    ...(props.faults === undefined ? {} : { faults: props.faults }),
  });

  const busName = props.pipeline?.bus.name ?? "default";
  if (props.pipeline !== undefined) declareBus(api, props.pipeline, { region, accountId });

  const server = createServer((request, response) => {
    void handle(api, delivery, request, response, logger);
  });
  const actualPort = await listenOn(server, port);

  const registerFunctionTarget = (ruleName: string, targetId: string, invoke: FunctionInvoker): void => {
    const rules = api.listRules({ EventBusName: busName, NamePrefix: ruleName }).Rules as {
      Name: string;
    }[];
    const bus = rules.some((r) => r.Name === ruleName) ? busName : "default";
    const targets = api.listTargetsByRule({ Rule: ruleName, EventBusName: bus }).Targets as {
      Id: string;
    }[];
    if (!targets.some((t) => t.Id === targetId)) {
      api.putTargets({
        Rule: ruleName,
        EventBusName: bus,
        Targets: [{ Id: targetId, Arn: `arn:aws:lambda:${region}:${accountId}:function:${targetId}` }],
      });
    }
    functions.set(key(ruleName, targetId), invoke);
    const target = api.deliveryTargetFor(bus, ruleName, targetId);
    if (target !== undefined) delivery.resume(ruleName, targetId, target);
  };

  return {
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    busName,
    registerFunctionTarget,
    registerConsumer(consumerName, invoke) {
      const pipeline = props.pipeline;
      const consumer = pipeline?.consumers.find((c) => c.name === consumerName);
      if (pipeline === undefined || consumer === undefined) {
        throw new LocalEventBridgeConfigError(
          `no consumer "${consumerName}" is declared${pipeline === undefined ? " (the endpoint was started without a pipeline)" : `; declared consumers: ${pipeline.consumers.map((c) => c.name).join(", ")}`}`,
        );
      }
      registerFunctionTarget(ruleNameOf(pipeline, consumer), consumer.name, invoke);
    },
    drained: () => delivery.drained(),
    stats: () => ({ ...delivery.stats }),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await delivery.stop();
    },
  };
}

async function handle(
  api: EventBridgeApi,
  delivery: Delivery,
  request: IncomingMessage,
  response: ServerResponse,
  logger: Pick<Console, "error">,
): Promise<void> {
  const requestId = randomUUID();
  const send = (status: number, body: unknown, errorType?: string) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": JSON_1_1,
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": requestId,
      ...(errorType === undefined ? {} : { "x-amzn-errortype": errorType }),
    });
    response.end(text);
  };
  const error = (e: EventBridgeApiError) => send(e.status, { __type: e.type, message: e.message }, e.type);
  try {
    const target = request.headers["x-amz-target"];
    const match = typeof target === "string" ? /^AWSEvents\.(\w+)$/.exec(target) : null;
    const body = await readBody(request, maxBodyBytes(api));
    if (request.method !== "POST" || match === null) {
      throw new EventBridgeApiError(
        "UnknownOperationException",
        `expected POST / with header X-Amz-Target: AWSEvents.<Operation> (given ${request.method} with X-Amz-Target ${String(target)})`,
      );
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
    } catch (cause) {
      throw new EventBridgeApiError(
        "SerializationException",
        `the request body is not JSON: ${String(cause)}`,
        400,
        { cause },
      );
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new EventBridgeApiError("SerializationException", "the request body must be a JSON object");
    }
    const result = api.handle(match[1] as string, input as Record<string, unknown>, callerOf(request));
    // Answer once what was accepted is on disk (with --data), as EventBridge answers once stored.
    await delivery.persisted();
    send(200, result);
  } catch (e) {
    if (e instanceof EventBridgeApiError) return error(e);
    logger.error(`local EventBridge failed on a request: ${String(e)}`);
    error(new EventBridgeApiError("InternalException", `local EventBridge failed: ${String(e)}`, 500));
  }
}

/**
 * The caller a request is signed as: the access key id of its SigV4 `Authorization` header. The
 * local bus does not verify signatures (there is no secret to check against); the key id names
 * the role, as the runbook's local credentials do.
 */
function callerOf(request: IncomingMessage): Caller {
  const header = request.headers.authorization;
  const accessKeyId = typeof header === "string" ? /Credential=([^/,\s]+)\//.exec(header)?.[1] : undefined;
  return accessKeyId === undefined ? {} : { accessKeyId };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new EventBridgeApiError("ValidationException", `request body over ${maxBytes} bytes`, 413));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
