import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LOCAL_PUBLISHER_ACCESS_KEY_IDS } from "#commons/publisher.ts";
import { SOURCES } from "#schemas/domain-events.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { declaredNames, functionEnvironment } from "../function-config.ts";
import { functionsOf, type PipelineModel, resolvePipeline } from "../model.ts";
import { runRedrive } from "../redrive/cli.ts";
import { type ApiServer, startApiServer } from "./api-server.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb/dynamodb-local.ts";
import { LocalRuntimeError } from "./errors.ts";
import { type LocalEventBridge, startLocalEventBridge } from "./eventbridge/server.ts";
import { FaultSwitch, NO_FAULTS, parseFaults } from "./faults.ts";
import { HandoffJournal } from "./handoff-journal.ts";
import type { AsyncInvocationStats } from "./lambda-async.ts";
import { startDynamoDbProxy } from "./metrics/dynamodb-proxy.ts";
import { captureEmf } from "./metrics/emf.ts";
import { LocalMonitoring } from "./metrics/monitor.ts";
import type { RuntimeOptions } from "./options.ts";
import { openStreamRecorder } from "./recorder.ts";
import {
  type DashboardTargets,
  dashboardRoutes,
  type RuntimeStats,
  runtimeStats,
  settle,
} from "./runtime-dashboard.ts";
import {
  apiFunction,
  DEFAULT_LOCAL_REGION,
  type Stops,
  startConsumers,
  startMappings,
} from "./runtime-functions.ts";
import type { EventSourceMapping } from "./streams/event-source-mapping.ts";
import { createTables } from "./tables.ts";

/** The handlers' credentials: the fan-out's role, the one the bus admits ripple's sources from. */
const LOCAL_CREDENTIALS = {
  accessKeyId: LOCAL_PUBLISHER_ACCESS_KEY_IDS.fanOut,
  secretAccessKey: "local",
} as const;

export interface StartRuntimeProps extends RuntimeOptions {
  /**
   * The declaration to run. It is resolved (`resolvePipeline`) before anything starts, so the
   * runtime refuses exactly what `cdk synth` refuses, with the same message.
   */
  readonly pipeline: PipelineDeclaration;
  /**
   * The one region of the runtime: stream records' `awsRegion` and `eventSourceARN`, the bus's and
   * rules' ARNs, events' `region`, Lambda contexts' function ARNs and handlers' `AWS_REGION` all
   * name it, as they all name the stack's region in AWS.
   * @default "us-east-1"
   */
  readonly region?: string;
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
  /**
   * Period of the local alarms and charts; CloudWatch's (the model's, 300 s) is too long for a
   * local run. @default 10
   */
  readonly alarmPeriodSeconds?: number;
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
  stats(): RuntimeStats;
  /** The local mirror of the CloudWatch dashboard and alarms: metrics, alarm states, widget series. */
  readonly monitoring: LocalMonitoring;
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
  region: string = DEFAULT_LOCAL_REGION,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
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

/** The runtime's one region. */
const regionOf = (props: StartRuntimeProps) => props.region ?? DEFAULT_LOCAL_REGION;

/** Endpoints the handler modules of this process were loaded with (they read them once). */
let handlersLoadedFor: string | undefined;

/** Refuses a second runtime on other ports in this process: handlers read their endpoints once. */
function claimHandlers(props: StartRuntimeProps): void {
  const endpointsKey = `DynamoDB Local on port ${props.dynamodbPort}, EventBridge on port ${props.eventbridgePort}`;
  if (handlersLoadedFor !== undefined && handlersLoadedFor !== endpointsKey) {
    throw new LocalRuntimeError(
      `this process already loaded the handlers for ${handlersLoadedFor}; handlers read their endpoints once, at load, so start one runtime per process (in tests, one per test file) or reuse the same ports`,
    );
  }
  handlersLoadedFor = endpointsKey;
}

/**
 * Ports of the DynamoDB proxies this process started, by DynamoDB Local's endpoint: handlers
 * keep the endpoint they were loaded with, so a runtime started again on the same ports in this
 * process puts its proxy on the same port.
 */
const proxyPorts = new Map<string, number>();

/** The proxy in front of DynamoDB Local that measures the handlers' requests per table and operation. */
async function dynamoDbProxy(upstream: string, monitoring: LocalMonitoring) {
  const proxy = await startDynamoDbProxy(
    upstream,
    (sample) => {
      if (sample.tables.every((t) => monitoring.knowsTable(t))) monitoring.dynamodb(sample);
    },
    proxyPorts.get(upstream) ?? 0,
  );
  proxyPorts.set(upstream, Number(new URL(proxy.endpoint).port));
  return proxy;
}

/** Stops what was started, last first, logging (not throwing) what fails to stop. */
function stopper(stops: Stops, logger: Pick<Console, "error">): () => Promise<void> {
  return async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    stops.length = 0;
  };
}

/** DynamoDB Local (kept under `<dataDir>/dynamodb` when given) and a client of it. */
async function startStorage(props: StartRuntimeProps, stops: Stops) {
  const dynamoDir = props.dataDir === undefined ? undefined : resolve(props.dataDir, "dynamodb");
  if (dynamoDir !== undefined) mkdirSync(dynamoDir, { recursive: true });
  const logger = props.logger ?? console;
  const db: DynamoDbLocal = await startDynamoDbLocal({
    port: props.dynamodbPort,
    logger,
    onFatal: props.onFatal ?? ((message) => logger.error(message)),
    ...(dynamoDir === undefined ? {} : { dataDir: dynamoDir }),
  });
  stops.push(() => db.stop());
  const dynamodb = new DynamoDBClient({
    region: regionOf(props),
    credentials: LOCAL_CREDENTIALS,
    endpoint: db.endpoint,
  });
  stops.push(async () => dynamodb.destroy());
  const streamsClient = new DynamoDBStreamsClient({
    region: regionOf(props),
    credentials: LOCAL_CREDENTIALS,
    endpoint: db.endpoint,
  });
  stops.push(async () => streamsClient.destroy());
  return { db, dynamodb, streamsClient };
}

/** The API with the dashboard beside it, then the seeds' data initialised through the API itself. */
async function startApi(
  props: StartRuntimeProps,
  model: PipelineModel,
  apiToken: string,
  dashboard: DashboardTargets & {
    /** Why DynamoDB Local is down, or undefined while it answers. */
    readonly down: () => string | undefined;
  },
  stops: Stops,
): Promise<ApiServer> {
  const routes = dashboardRoutes(apiToken, dashboard);
  const handler = await apiFunction(model.api, regionOf(props));
  const api = await startApiServer({
    port: props.apiPort,
    token: apiToken,
    fallback: async (req, res) => {
      // The API's own /health touches no table; the runtime knows when DynamoDB Local is down.
      const down = dashboard.down();
      if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/health" && down !== undefined) {
        res.writeHead(503, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify({ status: "down", down: { dynamodb: `DynamoDB Local: ${down}` } }));
        return true;
      }
      return routes(req, res);
    },
    // API Gateway's Count, 4xx, 5xx, Latency and IntegrationLatency, measured around the handler.
    handler: async (event) => {
      const started = performance.now();
      let status = 500;
      try {
        const result = await handler(event);
        status = typeof result === "string" ? 200 : (result.statusCode ?? 200);
        return result;
      } finally {
        // Locally no gateway stands between the request and the handler: Latency = IntegrationLatency.
        const took = performance.now() - started;
        dashboard.monitoring.apiRequest(status, took, took);
      }
    },
  });
  stops.push(() => api.stop());
  // The seeds' data: car parks and pets are initialised on first use, through the API itself.
  for (const path of props.seedData === false ? [] : ["/car-parks", "/pets"]) {
    const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
    if (!response.ok)
      throw new Error(`seeding through GET ${path} answered ${response.status}: ${await response.text()}`);
  }
  return api;
}

/** The fault switch (chaos settings as its initial faults) and the local bus with the model's rules. */
async function startBus(
  props: StartRuntimeProps,
  model: PipelineModel,
  dynamodb: DynamoDBClient,
  journal: HandoffJournal,
  logger: Pick<Console, "info" | "warn" | "error">,
  stops: Stops,
): Promise<{ faults: FaultSwitch; eventBridge: LocalEventBridge }> {
  const faults = new FaultSwitch(
    model.consumers.map((c) => c.name),
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
    pipeline: props.pipeline,
    dynamodb,
    region: regionOf(props),
    logger,
    resourcePolicy: {
      eventBusName: props.pipeline.bus.name,
      protectedSources: Object.values(SOURCES),
      allowedAccessKeyIds: Object.values(LOCAL_PUBLISHER_ACCESS_KEY_IDS),
    },
    ...(props.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: props.retryBaseDelayMs }),
  });
  stops.push(() => eventBridge.stop());
  return { faults, eventBridge };
}

/**
 * The local on-failure store, the S3 on-failure bucket's stand-in: `<dataDir>/on-failure`, or
 * without `--data` a temporary folder removed on stop (like everything else kept in memory).
 */
export function onFailureStoreOf(props: Pick<StartRuntimeProps, "dataDir">, stops: Stops): string {
  if (props.dataDir !== undefined) return resolve(props.dataDir, "on-failure");
  const dir = mkdtempSync(join(tmpdir(), "ripple-on-failure-"));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The stream pollers feeding the fan-out, recording what they hand it under `--record`. */
async function startStreams(
  props: StartRuntimeProps,
  model: PipelineModel,
  clients: { readonly streamsClient: DynamoDBStreamsClient; readonly dynamodb: DynamoDBClient },
  stops: Stops,
  monitoring: LocalMonitoring,
): Promise<EventSourceMapping[]> {
  const recorder = props.recordFile === undefined ? undefined : openStreamRecorder(props.recordFile);
  if (recorder !== undefined) stops.push(async () => recorder.close());
  const onFailureStore = onFailureStoreOf(props, stops);
  return startMappings({
    onFailureStore,
    model,
    region: regionOf(props),
    streams: props.streams !== false,
    ...(recorder === undefined ? {} : { recorder }),
    ...clients,
    monitoring,
    ...(props.pollIntervalMs === undefined ? {} : { pollIntervalMs: props.pollIntervalMs }),
    ...(props.streamRetryBaseMs === undefined ? {} : { streamRetryBaseMs: props.streamRetryBaseMs }),
    ...(props.dataDir === undefined ? {} : { dataDir: resolve(props.dataDir) }),
    stops,
  });
}

/**
 * The local metrics and alarms (`LocalMonitoring`), fed by the handlers' EMF lines and by a proxy
 * in front of DynamoDB Local that measures each request as CloudWatch would.
 */
async function startMonitoring(
  props: StartRuntimeProps,
  model: PipelineModel,
  storage: { readonly db: { readonly endpoint: string }; readonly dynamodb: DynamoDBClient },
  pending: (consumer: string) => number,
  stops: Stops,
) {
  const monitoring = new LocalMonitoring(model, {
    logger: props.logger ?? console,
    setAside: { dynamodb: storage.dynamodb, tableName: model.tables[model.setAside.table]!.tableName },
    pending,
    ...(props.alarmPeriodSeconds === undefined ? {} : { localPeriodSeconds: props.alarmPeriodSeconds }),
  });
  monitoring.start();
  stops.push(async () => monitoring.stop());
  // The handlers' EMF lines feed the local metrics, as CloudWatch Logs extracts them in AWS.
  const releaseEmf = captureEmf(monitoring.store);
  stops.push(async () => releaseEmf());
  const proxy = await dynamoDbProxy(storage.db.endpoint, monitoring);
  stops.push(() => proxy.stop());
  return { monitoring, proxy };
}

/** Owed deliveries and retries, kept on disk with --data (closed after the bus and consumers). */
async function openJournal(props: StartRuntimeProps, stops: Stops): Promise<HandoffJournal> {
  const journal =
    props.dataDir === undefined
      ? HandoffJournal.inMemory()
      : await HandoffJournal.open(join(resolve(props.dataDir), "handoffs", "journal.jsonl"));
  stops.push(() => journal.close());
  return journal;
}

/** Events a consumer has accepted and not yet finished with (run, dead-lettered or dropped). */
function pendingOf(
  consumers: readonly { name: string; invocations: { stats: AsyncInvocationStats } }[],
  name: string,
) {
  const s = consumers.find((c) => c.name === name)?.invocations.stats;
  if (s === undefined) return 0;
  const finished = s.runs - s.functionErrors + s.deadLettered + s.dropped;
  return Math.max(0, s.accepted + s.resumed - finished);
}

/**
 * The dashboard's redrive: `npm run redrive`'s own code, signed as that command is (the role the
 * bus admits redrive as), its lines logged on the runtime's output.
 */
function dashboardRedrive(
  props: StartRuntimeProps,
  busEndpoint: string,
  dynamodb: DynamoDBClient,
  logger: Pick<Console, "info">,
  stops: Stops,
) {
  const eventBridge = new EventBridgeClient({
    region: regionOf(props),
    credentials: { accessKeyId: LOCAL_PUBLISHER_ACCESS_KEY_IDS.redrive, secretAccessKey: "local" },
    endpoint: busEndpoint,
  });
  stops.push(async () => eventBridge.destroy());
  return async (argv: readonly string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRedrive([...argv], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      dynamodb,
      eventBridge,
    });
    for (const line of [...out, ...err]) logger.info(`dashboard redrive: ${line}`);
    return { code, out, err };
  };
}

/**
 * Starts the whole pipeline on this machine from the resolved declaration: DynamoDB Local, the
 * declared tables, the local EventBridge endpoint with one rule per consumer, a stream poller per
 * source feeding the fan-out, and the HTTP API with the dashboard; seeds the seeds' data through
 * the API.
 *
 * Handlers are the same modules Lambda runs, imported after the SDK's standard endpoint variables
 * and each function's configuration variable are set; they run in-process with a Lambda-shaped
 * context.
 */
export async function startRuntime(props: StartRuntimeProps): Promise<Runtime> {
  const model = resolvePipeline(props.pipeline);
  const logger = props.logger ?? console;
  claimHandlers(props);
  const apiToken = props.apiToken ?? process.env.RIPPLE_API_TOKEN ?? randomBytes(18).toString("base64url");
  const stops: Stops = [];
  const stop = stopper(stops, logger);
  try {
    const { db, dynamodb, streamsClient } = await startStorage(props, stops);
    let pending: (consumer: string) => number = () => 0;
    const { monitoring, proxy } = await startMonitoring(
      props,
      model,
      { db, dynamodb },
      (c) => pending(c),
      stops,
    );
    Object.assign(process.env, {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
      // Metrics on: the runtime reads the handlers' EMF lines into its dashboard, not its output.
      POWERTOOLS_METRICS_DISABLED: "false",
      ...localEnvironment(
        model,
        { dynamodb: proxy.endpoint, eventbridge: `http://127.0.0.1:${props.eventbridgePort}` },
        apiToken,
        regionOf(props),
      ),
    });
    await createTables(dynamodb, model);
    const journal = await openJournal(props, stops);
    const { faults, eventBridge } = await startBus(props, model, dynamodb, journal, logger, stops);
    const consumers = await startConsumers({
      journal,
      model,
      region: regionOf(props),
      eventBridge,
      dynamodb,
      asyncRetryDelayMs: props.asyncRetryDelayMs ?? 60_000,
      faults,
      logger,
      stops,
      monitoring,
    });
    pending = (name) => pendingOf(consumers, name);
    const mappings = await startStreams(props, model, { streamsClient, dynamodb }, stops, monitoring);
    const stats = () =>
      runtimeStats({
        storage: `DynamoDB Local at ${db.endpoint}`,
        endpoints: { dynamodb: db.endpoint, eventbridge: eventBridge.endpoint },
        mappings,
        eventBridge,
        consumers,
      });
    const settled = (options?: { readonly timeoutMs?: number }) =>
      settle({ mappings, eventBridge, consumers, stats }, options);
    const api = await startApi(
      props,
      model,
      apiToken,
      {
        stats,
        control: { faults, settled: () => settled },
        monitoring,
        redrive: dashboardRedrive(props, eventBridge.endpoint, dynamodb, logger, stops),
        down: () => db.down(),
      },
      stops,
    );
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
      monitoring,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
