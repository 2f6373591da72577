import { Duration } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import {
  type DlqDestinationConfig,
  FilterCriteria,
  type IEventSourceDlq,
  type IEventSourceMapping,
  type IFunction,
  MetricType,
  StartingPosition,
} from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from "aws-cdk-lib/aws-s3";
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
export function eventSourceProps(s: ResolvedMappingSettings, onFailure: IEventSourceDlq) {
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

/** Where Lambda writes a given-up batch's object: `aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/…`. */
export const ON_FAILURE_KEY_PREFIX = "aws/lambda/";

/**
 * An S3 bucket as a stream mapping's on-failure destination, granting the function's role only what
 * Lambda uses to write there: `s3:PutObject` under `aws/lambda/` and `s3:ListBucket`, as the Lambda
 * guide lists them. Written by hand because CDK's `S3OnFailureDestination` grants read, write and
 * delete of every object in the bucket, which the function never needs.
 */
export class S3OnFailure implements IEventSourceDlq {
  constructor(readonly bucket: IBucket) {}

  bind(_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig {
    targetHandler.addToRolePolicy(
      new PolicyStatement({
        actions: ["s3:PutObject"],
        resources: [this.bucket.arnForObjects(`${ON_FAILURE_KEY_PREFIX}*`)],
      }),
    );
    targetHandler.addToRolePolicy(
      new PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }),
    );
    return { destination: this.bucket.bucketArn };
  }
}

/**
 * The fan-out: one function fed by one event source mapping per source table, publishing to the
 * bus and setting aside what it cannot map. A batch given up after the declared retries and record
 * age goes to the on-failure bucket as one object holding the invocation record and the records
 * themselves (`payload`), so `npm run redrive -- --bucket` can replay it long after the stream's
 * 24 h: encrypted (SSE-S3), TLS only, no public access, expired after `onFailureRetentionDays`.
 */
export class FanOut extends Construct {
  readonly fn: RippleFunction;
  readonly onFailureBucket: Bucket;
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
    this.onFailureBucket = new Bucket(this, "OnFailureBucket", {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: "ExpireGivenUpBatches",
          expiration: Duration.days(fanOut.onFailureRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.stage.removalPolicy,
    });
    const onFailure = new S3OnFailure(this.onFailureBucket);
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
