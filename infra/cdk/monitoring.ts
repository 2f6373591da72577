import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { PipelineDeclaration } from "#infra/declaration.ts";
import type { ProducerApi } from "./api.ts";
import type { DomainEventBus } from "./bus.ts";
import type { Consumer } from "./consumer.ts";
import type { FanOut } from "./fan-out.ts";
import { METRICS_NAMESPACE } from "./function.ts";
import { type StageSettings, stageName } from "./stage.ts";
import type { PipelineTables } from "./tables.ts";

/** The fan-out's own metrics (EMF, namespace `ripple`, dimension `service=fan-out`). */
export const FAN_OUT_METRICS = [
  "RecordsIn",
  "EventsOut",
  "FailedEntries",
  "SetAsideRecords",
  "BatchAgeMs",
] as const;

/** Titles of the dashboard's widgets; the runbook refers to them by these names. */
export const WIDGETS = {
  putItemLatency: "PutItem latency (avg, p95, p99)",
  readLatency: "GetItem / Query latency (p95)",
  capacity: "Consumed read / write capacity",
  throttles: "Throttles and user errors",
  limits: "Account and table limits",
  iteratorAge: "Stream iterator age",
  sourceRecords: "Stream records per source (polled, filtered out, dropped)",
  fanOutErrors: "Fan-out errors",
  fanOutThroughput: "Fan-out records in / events out",
  failedEntries: "Failed PutEvents entries",
  setAside: "Set-aside records",
  ruleInvocations: "Rule invocations",
  failedRuleInvocations: "Failed rule invocations",
  consumerErrors: "Consumer errors",
  consumerDuration: "Consumer duration",
  deadLetters: "Dead-letter queue depth",
  apiLatency: "API latency",
  apiErrors: "API 4xx / 5xx",
  alarms: "Alarms",
} as const;

export interface PipelineMonitoringProps {
  readonly pipeline: PipelineDeclaration;
  readonly stage: StageSettings;
  readonly tables: PipelineTables;
  readonly bus: DomainEventBus;
  readonly fanOut: FanOut;
  readonly consumers: readonly Consumer[];
  readonly api: ProducerApi;
}

/**
 * One dashboard for the whole pipeline (the storage widgets of seed 003, then the stream, bus,
 * consumers, dead-letter queues and API) and the alarms, all notifying one encrypted SNS topic.
 *
 * Alarm thresholds come from `pipeline.alarms`: write latency p99 and read latency p95 per table for
 * `evaluationPeriods` consecutive periods; any throttling; iterator age; any dead letter; failed rule
 * invocations; fan-out errors; set-aside records.
 */
export class PipelineMonitoring extends Construct {
  readonly topic: Topic;
  readonly topicKey: Key;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { pipeline, stage, tables, fanOut, consumers, api } = props;
    const thresholds = pipeline.alarms;
    const period = Duration.seconds(thresholds.periodSeconds);

    this.topicKey = new Key(this, "TopicKey", {
      description: `${pipeline.name} ${stage.stage}: encryption of the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: stage.removalPolicy,
    });
    // CloudWatch publishes to an encrypted topic only when the key lets it.
    this.topicKey.grant(
      new ServicePrincipal("cloudwatch.amazonaws.com"),
      "kms:Decrypt",
      "kms:GenerateDataKey",
    );
    this.topic = new Topic(this, "AlarmTopic", {
      topicName: stageName(stage.stage, `${pipeline.name}-alarms`),
      displayName: `${pipeline.name} ${stage.stage} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });

    const dynamo = (metricName: string, tableName: string, statistic: string, operation?: string) =>
      new Metric({
        namespace: "AWS/DynamoDB",
        metricName,
        dimensionsMap: { TableName: tableName, ...(operation === undefined ? {} : { Operation: operation }) },
        statistic,
        period,
      });
    const labelled = (metric: Metric) =>
      metric.with({
        label: [metric.dimensions?.TableName, metric.dimensions?.Operation, metric.statistic]
          .filter((part) => part !== undefined)
          .join(" "),
      });
    const account = (metricName: string, statistic = "Maximum") =>
      new Metric({ namespace: "AWS/DynamoDB", metricName, statistic, period });
    const fanOutMetric = (metricName: (typeof FAN_OUT_METRICS)[number], statistic = "Sum") =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: "fan-out" },
        statistic,
        period,
      });
    const ruleMetric = (metricName: string, rule: string, label?: string) =>
      new Metric({
        namespace: "AWS/Events",
        metricName,
        dimensionsMap: { EventBusName: props.bus.busName, RuleName: rule },
        statistic: "Sum",
        period,
        ...(label === undefined ? {} : { label }),
      });
    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
    ): Alarm => {
      const a = new Alarm(this, alarmId, {
        alarmName: stageName(stage.stage, `${pipeline.name}-${alarmId}`),
        alarmDescription: `${description} See docs/runbook.md#${alarmId.split("-")[0]!.toLowerCase()}.`,
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new SnsAction(this.topic));
      a.addOkAction(new SnsAction(this.topic));
      this.alarms.push(a);
      return a;
    };

    // Storage (seed 003's alarms, for every table).
    const tableNames = tables.entries().map(([key]) => [key, tables.physicalName(key)] as const);
    for (const [key, name] of tableNames) {
      alarm(
        `WriteLatency-${key}`,
        `${name}: PutItem latency p99 above ${thresholds.writeLatencyP99Ms} ms for ${thresholds.evaluationPeriods} consecutive periods.`,
        dynamo("SuccessfulRequestLatency", name, "p99", "PutItem"),
        thresholds.writeLatencyP99Ms,
        thresholds.evaluationPeriods,
      );
      alarm(
        `ReadLatency-${key}`,
        `${name}: GetItem or Query latency p95 above ${thresholds.readLatencyP95Ms} ms for ${thresholds.evaluationPeriods} consecutive periods.`,
        new MathExpression({
          expression: "MAX([getItem, query])",
          usingMetrics: {
            getItem: dynamo("SuccessfulRequestLatency", name, "p95", "GetItem"),
            query: dynamo("SuccessfulRequestLatency", name, "p95", "Query"),
          },
          period,
          label: `${name} read latency p95`,
        }),
        thresholds.readLatencyP95Ms,
        thresholds.evaluationPeriods,
      );
      alarm(
        `Throttles-${key}`,
        `${name}: requests were throttled.`,
        new MathExpression({
          expression: "reads + writes",
          usingMetrics: {
            reads: dynamo("ReadThrottleEvents", name, "Sum"),
            writes: dynamo("WriteThrottleEvents", name, "Sum"),
          },
          period,
          label: `${name} throttle events`,
        }),
        0,
        1,
      );
    }

    // Stream → fan-out → bus.
    const fanOutFn = fanOut.fn.function;
    alarm(
      "IteratorAge-FanOut",
      `Fan-out is more than ${thresholds.iteratorAgeMs} ms behind the source streams (records expire after 24 h).`,
      fanOutFn.metric("IteratorAge", { statistic: "Maximum", period }),
      thresholds.iteratorAgeMs,
      thresholds.evaluationPeriods,
    );
    alarm("Errors-FanOut", "Fan-out invocations failed.", fanOutFn.metricErrors({ period }), 0, 1);
    alarm(
      "SetAside-FanOut",
      "Records or events were set aside for an operator (redrive with npm run redrive).",
      fanOutMetric("SetAsideRecords"),
      0,
      1,
    );

    // Rules, consumers and dead letters.
    const queues: [string, Queue][] = [["fan-out", fanOut.onFailureQueue]];
    for (const consumer of consumers) {
      const name = consumer.node.id;
      alarm(
        `FailedInvocations-${name}`,
        `Rule ${consumer.ruleName}: EventBridge gave up delivering events to ${name}.`,
        ruleMetric("FailedInvocations", consumer.ruleName),
        0,
        1,
      );
      queues.push([name, consumer.deadLetterQueue]);
    }
    for (const [name, queue] of queues) {
      alarm(
        `DeadLetters-${name}`,
        `The dead-letter queue of ${name} holds messages.`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", period }),
        0,
        1,
      );
    }

    // The dashboard.
    const perTable = (f: (name: string) => Metric[]) =>
      tableNames.flatMap(([, name]) => f(name).map(labelled));
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
      new GraphWidget({ title, left, right, width, height: 6 });
    const ruleNames = consumers.map((c) => c.ruleName);
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: stageName(stage.stage, pipeline.name),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${pipeline.name} (${stage.stage})\nStorage: DynamoDB tables ${tableNames.map(([, n]) => `\`${n}\``).join(", ")}. Runbook: docs/runbook.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        WIDGETS.putItemLatency,
        perTable((n) =>
          ["Average", "p95", "p99"].map((s) => dynamo("SuccessfulRequestLatency", n, s, "PutItem")),
        ),
      ),
      graph(
        WIDGETS.readLatency,
        perTable((n) => ["GetItem", "Query"].map((op) => dynamo("SuccessfulRequestLatency", n, "p95", op))),
      ),
      graph(
        WIDGETS.capacity,
        perTable((n) => [dynamo("ConsumedReadCapacityUnits", n, "Sum")]),
        perTable((n) => [dynamo("ConsumedWriteCapacityUnits", n, "Sum")]),
      ),
      graph(
        WIDGETS.throttles,
        perTable((n) => [dynamo("ReadThrottleEvents", n, "Sum"), dynamo("WriteThrottleEvents", n, "Sum")]),
        [account("UserErrors", "Sum"), account("SystemErrors", "Sum")],
      ),
      graph(WIDGETS.limits, [
        account("AccountMaxReads"),
        account("AccountMaxWrites"),
        account("AccountMaxTableLevelReads"),
        account("AccountMaxTableLevelWrites"),
        account("AccountProvisionedReadCapacityUtilization"),
        account("AccountProvisionedWriteCapacityUtilization"),
      ]),
      graph(
        WIDGETS.iteratorAge,
        [fanOutFn.metric("IteratorAge", { statistic: "Maximum", period, label: "IteratorAge max (ms)" })],
        [fanOutMetric("BatchAgeMs", "Maximum")],
      ),
    );
    const mappingMetric = (metricName: string, table: string, uuid: string) =>
      new Metric({
        namespace: "AWS/Lambda",
        metricName,
        dimensionsMap: { EventSourceMappingUUID: uuid },
        statistic: "Sum",
        period,
        label: `${tables.physicalName(table)} ${metricName.replace(/EventCount$/, "")}`,
      });
    this.dashboard.addWidgets(
      graph(
        WIDGETS.sourceRecords,
        fanOut.mappings.flatMap(({ table, eventSource }) =>
          ["PolledEventCount", "FilteredOutEventCount"].map((m) =>
            mappingMetric(m, table, eventSource.eventSourceMappingId),
          ),
        ),
        fanOut.mappings.flatMap(({ table, eventSource }) =>
          ["FailedInvokeEventCount", "DroppedEventCount"].map((m) =>
            mappingMetric(m, table, eventSource.eventSourceMappingId),
          ),
        ),
        24,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        WIDGETS.fanOutErrors,
        [fanOutFn.metricErrors({ period }), fanOutFn.metricThrottles({ period })],
        [fanOutFn.metricInvocations({ period })],
      ),
      graph(WIDGETS.fanOutThroughput, [fanOutMetric("RecordsIn"), fanOutMetric("EventsOut")]),
      graph(WIDGETS.failedEntries, [fanOutMetric("FailedEntries")]),
      graph(WIDGETS.setAside, [fanOutMetric("SetAsideRecords")]),
      graph(
        WIDGETS.ruleInvocations,
        ruleNames.map((r) => ruleMetric("Invocations", r, r)),
      ),
      graph(
        WIDGETS.failedRuleInvocations,
        ruleNames.map((r) => ruleMetric("FailedInvocations", r, r)),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        WIDGETS.consumerErrors,
        consumers.map((c) => c.fn.function.metricErrors({ period, label: c.node.id })),
      ),
      graph(
        WIDGETS.consumerDuration,
        consumers.map((c) =>
          c.fn.function.metricDuration({ period, statistic: "p99", label: `${c.node.id} p99` }),
        ),
      ),
      graph(
        WIDGETS.deadLetters,
        queues.map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", period, label: name }),
        ),
      ),
      graph(WIDGETS.apiLatency, [
        api.httpApi.metricLatency({ statistic: "p50", period }),
        api.httpApi.metricLatency({ statistic: "p99", period }),
        api.httpApi.metricIntegrationLatency({ statistic: "p99", period }),
      ]),
      graph(
        WIDGETS.apiErrors,
        [api.httpApi.metricClientError({ period }), api.httpApi.metricServerError({ period })],
        [api.httpApi.metricCount({ period })],
      ),
      new AlarmStatusWidget({ title: WIDGETS.alarms, alarms: this.alarms, width: 8, height: 6 }),
    );
  }
}
