import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, DynamoDBStreamHandler } from "aws-lambda";
import type { ApiModel, ConsumerModel, PipelineModel } from "../model.ts";
import { PROJECT_ROOT } from "../model.ts";
import type { EventBridgeEvent, LocalEventBridge } from "./eventbridge/server.ts";
import { type FaultSwitch, withFaults } from "./faults.ts";
import type { HandoffJournal } from "./handoff-journal.ts";
import { AsyncInvocations } from "./lambda-async.ts";
import { createLambdaContext, invokeHandler, LOCAL_ACCOUNT_ID } from "./lambda-context.ts";
import type { LocalMonitoring } from "./metrics/monitor.ts";
import type { StreamRecorder } from "./recorder.ts";
import { type EventSourceMapping, startEventSourceMapping } from "./streams/event-source-mapping.ts";

/**
 * The functions of the local runtime: each handler module imported as Lambda would load it, and
 * wired the way AWS wires it — consumers behind Lambda's asynchronous invocation, the fan-out
 * behind one event source mapping per source, the API behind the HTTP adapter.
 */

/** The region of every local ARN, record, context and client, unless the runtime is told another. */
export const DEFAULT_LOCAL_REGION = "us-east-1";

/** Something started that must be stopped, last started first. */
export type Stops = (() => Promise<void>)[];

/** A handler module's `handler` export, imported from the project root. */
export async function importHandler<T>(path: string): Promise<T> {
  const module = (await import(pathToFileURL(join(PROJECT_ROOT, path)).href)) as { handler?: T };
  if (module.handler === undefined) {
    throw new Error(`${path} exports no \`handler\`; export the Lambda handler under that name`);
  }
  return module.handler;
}

/** A consumer's function with its asynchronous-invocation queue. */
export interface ConsumerRun {
  readonly name: string;
  readonly invocations: AsyncInvocations;
}

export interface StartConsumersProps {
  readonly model: PipelineModel;
  /** The runtime's region: the functions' ARNs and the dead-letter queue's. */
  readonly region: string;
  readonly eventBridge: LocalEventBridge;
  readonly dynamodb: DynamoDBClient;
  /** Lambda's wait before the first asynchronous retry; the second waits twice as long. */
  readonly asyncRetryDelayMs: number;
  /** Faults set on the runtime: consumer errors and timeouts, duplicate and reordered delivery. */
  readonly faults: FaultSwitch;
  readonly logger: Pick<Console, "info" | "warn" | "error">;
  readonly stops: Stops;
  /** Keeps queued events and pending retries across a stop or a crash (under --data). @default in memory */
  readonly journal?: HandoffJournal;
  /** Where Lambda's and EventBridge's metrics of the consumers are recorded. @default nowhere */
  readonly monitoring?: LocalMonitoring;
}

/**
 * Runs one consumer's handler with a Lambda-shaped context, its timeout and memory from the model,
 * under the faults set for it; while the reorder fault is set the bus holds each delivery back a
 * random time.
 */
function runnerOf(
  consumer: ConsumerModel,
  handler: (event: EventBridgeEvent, context: unknown) => Promise<unknown>,
  faults: FaultSwitch,
  region: string,
  monitoring: LocalMonitoring | undefined,
) {
  const faulty = withFaults(faults, consumer.name, consumer.timeoutSeconds, handler);
  return async (event: EventBridgeEvent, awsRequestId: string) => {
    const maxDelayMs = faults.faults.reorderMaxDelayMs;
    if (maxDelayMs > 0) {
      faults.count("reorderMaxDelayMs");
      await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
    }
    const context = createLambdaContext({
      functionName: consumer.functionName,
      timeoutSeconds: consumer.timeoutSeconds,
      memorySizeMB: consumer.memorySize,
      region,
      awsRequestId,
    });
    const invoke = () => invokeHandler(faulty, event, context, { timeoutSeconds: consumer.timeoutSeconds });
    await (monitoring === undefined ? invoke() : monitoring.invocation(consumer.functionName, invoke));
  };
}

/**
 * Every consumer of the model as a function behind Lambda's asynchronous invocation, registered
 * as its rule's target on the local bus. EventBridge invokes Lambda targets asynchronously: its
 * Invoke succeeds once the event is queued, and function errors are retried by Lambda.
 */
export async function startConsumers(props: StartConsumersProps): Promise<ConsumerRun[]> {
  const { model, faults } = props;
  const setAside = model.tables[model.setAside.table]!.tableName;
  const runs: ConsumerRun[] = [];
  for (const consumer of model.consumers) {
    const run = runnerOf(
      consumer,
      await importHandler(consumer.handler),
      faults,
      props.region,
      props.monitoring,
    );
    const invocations = new AsyncInvocations({
      ...(props.journal === undefined ? {} : { journal: props.journal }),
      functionName: consumer.functionName,
      run,
      config: consumer.asyncInvoke,
      ...(consumer.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: consumer.reservedConcurrency }),
      retryDelayMs: (retry) => props.asyncRetryDelayMs * retry,
      maxPayloadBytes: model.limits.asyncInvokePayloadBytes,
      deadLetter: {
        dynamodb: props.dynamodb,
        tableName: setAside,
        arn: `arn:aws:dynamodb:${props.region}:${LOCAL_ACCOUNT_ID}:table/${setAside}`,
        eventBusName: model.bus.name,
      },
      logger: props.logger,
    });
    props.stops.push(() => invocations.stop());
    runs.push({ name: consumer.name, invocations });
    props.eventBridge.registerConsumer(consumer.name, async (event) => {
      try {
        invocations.invoke(event);
      } catch (error) {
        // Lambda refused the Invoke (an event over its payload limit): a failed rule invocation.
        props.monitoring?.ruleInvocation(consumer.rule.name, true);
        throw error;
      }
      props.monitoring?.ruleInvocation(consumer.rule.name, false);
      if (faults.faults.duplicate) {
        faults.count("duplicate");
        invocations.invoke(event);
      }
    });
  }
  return runs;
}

export interface StartMappingsProps {
  readonly model: PipelineModel;
  /** The runtime's region: records' `awsRegion` and `eventSourceARN`, the fan-out's ARN. */
  readonly region: string;
  readonly streamsClient: DynamoDBStreamsClient;
  readonly dynamodb: DynamoDBClient;
  /** @default 250 */
  readonly pollIntervalMs?: number;
  /** @default 500 */
  readonly streamRetryBaseMs?: number;
  /** Where checkpoints are kept (`<dataDir>/checkpoints`). @default in memory */
  readonly dataDir?: string;
  /** Records every batch handed to the fan-out (`--record`). @default none */
  readonly recorder?: StreamRecorder;
  /** Folder of the local on-failure store (the S3 on-failure bucket's stand-in). */
  readonly onFailureStore: string;
  /** Whether to poll the streams at all (`npm run replay` hands the fan-out records itself). */
  readonly streams: boolean;
  readonly stops: Stops;
  /** Where the fan-out's Lambda and mapping metrics are recorded. @default nowhere */
  readonly monitoring?: LocalMonitoring;
}

/**
 * The fan-out's handler as one source's mapping invokes it, measured as Lambda measures it:
 * invocations, errors, duration, the iterator age (age of the batch's last record) and the
 * mapping's polled and failed record counts.
 */
function measuredFanOut(
  handler: DynamoDBStreamHandler,
  functionName: string,
  tableKey: string,
  monitoring: LocalMonitoring,
): DynamoDBStreamHandler {
  return (event, context, callback) => {
    const last = event.Records.at(-1)?.dynamodb?.ApproximateCreationDateTime;
    const ageMs = last === undefined ? undefined : Math.max(0, Date.now() - last * 1000);
    let failed = true;
    return monitoring
      .invocation(functionName, async () => {
        const result = await handler(event, context, callback);
        failed = false;
        return result;
      })
      .finally(() => monitoring.streamBatch(tableKey, event.Records.length, ageMs, failed));
  };
}

/** One event source mapping per source of the model, each feeding the fan-out's handler. */
export async function startMappings(props: StartMappingsProps): Promise<EventSourceMapping[]> {
  const { model } = props;
  const fanOutHandler = await importHandler<DynamoDBStreamHandler>(model.fanOut.handler);
  const fanOut = props.recorder === undefined ? fanOutHandler : props.recorder.wrap(fanOutHandler);
  const setAside = model.tables[model.setAside.table]!.tableName;
  const mappings: EventSourceMapping[] = [];
  for (const source of props.streams ? model.fanOut.sources : []) {
    const { tableName } = source;
    const mapping = await startEventSourceMapping({
      streamsClient: props.streamsClient,
      dynamodbClient: props.dynamodb,
      tableName,
      settings: source.mapping,
      handler:
        props.monitoring === undefined
          ? fanOut
          : measuredFanOut(fanOut, model.fanOut.functionName, source.table, props.monitoring),
      functionName: model.fanOut.functionName,
      timeoutSeconds: model.fanOut.timeoutSeconds,
      memorySizeMB: model.fanOut.memorySize,
      onFailureTable: setAside,
      onFailureStore: props.onFailureStore,
      region: props.region,
      ...(props.pollIntervalMs === undefined ? {} : { pollIntervalMs: props.pollIntervalMs }),
      ...(props.streamRetryBaseMs === undefined ? {} : { retryBackoff: { baseMs: props.streamRetryBaseMs } }),
      ...(props.dataDir === undefined
        ? {}
        : { checkpointFile: join(props.dataDir, "checkpoints", `${tableName}.json`) }),
    });
    mappings.push(mapping);
    props.stops.push(() => mapping.stop());
  }
  return mappings;
}

/** The API's handler as the HTTP adapter calls it: a Lambda-shaped context, the model's timeout. */
export async function apiFunction(
  api: ApiModel,
  region: string,
): Promise<(event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>> {
  const handler = await importHandler<
    (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyResultV2>
  >(api.handler);
  return async (event) => {
    const context = createLambdaContext({
      functionName: api.functionName,
      timeoutSeconds: api.timeoutSeconds,
      memorySizeMB: api.memorySize,
      region,
    });
    const result = await invokeHandler(handler, event, context, { timeoutSeconds: api.timeoutSeconds });
    return result ?? { statusCode: 500, body: "" };
  };
}
