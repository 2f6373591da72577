import { FanOutMetrics } from "#schemas/contracts.ts";
import type { AlarmThresholds } from "./declaration.ts";

/**
 * The alarms and dashboard as plain data: which metric each reads (namespace, name, dimensions,
 * statistic), thresholds and periods, widget titles and layout. The CDK app renders them as
 * CloudWatch alarms and a dashboard; a local mirror can render the same data.
 *
 * Values that only exist once deployed (a table's stage-prefixed name, a function's or queue's
 * generated name, a mapping's UUID) are references ({@link Ref}) the renderer resolves.
 */

/** A value the renderer resolves: a resource of the stack, or the stage. */
export type Ref =
  | { readonly ref: "table"; readonly table: string }
  | { readonly ref: "function"; readonly service: string }
  | { readonly ref: "queue"; readonly owner: string }
  | { readonly ref: "mapping"; readonly table: string }
  | { readonly ref: "bus" }
  | { readonly ref: "api" }
  | { readonly ref: "stage" };

/** Text made of literal parts and references, joined without separators. */
export type Text = readonly (string | Ref)[];

/** One CloudWatch metric. */
export interface MetricModel {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string | Ref>>;
  readonly statistic: string;
  /** @default CloudWatch's (the metric's name) */
  readonly label?: Text;
  /** Service of the ripple function that emits it, for metrics in ripple's own namespace. */
  readonly emitter?: string;
}

/** A metric math expression over named metrics. */
export interface ExpressionModel {
  readonly expression: string;
  readonly usingMetrics: Readonly<Record<string, MetricModel>>;
  readonly label: Text;
}

export interface AlarmModel {
  /** Construct id and the suffix of its name (`WriteLatency-pets`); its first part names the runbook section. */
  readonly id: string;
  readonly description: Text;
  readonly metric: MetricModel | ExpressionModel;
  /** The alarm fires when the metric is greater than this. */
  readonly threshold: number;
  /** Consecutive breaching periods needed (all of them). */
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
  /** Missing data never breaches. */
  readonly treatMissingData: "notBreaching";
}

export type WidgetModel =
  | { readonly type: "text"; readonly markdown: Text; readonly width: number; readonly height: number }
  | {
      readonly type: "graph";
      readonly title: string;
      readonly left: readonly MetricModel[];
      readonly right: readonly MetricModel[];
      readonly width: number;
      readonly height: number;
    }
  | { readonly type: "alarmStatus"; readonly title: string; readonly width: number; readonly height: number };

export interface MonitoringModel {
  readonly periodSeconds: number;
  readonly alarms: readonly AlarmModel[];
  readonly dashboard: {
    readonly defaultIntervalHours: number;
    /** Rows of widgets, top to bottom. */
    readonly rows: readonly (readonly WidgetModel[])[];
  };
}

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

/** A function that emits metrics under ripple's namespace (the model's `FunctionModel` fits). */
export interface Emitter {
  readonly service: string;
  readonly metrics: { readonly namespace: string; readonly dimensions: Readonly<Record<string, string>> };
}

/** What the alarms and dashboard are resolved from: parts of the model, structurally. */
export interface MonitoringInputs {
  readonly name: string;
  readonly alarms: AlarmThresholds;
  /** Table keys are what counts. */
  readonly tables: Readonly<Record<string, unknown>>;
  readonly fanOut: Emitter & { readonly sources: readonly { readonly table: string }[] };
  readonly consumers: readonly (Emitter & {
    readonly name: string;
    readonly rule: { readonly name: string };
  })[];
}

const table = (key: string): Ref => ({ ref: "table", table: key });

/** Metric factories per service, in the shape of cdk-monitoring-constructs' `*MetricFactory`. */
export const DynamoMetrics = {
  table: (key: string, metricName: string, statistic: string, operation?: string): MetricModel => ({
    namespace: "AWS/DynamoDB",
    metricName,
    dimensions: { TableName: table(key), ...(operation === undefined ? {} : { Operation: operation }) },
    statistic,
    label: [table(key), ...[operation, statistic].filter((p) => p !== undefined).map((p) => ` ${p}`)],
  }),
  account: (metricName: string, statistic = "Maximum"): MetricModel => ({
    namespace: "AWS/DynamoDB",
    metricName,
    dimensions: {},
    statistic,
  }),
};

export const LambdaMetrics = {
  fn: (service: string, metricName: string, statistic: string, label?: Text): MetricModel => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: { ref: "function", service } },
    statistic,
    ...(label === undefined ? {} : { label }),
  }),
  mapping: (tableKey: string, metricName: string): MetricModel => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { EventSourceMappingUUID: { ref: "mapping", table: tableKey } },
    statistic: "Sum",
    label: [table(tableKey), ` ${metricName.replace(/EventCount$/, "")}`],
  }),
};

export const RippleMetrics = {
  /** A metric a ripple function emits (EMF), with the dimension it emits it under. */
  emitted: (emitter: Emitter, metricName: string, statistic = "Sum"): MetricModel => ({
    namespace: emitter.metrics.namespace,
    metricName,
    dimensions: { ...emitter.metrics.dimensions },
    statistic,
    emitter: emitter.service,
  }),
};

export const EventsMetrics = {
  rule: (metricName: string, ruleName: string, label?: string): MetricModel => ({
    namespace: "AWS/Events",
    metricName,
    dimensions: { EventBusName: { ref: "bus" }, RuleName: ruleName },
    statistic: "Sum",
    ...(label === undefined ? {} : { label: [label] }),
  }),
};

export const SqsMetrics = {
  visible: (owner: string, label?: string): MetricModel => ({
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: { ref: "queue", owner } },
    statistic: "Maximum",
    ...(label === undefined ? {} : { label: [label] }),
  }),
};

export const ApiMetrics = {
  api: (metricName: string, statistic: string): MetricModel => ({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: { ApiId: { ref: "api" } },
    statistic,
  }),
};

/** A metric without its label: an alarm renders it as a plain metric, not as metric math. */
function plain(m: MetricModel): MetricModel {
  const { label: _label, ...rest } = m;
  return rest;
}

/** Seed 003's storage alarms, for every table. */
function tableAlarms(key: string, t: AlarmThresholds): AlarmModel[] {
  const base = { periodSeconds: t.periodSeconds, treatMissingData: "notBreaching" as const };
  const latency = (op: string, statistic: string) =>
    DynamoMetrics.table(key, "SuccessfulRequestLatency", statistic, op);
  return [
    {
      ...base,
      id: `WriteLatency-${key}`,
      description: [
        table(key),
        `: PutItem latency p99 above ${t.writeLatencyP99Ms} ms for ${t.evaluationPeriods} consecutive periods.`,
      ],
      metric: plain(latency("PutItem", "p99")),
      threshold: t.writeLatencyP99Ms,
      evaluationPeriods: t.evaluationPeriods,
    },
    {
      ...base,
      id: `ReadLatency-${key}`,
      description: [
        table(key),
        `: GetItem or Query latency p95 above ${t.readLatencyP95Ms} ms for ${t.evaluationPeriods} consecutive periods.`,
      ],
      metric: {
        expression: "MAX([getItem, query])",
        usingMetrics: { getItem: plain(latency("GetItem", "p95")), query: plain(latency("Query", "p95")) },
        label: [table(key), " read latency p95"],
      },
      threshold: t.readLatencyP95Ms,
      evaluationPeriods: t.evaluationPeriods,
    },
    {
      ...base,
      id: `Throttles-${key}`,
      description: [table(key), ": requests were throttled."],
      metric: {
        expression: "reads + writes",
        usingMetrics: {
          reads: plain(DynamoMetrics.table(key, "ReadThrottleEvents", "Sum")),
          writes: plain(DynamoMetrics.table(key, "WriteThrottleEvents", "Sum")),
        },
        label: [table(key), " throttle events"],
      },
      threshold: 0,
      evaluationPeriods: 1,
    },
  ];
}

/** The stream, fan-out, rule and dead-letter alarms. */
function pipelineAlarms(m: MonitoringInputs): AlarmModel[] {
  const t = m.alarms;
  const base = { periodSeconds: t.periodSeconds, treatMissingData: "notBreaching" as const };
  const fanOut = m.fanOut.service;
  const once = (id: string, description: string, metric: MetricModel): AlarmModel => ({
    ...base,
    id,
    description: [description],
    metric,
    threshold: 0,
    evaluationPeriods: 1,
  });
  return [
    {
      ...base,
      id: "IteratorAge-FanOut",
      description: [
        `Fan-out is more than ${t.iteratorAgeMs} ms behind the source streams (records expire after 24 h).`,
      ],
      metric: LambdaMetrics.fn(fanOut, "IteratorAge", "Maximum"),
      threshold: t.iteratorAgeMs,
      evaluationPeriods: t.evaluationPeriods,
    },
    once("Errors-FanOut", "Fan-out invocations failed.", LambdaMetrics.fn(fanOut, "Errors", "Sum")),
    once(
      "SetAside-FanOut",
      "Records or events were set aside for an operator (redrive with npm run redrive).",
      RippleMetrics.emitted(m.fanOut, FanOutMetrics.setAsideRecords),
    ),
    ...m.consumers.map((c) =>
      once(
        `FailedInvocations-${c.name}`,
        `Rule ${c.rule.name}: EventBridge gave up delivering events to ${c.name}.`,
        EventsMetrics.rule("FailedInvocations", c.rule.name),
      ),
    ),
    // Lambda counts the records it gave up and wrote to the on-failure bucket as dropped events.
    // The bucket's own metrics come daily (NumberOfObjects) or paid per bucket (PutRequests), so
    // the mapping's count is what is watched.
    ...m.fanOut.sources.map((s) => ({
      ...base,
      id: `GivenUp-${s.table}`,
      description: [
        table(s.table),
        ": the fan-out gave up on stream records (retries or record age exhausted); they are in the on-failure bucket, redrive them with npm run redrive -- --bucket.",
      ],
      metric: plain(LambdaMetrics.mapping(s.table, "DroppedEventCount")),
      threshold: 0,
      evaluationPeriods: 1,
    })),
    ...m.consumers
      .map((c) => c.name)
      .map((owner) =>
        once(
          `DeadLetters-${owner}`,
          `The dead-letter queue of ${owner} holds messages.`,
          SqsMetrics.visible(owner),
        ),
      ),
  ];
}

const graph = (
  title: string,
  left: readonly MetricModel[],
  right: readonly MetricModel[] = [],
  width = 8,
): WidgetModel => ({ type: "graph", title, left, right, width, height: 6 });

/** The storage row: latency, capacity, throttles and limits of every table, and the iterator age. */
function storageRow(m: MonitoringInputs): WidgetModel[] {
  const keys = Object.keys(m.tables);
  const perTable = (f: (key: string) => MetricModel[]) => keys.flatMap(f);
  const latency = (key: string, op: string, statistic: string) =>
    DynamoMetrics.table(key, "SuccessfulRequestLatency", statistic, op);
  const account = DynamoMetrics.account;
  return [
    graph(
      WIDGETS.putItemLatency,
      perTable((k) => ["Average", "p95", "p99"].map((s) => latency(k, "PutItem", s))),
    ),
    graph(
      WIDGETS.readLatency,
      perTable((k) => ["GetItem", "Query"].map((op) => latency(k, op, "p95"))),
    ),
    graph(
      WIDGETS.capacity,
      perTable((k) => [DynamoMetrics.table(k, "ConsumedReadCapacityUnits", "Sum")]),
      perTable((k) => [DynamoMetrics.table(k, "ConsumedWriteCapacityUnits", "Sum")]),
    ),
    graph(
      WIDGETS.throttles,
      perTable((k) => [
        DynamoMetrics.table(k, "ReadThrottleEvents", "Sum"),
        DynamoMetrics.table(k, "WriteThrottleEvents", "Sum"),
      ]),
      [account("UserErrors", "Sum"), account("SystemErrors", "Sum")],
    ),
    graph(
      WIDGETS.limits,
      [
        "AccountMaxReads",
        "AccountMaxWrites",
        "AccountMaxTableLevelReads",
        "AccountMaxTableLevelWrites",
        "AccountProvisionedReadCapacityUtilization",
        "AccountProvisionedWriteCapacityUtilization",
      ].map((name) => account(name)),
    ),
    graph(
      WIDGETS.iteratorAge,
      [LambdaMetrics.fn(m.fanOut.service, "IteratorAge", "Maximum", ["IteratorAge max (ms)"])],
      [RippleMetrics.emitted(m.fanOut, FanOutMetrics.batchAgeMs, "Maximum")],
    ),
  ];
}

/** Fan-out and bus widgets. */
function fanOutRow(m: MonitoringInputs): WidgetModel[] {
  const fanOut = m.fanOut.service;
  const own = (name: string) => RippleMetrics.emitted(m.fanOut, name);
  const rules = m.consumers.map((c) => c.rule.name);
  return [
    graph(
      WIDGETS.fanOutErrors,
      [LambdaMetrics.fn(fanOut, "Errors", "Sum"), LambdaMetrics.fn(fanOut, "Throttles", "Sum")],
      [LambdaMetrics.fn(fanOut, "Invocations", "Sum")],
    ),
    graph(WIDGETS.fanOutThroughput, [own(FanOutMetrics.recordsIn), own(FanOutMetrics.eventsOut)]),
    graph(WIDGETS.failedEntries, [own(FanOutMetrics.failedEntries)]),
    graph(WIDGETS.setAside, [own(FanOutMetrics.setAsideRecords)]),
    graph(
      WIDGETS.ruleInvocations,
      rules.map((r) => EventsMetrics.rule("Invocations", r, r)),
    ),
    graph(
      WIDGETS.failedRuleInvocations,
      rules.map((r) => EventsMetrics.rule("FailedInvocations", r, r)),
    ),
  ];
}

/** Consumer, queue and API widgets, and the alarms' status. */
function consumerRow(m: MonitoringInputs): WidgetModel[] {
  const owners = m.consumers.map((c) => c.name);
  return [
    graph(
      WIDGETS.consumerErrors,
      m.consumers.map((c) => LambdaMetrics.fn(c.service, "Errors", "Sum", [c.name])),
    ),
    graph(
      WIDGETS.consumerDuration,
      m.consumers.map((c) => LambdaMetrics.fn(c.service, "Duration", "p99", [`${c.name} p99`])),
    ),
    graph(
      WIDGETS.deadLetters,
      owners.map((o) => SqsMetrics.visible(o, o)),
    ),
    graph(WIDGETS.apiLatency, [
      ApiMetrics.api("Latency", "p50"),
      ApiMetrics.api("Latency", "p99"),
      ApiMetrics.api("IntegrationLatency", "p99"),
    ]),
    graph(
      WIDGETS.apiErrors,
      [ApiMetrics.api("4xx", "Sum"), ApiMetrics.api("5xx", "Sum")],
      [ApiMetrics.api("Count", "SampleCount")],
    ),
    { type: "alarmStatus", title: WIDGETS.alarms, width: 8, height: 6 },
  ];
}

/**
 * Resolves the alarms and dashboard of a pipeline: seed 003's latency and throttling alarms per
 * table, the iterator age, fan-out errors and set-aside records, failed rule invocations and dead
 * letters; the dashboard's rows from storage to the API.
 */
export function resolveMonitoring(m: MonitoringInputs): MonitoringModel {
  const keys = Object.keys(m.tables);
  const header: Text = [
    `# ${m.name} (`,
    { ref: "stage" },
    ")\nStorage: DynamoDB tables ",
    ...keys.flatMap((k, i) => [...(i === 0 ? [] : [", "]), "`", table(k), "`"]),
    ". Runbook: docs/runbook.md.",
  ];
  return {
    periodSeconds: m.alarms.periodSeconds,
    alarms: [...keys.flatMap((k) => tableAlarms(k, m.alarms)), ...pipelineAlarms(m)],
    dashboard: {
      defaultIntervalHours: 3,
      rows: [
        [{ type: "text", markdown: header, width: 24, height: 2 }],
        storageRow(m),
        [
          graph(
            WIDGETS.sourceRecords,
            m.fanOut.sources.flatMap((s) =>
              ["PolledEventCount", "FilteredOutEventCount"].map((n) => LambdaMetrics.mapping(s.table, n)),
            ),
            m.fanOut.sources.flatMap((s) =>
              ["FailedInvokeEventCount", "DroppedEventCount"].map((n) => LambdaMetrics.mapping(s.table, n)),
            ),
            24,
          ),
        ],
        fanOutRow(m),
        consumerRow(m),
      ],
    },
  };
}

/** How a renderer resolves the model's references: a stack's resources, or the local runtime's. */
export interface RefResolver {
  /** Physical name of a table in this stage. */
  readonly table: (key: string) => string;
  /** Name of a function, by service. */
  readonly functionName: (service: string) => string;
  /** Name of a dead-letter queue, by owner (`fan-out` or a consumer). */
  readonly queueName: (owner: string) => string;
  /** UUID of the event source mapping of a source table. */
  readonly mappingId: (table: string) => string;
  readonly busName: string;
  readonly apiId: string;
  readonly stage: string;
}

/** The value of a reference. */
export function resolveRef(ref: Ref, r: RefResolver): string {
  switch (ref.ref) {
    case "table":
      return r.table(ref.table);
    case "function":
      return r.functionName(ref.service);
    case "queue":
      return r.queueName(ref.owner);
    case "mapping":
      return r.mappingId(ref.table);
    case "bus":
      return r.busName;
    case "api":
      return r.apiId;
    case "stage":
      return r.stage;
  }
}

/** Text with its references resolved. */
export function renderText(text: Text, r: RefResolver): string {
  return text.map((part) => (typeof part === "string" ? part : resolveRef(part, r))).join("");
}
