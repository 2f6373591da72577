import { Duration } from "aws-cdk-lib";
import { FilterCriteria, MetricType, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { FanOutModel } from "#infra/model.ts";
import type { ResolvedMappingSettings } from "#infra/topology.ts";
import type { DomainEventBus } from "./bus.ts";
import { RippleFunction } from "./function.ts";
import type { StageSettings } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

export interface FanOutProps {
  /** The fan-out's slice of the resolved model. */
  readonly fanOut: FanOutModel;
  /** Its configuration variable (`RIPPLE_CONFIG_FAN_OUT`), rendered for this stage. */
  readonly environment: Readonly<Record<string, string>>;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly projectRoot: string;
}

/**
 * Lambda event source mapping settings of a declared source, as the CDK names them.
 *
 * `-1` (retry until the record expires / no age limit) is Lambda's own default and CDK refuses it
 * as an explicit value, so it is expressed by leaving the setting out. An empty filter list is left
 * out too: a mapping with `FilterCriteria: { Filters: [] }` is not what "no filter" means.
 * Event-count metrics are on, so the dashboard shows records polled, filtered out and dropped per
 * source (dimension `EventSourceMappingUUID`).
 */
export function eventSourceProps(s: ResolvedMappingSettings, onFailure: SqsDlq) {
  return {
    startingPosition:
      s.startingPosition === "LATEST" ? StartingPosition.LATEST : StartingPosition.TRIM_HORIZON,
    batchSize: s.batchSize,
    maxBatchingWindow: Duration.seconds(s.maximumBatchingWindowInSeconds),
    bisectBatchOnError: s.bisectBatchOnFunctionError,
    ...(s.maximumRetryAttempts === -1 ? {} : { retryAttempts: s.maximumRetryAttempts }),
    ...(s.maximumRecordAgeInSeconds === -1
      ? {}
      : { maxRecordAge: Duration.seconds(s.maximumRecordAgeInSeconds) }),
    parallelizationFactor: s.parallelizationFactor,
    reportBatchItemFailures: s.reportBatchItemFailures,
    onFailure,
    metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    ...(s.filterPatterns.length === 0
      ? {}
      : {
          filters: s.filterPatterns.map((pattern) =>
            FilterCriteria.filter(pattern as Record<string, unknown>),
          ),
        }),
  };
}

/**
 * The fan-out: one function fed by one event source mapping per source table, publishing to the
 * bus and setting aside what it cannot map. Batches given up after the declared retries and record
 * age go to an encrypted SQS on-failure destination (a description of the batch, not its records).
 */
export class FanOut extends Construct {
  readonly fn: RippleFunction;
  readonly onFailureQueue: Queue;
  /** One event source mapping per declared source, by table key, in declaration order. */
  readonly mappings: readonly { readonly table: string; readonly eventSource: DynamoEventSource }[];

  constructor(scope: Construct, id: string, props: FanOutProps) {
    super(scope, id);
    const { fanOut, tables } = props;
    this.fn = new RippleFunction(this, "Handler", {
      handler: fanOut.handler,
      serviceName: fanOut.service,
      description: fanOut.description,
      timeoutSeconds: fanOut.timeoutSeconds,
      memorySize: fanOut.memorySize,
      stage: props.stage,
      projectRoot: props.projectRoot,
      environment: props.environment,
    });
    this.onFailureQueue = new Queue(this, "OnFailureQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const onFailure = new SqsDlq(this.onFailureQueue);
    this.mappings = fanOut.sources.map((source) => {
      const eventSource = new DynamoEventSource(
        tables.streamSource(source.table),
        eventSourceProps(source.mapping, onFailure),
      );
      this.fn.function.addEventSource(eventSource);
      return { table: source.table, eventSource };
    });
    props.bus.bus.grantPutEventsTo(this.fn.function);
    for (const grant of fanOut.tables) tables.grant(this.fn.function, grant);
  }
}
