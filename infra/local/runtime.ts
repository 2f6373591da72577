import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, DynamoDBStreamHandler } from "aws-lambda";
import type { PipelineDeclaration } from "../declaration.ts";
import { declaredNames, functionEnvironment } from "../function-config.ts";
import { functionsOf, type PipelineModel, resolvePipeline } from "../model.ts";
import { type ApiServer, startApiServer } from "./api-server.ts";
import { controlRoute, unauthorized } from "./control.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb/dynamodb-local.ts";
import { LocalRuntimeError } from "./errors.ts";
import { type EventBridgeEvent, type LocalEventBridge, startLocalEventBridge } from "./eventbridge/server.ts";
import { FaultSwitch, NO_FAULTS, parseFaults, withFaults } from "./faults.ts";
import { HandoffJournal } from "./handoff-journal.ts";
import { AsyncInvocations } from "./lambda-async.ts";
import { createLambdaContext, invokeHandler, LOCAL_ACCOUNT_ID } from "./lambda-context.ts";
import type { RuntimeOptions } from "./options.ts";
import { openStreamRecorder } from "./recorder.ts";
import { type EventSourceMapping, startEventSourceMapping } from "./streams/event-source-mapping.ts";
import { createTables } from "./tables.ts";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const REGION = "us-east-1";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface StartRuntimeProps extends RuntimeOptions {
  /**
   * The declaration to run. It is resolved (`resolvePipeline`) before anything starts, so the
   * runtime refuses exactly what `cdk synth` refuses, with the same message.
   */
  readonly pipeline: PipelineDeclaration;
  /**
   * Bearer token the API requires.
   * @default RIPPLE_API_TOKEN, else a random one (printed at start)
   */
  readonly apiToken?: string;
  /** Base of EventBridge's delivery backoff. @default 1000 */
  readonly retryBaseDelayMs?: number;
  /** Stream polling interval per shard. @default 250 (Lambda's 4 per second) */
  readonly pollIntervalMs?: number;
  /**
   * Lambda's wait before a consumer's first asynchronous retry after a function error; the second
   * waits twice as long. @default 60000 (Lambda's 1 minute, then 2)
   */
  readonly asyncRetryDelayMs?: number;
  /** Base of a failed stream batch's retry backoff. @default 500 */
  readonly streamRetryBaseMs?: number;
  /**
   * Makes the bus's at-least-once, unordered delivery to consumers happen on purpose, to show
   * that aggregates stay exact: `duplicate` delivers every event to each consumer twice (the
   * second time after a random delay), `maxDelayMs` holds each delivery back a random time so
   * they arrive shuffled.
   * @default every event once, as soon as it matches
   */
  readonly chaos?: { readonly duplicate?: boolean; readonly maxDelayMs?: number };
  /**
   * Whether to poll the source tables' streams into the fan-out. `npm run replay` turns them off
   * and hands the fan-out recorded records itself. @default true
   */
  readonly streams?: boolean;
  /** Whether to load the seeds' car parks and pets at start. @default true */
  readonly seedData?: boolean;
  /** @default console */
  readonly logger?: Pick<Console, "info" | "warn" | "error">;
  /**
   * Called with one line when DynamoDB Local went down and cannot be brought back (in memory, or
   * it failed to start again); `npm start` then exits non-zero. @default logged as an error
   */
  readonly onFatal?: (message: string) => void;
}

export interface RuntimeEndpoints {
  readonly api: string;
  readonly dashboard: string;
  readonly dynamodb: string;
  readonly eventbridge: string;
}

export interface Runtime {
  readonly endpoints: RuntimeEndpoints;
  readonly apiToken: string;
  readonly busName: string;
  /** A client of the runtime's DynamoDB Local. */
  readonly dynamodb: DynamoDBClient;
  readonly eventBridge: LocalEventBridge;
  readonly mappings: readonly EventSourceMapping[];
  /**
   * Resolves once every change written so far has gone all the way through: every stream read
   * to its end with nothing in flight and the bus drained — repeated until a full pass finds
   * nothing new (a consumer's write can start another round, e.g. AchievementUnlocked).
   */
  settled(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Pipeline counters for the dashboard. */
  stats(): {
    readonly storage: string;
    /** Where DynamoDB Local and the bus listen, for tools that join a running runtime (replay). */
    readonly endpoints: { readonly dynamodb: string; readonly eventbridge: string };
    readonly rows: readonly { name: string; value: number }[];
  };
  /** Stops everything it started, DynamoDB Local last. */
  stop(): Promise<void>;
}

/**
 * What the runtime sets in `process.env` so every handler's SDK clients reach the local endpoints
 * and every handler finds its configuration (`RIPPLE_CONFIG_<SERVICE>`, rendered from the model
 * with the declared names, as the CDK app renders it with the stage's).
 */
export function localEnvironment(
  model: PipelineModel,
  endpoints: { dynamodb: string; eventbridge: string },
  apiToken: string,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    POWERTOOLS_METRICS_NAMESPACE: model.metricsNamespace,
    RIPPLE_API_TOKEN: apiToken,
  };
  const names = declaredNames(model);
  for (const fn of functionsOf(model)) Object.assign(env, functionEnvironment(model, fn, names));
  return env;
}

async function importHandler<T>(path: string): Promise<T> {
  const module = (await import(pathToFileURL(join(projectRoot, path)).href)) as { handler?: T };
  if (module.handler === undefined) {
    throw new Error(`${path} exports no \`handler\`; export the Lambda handler under that name`);
  }
  return module.handler;
}

/** Endpoints the handler modules of this process were loaded with (they read them once). */
let handlersLoadedFor: string | undefined;

const dashboardHtml = () => readFileSync(join(projectRoot, "infra/local/dashboard/index.html"), "utf8");

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Starts the whole pipeline on this machine from the declaration: DynamoDB Local, the declared
 * tables, the local EventBridge endpoint with one rule per consumer, a stream poller per source
 * feeding the fan-out, and the HTTP API with the dashboard; seeds the seeds' data through the API.
 *
 * Handlers are the same modules Lambda runs, imported after the SDK's standard endpoint variables
 * point at the local endpoints; they run in-process with a Lambda-shaped context.
 */
export async function startRuntime(props: StartRuntimeProps): Promise<Runtime> {
  const { pipeline } = props;
  const model = resolvePipeline(pipeline);
  const logger = props.logger ?? console;
  const endpointsKey = `DynamoDB Local on port ${props.dynamodbPort}, EventBridge on port ${props.eventbridgePort}`;
  if (handlersLoadedFor !== undefined && handlersLoadedFor !== endpointsKey) {
    throw new LocalRuntimeError(
      `this process already loaded the handlers for ${handlersLoadedFor}; handlers read their endpoints once, at load, so start one runtime per process (in tests, one per test file) or reuse the same ports`,
    );
  }
  handlersLoadedFor = endpointsKey;
  const apiToken = props.apiToken ?? process.env.RIPPLE_API_TOKEN ?? randomBytes(18).toString("base64url");
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    stops.length = 0;
  };

  try {
    const dynamoDir = props.dataDir === undefined ? undefined : resolve(props.dataDir, "dynamodb");
    if (dynamoDir !== undefined) mkdirSync(dynamoDir, { recursive: true });
    const db: DynamoDbLocal = await startDynamoDbLocal({
      port: props.dynamodbPort,
      logger,
      onFatal: props.onFatal ?? ((message) => logger.error(message)),
      ...(dynamoDir === undefined ? {} : { dataDir: dynamoDir }),
    });
    stops.push(() => db.stop());

    const eventbridgeEndpoint = `http://127.0.0.1:${props.eventbridgePort}`;
    Object.assign(process.env, {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? "true",
      ...localEnvironment(model, { dynamodb: db.endpoint, eventbridge: eventbridgeEndpoint }, apiToken),
    });

    const dynamodb = new DynamoDBClient({
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: db.endpoint,
    });
    stops.push(async () => dynamodb.destroy());
    await createTables(dynamodb, pipeline);

    // Owed deliveries and retries, kept on disk with --data (closed after the bus and consumers).
    const journal =
      props.dataDir === undefined
        ? HandoffJournal.inMemory()
        : await HandoffJournal.open(join(resolve(props.dataDir), "handoffs", "journal.jsonl"));
    stops.push(() => journal.close());

    const faults = new FaultSwitch(
      pipeline.consumers.map((c) => c.name),
      parseFaults(
        { duplicate: props.chaos?.duplicate ?? false, reorderMaxDelayMs: props.chaos?.maxDelayMs ?? 0 },
        NO_FAULTS,
        [],
      ),
    );
    const eventBridge = await startLocalEventBridge({
      journal,
      faults,
      port: props.eventbridgePort,
      pipeline,
      dynamodb,
      region: REGION,
      logger,
      ...(props.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: props.retryBaseDelayMs }),
    });
    stops.push(() => eventBridge.stop());

    const setAside = model.tables[model.setAside.table]!.tableName;
    const consumerInvocations: { name: string; invocations: AsyncInvocations }[] = [];
    for (const consumer of model.consumers) {
      const handler = await importHandler<(event: EventBridgeEvent, context: unknown) => Promise<unknown>>(
        consumer.handler,
      );
      const { functionName, timeoutSeconds } = consumer;
      const run = async (event: EventBridgeEvent, awsRequestId: string) => {
        const context = createLambdaContext({
          functionName,
          timeoutSeconds,
          memorySizeMB: consumer.memorySize,
          region: REGION,
          awsRequestId,
        });
        await invokeHandler(withFaults(faults, consumer.name, timeoutSeconds, handler), event, context, {
          timeoutSeconds,
        });
      };
      // The bus holds each delivery back a random time while the reorder fault is set.
      const later = async (event: EventBridgeEvent, awsRequestId: string) => {
        const maxDelayMs = faults.faults.reorderMaxDelayMs;
        if (maxDelayMs > 0) {
          faults.count("reorderMaxDelayMs");
          await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
        }
        await run(event, awsRequestId);
      };
      const asyncRetryDelayMs = props.asyncRetryDelayMs ?? 60_000;
      const invocations = new AsyncInvocations({
        journal,
        functionName,
        run: later,
        config: consumer.asyncInvoke,
        ...(consumer.reservedConcurrency === undefined
          ? {}
          : { reservedConcurrency: consumer.reservedConcurrency }),
        retryDelayMs: (retry) => asyncRetryDelayMs * retry,
        deadLetter: {
          dynamodb,
          tableName: setAside,
          arn: `arn:aws:dynamodb:${REGION}:${LOCAL_ACCOUNT_ID}:table/${setAside}`,
          eventBusName: model.bus.name,
        },
        logger,
      });
      stops.push(() => invocations.stop());
      consumerInvocations.push({ name: consumer.name, invocations });
      // EventBridge invokes Lambda targets asynchronously: its Invoke succeeds once the event is
      // queued, and function errors are retried by Lambda (see AsyncInvocations).
      eventBridge.registerConsumer(consumer.name, async (event) => {
        invocations.invoke(event);
        if (faults.faults.duplicate) {
          faults.count("duplicate");
          invocations.invoke(event);
        }
      });
    }

    const recorder = props.recordFile === undefined ? undefined : openStreamRecorder(props.recordFile);
    if (recorder !== undefined) stops.push(async () => recorder.close());
    const fanOutHandler = await importHandler<DynamoDBStreamHandler>(model.fanOut.handler);
    const fanOut = recorder === undefined ? fanOutHandler : recorder.wrap(fanOutHandler);
    const streamsClient = new DynamoDBStreamsClient({
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: db.endpoint,
    });
    stops.push(async () => streamsClient.destroy());
    const mappings: EventSourceMapping[] = [];
    for (const source of props.streams === false ? [] : model.fanOut.sources) {
      const { tableName } = source;
      const mapping = await startEventSourceMapping({
        streamsClient,
        dynamodbClient: dynamodb,
        tableName,
        settings: source.mapping,
        handler: fanOut,
        functionName: model.fanOut.functionName,
        timeoutSeconds: model.fanOut.timeoutSeconds,
        memorySizeMB: model.fanOut.memorySize,
        onFailureTable: setAside,
        region: REGION,
        ...(props.pollIntervalMs === undefined ? {} : { pollIntervalMs: props.pollIntervalMs }),
        ...(props.streamRetryBaseMs === undefined
          ? {}
          : { retryBackoff: { baseMs: props.streamRetryBaseMs } }),
        ...(props.dataDir === undefined
          ? {}
          : { checkpointFile: join(resolve(props.dataDir), "checkpoints", `${tableName}.json`) }),
      });
      mappings.push(mapping);
      stops.push(() => mapping.stop());
    }

    const apiHandler = await importHandler<
      (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyResultV2>
    >(model.api.handler);
    const stats = () => {
      const rows: { name: string; value: number }[] = [];
      for (const m of mappings) {
        const s = m.stats();
        rows.push({ name: `${s.tableName}: records delivered to fan-out`, value: s.recordsDelivered });
        if (s.failures > 0) rows.push({ name: `${s.tableName}: failed batches`, value: s.failures });
      }
      for (const [name, value] of Object.entries(eventBridge.stats()))
        rows.push({ name: `bus: ${name}`, value });
      for (const { name, invocations } of consumerInvocations) {
        const s = invocations.stats;
        rows.push({ name: `${name}: runs`, value: s.runs });
        if (s.functionErrors > 0) rows.push({ name: `${name}: function errors`, value: s.functionErrors });
        if (s.deadLettered > 0) rows.push({ name: `${name}: dead letters`, value: s.deadLettered });
        if (s.dropped > 0) rows.push({ name: `${name}: discarded`, value: s.dropped });
      }
      return {
        storage: `DynamoDB Local at ${db.endpoint}`,
        endpoints: { dynamodb: db.endpoint, eventbridge: eventBridge.endpoint },
        rows,
      };
    };
    const dashboard = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      const path = (req.url ?? "/").split("?")[0];
      const down = db.down();
      if (req.method === "GET" && path === "/health" && down !== undefined) {
        // The API's own /health touches no table; the runtime knows when DynamoDB Local is down.
        res.writeHead(503, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify({ status: "down", down: { dynamodb: `DynamoDB Local: ${down}` } }));
        return true;
      }
      if (req.method === "GET" && (path === "/" || path === "/index.html")) {
        const html = dashboardHtml().replace(
          "<head>",
          `<head>\n<meta name="ripple-token" content="${apiToken}">`,
        );
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        res.end(html);
        return true;
      }
      if (path === "/local/faults" || path === "/local/settled") {
        if (!tokenMatches(req.headers.authorization, apiToken)) return unauthorized(res);
        await controlRoute(req, res, path, { faults, settled: () => settled });
        return true;
      }
      if (req.method === "GET" && path === "/local/stats") {
        if (!tokenMatches(req.headers.authorization, apiToken)) return unauthorized(res);
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(stats()));
        return true;
      }
      return false;
    };
    const api: ApiServer = await startApiServer({
      port: props.apiPort,
      token: apiToken,
      fallback: dashboard,
      handler: async (event) => {
        const context = createLambdaContext({
          functionName: model.api.functionName,
          timeoutSeconds: model.api.timeoutSeconds,
          memorySizeMB: model.api.memorySize,
          region: REGION,
        });
        const result = await invokeHandler(apiHandler, event, context, {
          timeoutSeconds: model.api.timeoutSeconds,
        });
        return result ?? { statusCode: 500, body: "" };
      },
    });
    stops.push(() => api.stop());

    // The seeds' data: car parks and pets are initialised on first use, through the API itself.
    for (const path of props.seedData === false ? [] : ["/car-parks", "/pets"]) {
      const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
      if (!response.ok)
        throw new Error(`seeding through GET ${path} answered ${response.status}: ${await response.text()}`);
    }

    const settled = async (options: { timeoutMs?: number } = {}) => {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      let quietPasses = 0;
      while (quietPasses < 2) {
        const before = JSON.stringify(stats().rows);
        const timeoutMs = Math.max(1, deadline - Date.now());
        await Promise.all(mappings.map((m) => m.idle({ timeoutMs })));
        await eventBridge.drained();
        await Promise.all(consumerInvocations.map(({ invocations }) => invocations.drained()));
        quietPasses = JSON.stringify(stats().rows) === before ? quietPasses + 1 : 0;
        if (Date.now() > deadline)
          throw new Error(`the pipeline did not settle within ${options.timeoutMs ?? 60_000} ms`);
      }
    };

    return {
      endpoints: {
        api: api.url,
        dashboard: `${api.url}/`,
        dynamodb: db.endpoint,
        eventbridge: eventBridge.endpoint,
      },
      apiToken,
      busName: eventBridge.busName,
      dynamodb,
      eventBridge,
      mappings,
      settled,
      stats,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
