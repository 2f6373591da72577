import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readSetAside } from "#commons/set-aside.ts";
import { type SetAsideItem, SetAsideKinds } from "#schemas/set-aside.ts";
import { functionsOf, type PipelineModel } from "../../model.ts";
import {
  type AlarmModel,
  type ExpressionModel,
  type MetricModel,
  type RefResolver,
  renderText,
  resolveRef,
  type WidgetModel,
} from "../../monitoring-model.ts";
import type { DynamoDbSample } from "./dynamodb-proxy.ts";
import { isSupportedStatistic, type MetricId, MetricsStore } from "./store.ts";

/** The stage the local runtime's alarms and dashboard are named for. */
export const LOCAL_STAGE = "local";
/**
 * Period of the local alarms and charts. CloudWatch's is the model's (300 s); locally a run
 * lasts minutes, so the declared number of periods is evaluated over periods of this length.
 */
export const LOCAL_PERIOD_SECONDS = 10;
/** How often the set-aside table is read for dead-letter depths and the operator's list. */
const SET_ASIDE_SAMPLE_MS = 2000;

export type AlarmStateValue = "OK" | "ALARM";

export interface LocalAlarm {
  /** `local-ripple-WriteLatency-parkingData`: the CDK app's name with the stage `local`. */
  readonly name: string;
  readonly id: string;
  readonly description: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** When it entered its state (ISO). */
  readonly since: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** CloudWatch's period; evaluated locally over {@link LOCAL_PERIOD_SECONDS}. */
  readonly periodSeconds: number;
  readonly localPeriodSeconds: number;
  /** What it reads, e.g. `AWS/DynamoDB SuccessfulRequestLatency p99` or the expression. */
  readonly reads: string;
  /** Every metric it reads, as `namespace metricName statistic`, expression inputs in their order. */
  readonly metrics: readonly string[];
  /** The values of the periods it last evaluated, oldest first (null: no data). */
  readonly values: readonly (number | null)[];
}

export interface SeriesView {
  readonly label: string;
  readonly axis: "left" | "right";
  /** `namespace metricName statistic`, as the CloudWatch widget reads it. */
  readonly metric: string;
  readonly values: readonly (number | null)[];
}

export type WidgetView =
  | { readonly type: "text"; readonly markdown: string; readonly width: number }
  | { readonly type: "graph"; readonly title: string; readonly width: number; readonly series: SeriesView[] }
  | { readonly type: "alarmStatus"; readonly title: string; readonly width: number };

/** What `GET /local/monitoring` answers. */
export interface MonitoringView {
  readonly stage: string;
  readonly periodSeconds: number;
  readonly localPeriodSeconds: number;
  /** Epoch ms of the first period of every series; one value per period from there. */
  readonly start: number;
  readonly alarms: readonly LocalAlarm[];
  readonly rows: readonly (readonly WidgetView[])[];
  /** Per-consumer throughput and lag, over the chart window. */
  readonly consumers: readonly ConsumerView[];
  /** Per-table successful reads and writes per period, over the chart window. */
  readonly tables: readonly TableView[];
  /** Per-source stream iterator age (maximum per period, ms) and records polled. */
  readonly sources: readonly SourceView[];
}

export interface SourceView {
  readonly table: string;
  readonly iteratorAgeMs: readonly (number | null)[];
  readonly polled: readonly (number | null)[];
}

export interface TableView {
  readonly table: string;
  readonly reads: readonly (number | null)[];
  readonly writes: readonly (number | null)[];
}

/** DynamoDB operations by what they do to a table, for the per-table rates. */
const READ_OPERATIONS = ["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"];
const WRITE_OPERATIONS = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];

export interface ConsumerView {
  readonly name: string;
  readonly rule: string;
  /** Invocations per period, oldest first. */
  readonly invocations: readonly (number | null)[];
  readonly errors: number;
  /** Events accepted and not yet run to the end (queued, running or waiting for a retry). */
  readonly lag: number;
  readonly deadLetters: number;
}

export interface SetAsideView {
  readonly id: string;
  readonly kind: string;
  readonly reasonCode: string;
  readonly reason: string;
  readonly table: string;
  readonly key: string;
  readonly setAsideAt: string;
  /** Who gave up on it: the target for dead letters, else the fan-out or the consumer. */
  readonly owner: string;
  /** Whether the page's redrive can send it back (stream-batch failures hold no records). */
  readonly redrivable: boolean;
}

/** A metric read the way the model names it: an id in the store and a statistic. */
interface ResolvedMetric {
  readonly id: MetricId;
  readonly statistic: string;
}

/** The local values of the model's references. */
export function localResolver(model: PipelineModel): RefResolver {
  const functions = functionsOf(model);
  return {
    table: (key) => {
      const t = model.tables[key];
      if (t === undefined)
        throw new Error(`the monitoring model names table "${key}", which the model lacks`);
      return t.tableName;
    },
    functionName: (service) => {
      const fn = functions.find((f) => f.service === service);
      if (fn === undefined)
        throw new Error(`the monitoring model names function "${service}", which the model lacks`);
      return fn.functionName;
    },
    queueName: (owner) => `${model.name}-${owner}-dead-letters`,
    mappingId: (table) => `${model.name}-${table}-mapping`,
    busName: model.bus.name,
    apiId: LOCAL_STAGE,
    stage: LOCAL_STAGE,
  };
}

/** Evaluates the two shapes of expression the model uses: `MAX([a, b])` and `a + b`. */
function expressionOf(e: ExpressionModel): (values: Record<string, number | null>) => number | null {
  const max = /^MAX\(\[([\w\s,]+)\]\)$/.exec(e.expression);
  const sum = /^(\w+(?:\s*\+\s*\w+)+)$/.exec(e.expression);
  const names = max !== null ? max[1]!.split(",") : sum !== null ? sum[1]!.split("+") : undefined;
  if (names === undefined) {
    throw new Error(
      `the local alarms evaluate MAX([a, b]) and a + b expressions only (given ${JSON.stringify(e.expression)}); write the alarm's expression in one of these shapes or teach infra/local/metrics/monitor.ts the new one`,
    );
  }
  const ids = names.map((n) => n.trim());
  for (const id of ids) {
    if (e.usingMetrics[id] === undefined)
      throw new Error(`expression ${JSON.stringify(e.expression)} names "${id}", which usingMetrics lacks`);
  }
  return (values) => {
    const present = ids.map((id) => values[id]).filter((v): v is number => v !== null && v !== undefined);
    // CloudWatch drops missing points from metric math; nothing present is nothing.
    if (present.length === 0) return null;
    return max !== null ? Math.max(...present) : present.reduce((a, b) => a + b, 0);
  };
}

const ms = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The local mirror of the CloudWatch dashboard and alarms, from the same model: a metrics store
 * fed by the handlers' EMF lines and by what the runtime measures where AWS would (DynamoDB
 * requests, invocations, deliveries, dead letters, API requests), every alarm of the model
 * evaluated under its name with the stage `local`, and the widgets' series for the page.
 */
export class LocalMonitoring {
  readonly store: MetricsStore;
  readonly refs: RefResolver;
  private readonly alarmStates = new Map<string, LocalAlarm>();
  private readonly tableKeyByName: Map<string, string>;
  private readonly running = new Map<string, number>();
  private setAsideItems: SetAsideItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSample = 0;
  private sampling = false;

  constructor(
    private readonly model: PipelineModel,
    private readonly props: {
      readonly logger: Pick<Console, "info" | "warn">;
      readonly setAside?: { readonly dynamodb: DynamoDBClient; readonly tableName: string };
      /** Events accepted and not finished, per consumer. */
      readonly pending?: (consumer: string) => number;
      readonly now?: () => number;
      readonly localPeriodSeconds?: number;
    },
  ) {
    const period = props.localPeriodSeconds;
    if (period !== undefined && !(Number.isInteger(period) && period >= 1 && period <= 300)) {
      throw new Error(
        `the local alarm period must be whole seconds from 1 to 300, e.g. 10 (given ${JSON.stringify(period)}); CloudWatch's own is the model's ${model.monitoring.periodSeconds} s`,
      );
    }
    this.store = new MetricsStore(props.now);
    this.refs = localResolver(model);
    this.tableKeyByName = new Map(Object.entries(model.tables).map(([key, t]) => [t.tableName, key]));
    const started = new Date(this.now()).toISOString();
    for (const alarm of model.monitoring.alarms) {
      // Refuse at start what could not be evaluated later.
      for (const m of this.metricsOf(alarm)) {
        if (!isSupportedStatistic(m.statistic))
          throw new Error(
            `alarm ${alarm.id}: statistic "${m.statistic}" is not one the local store computes`,
          );
      }
      if ("expression" in alarm.metric) expressionOf(alarm.metric);
      this.alarmStates.set(alarm.id, {
        name: this.alarmName(alarm),
        id: alarm.id,
        description: renderText(alarm.description, this.refs),
        state: "OK",
        reason: "no data yet (missing data does not breach)",
        since: started,
        threshold: alarm.threshold,
        evaluationPeriods: alarm.evaluationPeriods,
        periodSeconds: alarm.periodSeconds,
        localPeriodSeconds: this.period,
        reads:
          "expression" in alarm.metric
            ? alarm.metric.expression
            : `${alarm.metric.namespace} ${alarm.metric.metricName} ${alarm.metric.statistic}`,
        metrics: this.metricsOf(alarm).map((m) => `${m.namespace} ${m.metricName} ${m.statistic}`),
        values: [],
      });
    }
  }

  private now(): number {
    return (this.props.now ?? Date.now)();
  }

  get period(): number {
    return this.props.localPeriodSeconds ?? LOCAL_PERIOD_SECONDS;
  }

  alarmName(alarm: AlarmModel): string {
    return `${LOCAL_STAGE}-${this.model.name}-${alarm.id}`;
  }

  private metricsOf(alarm: AlarmModel): MetricModel[] {
    return "expression" in alarm.metric ? Object.values(alarm.metric.usingMetrics) : [alarm.metric];
  }

  private resolve(m: MetricModel): ResolvedMetric {
    return {
      id: {
        namespace: m.namespace,
        metricName: m.metricName,
        dimensions: Object.fromEntries(
          Object.entries(m.dimensions).map(([k, v]) => [
            k,
            typeof v === "string" ? v : resolveRef(v, this.refs),
          ]),
        ),
      },
      statistic: m.statistic,
    };
  }

  private put(
    namespace: string,
    metricName: string,
    dimensions: Record<string, string>,
    value: number,
  ): void {
    this.store.put({ namespace, metricName, dimensions }, value, this.now());
  }

  // What AWS measures, recorded where the runtime sees it happen.

  /** A DynamoDB request answered (through the proxy in front of DynamoDB Local). */
  dynamodb(sample: DynamoDbSample): void {
    const ns = "AWS/DynamoDB";
    if (sample.status >= 500) this.put(ns, "SystemErrors", {}, 1);
    else if (sample.status >= 400) this.put(ns, "UserErrors", {}, 1);
    for (const tableName of sample.tables) {
      const throttled =
        sample.errorType === "ProvisionedThroughputExceededException" ||
        sample.errorType === "ThrottlingException";
      if (throttled) {
        const write = /Put|Update|Delete|Write/.test(sample.operation);
        this.put(ns, write ? "WriteThrottleEvents" : "ReadThrottleEvents", { TableName: tableName }, 1);
      }
      if (sample.status === 200) {
        this.put(
          ns,
          "SuccessfulRequestLatency",
          { TableName: tableName, Operation: sample.operation },
          ms(sample.latencyMs),
        );
      }
    }
  }

  /** Whether a physical table name is one of the model's (requests of tests to other tables are not). */
  knowsTable(tableName: string): boolean {
    return this.tableKeyByName.has(tableName);
  }

  /** Wraps one run of a function: Invocations, Errors, Duration and ConcurrentExecutions, as Lambda reports them. */
  async invocation<T>(functionName: string, run: () => Promise<T>): Promise<T> {
    const dims = { FunctionName: functionName };
    const concurrent = (this.running.get(functionName) ?? 0) + 1;
    this.running.set(functionName, concurrent);
    this.put("AWS/Lambda", "Invocations", dims, 1);
    this.put("AWS/Lambda", "ConcurrentExecutions", dims, concurrent);
    const started = performance.now();
    try {
      const result = await run();
      this.put("AWS/Lambda", "Errors", dims, 0);
      return result;
    } catch (error) {
      this.put("AWS/Lambda", "Errors", dims, 1);
      throw error;
    } finally {
      this.put("AWS/Lambda", "Duration", dims, ms(performance.now() - started));
      this.running.set(functionName, (this.running.get(functionName) ?? 1) - 1);
    }
  }

  /** A stream batch handed to the fan-out: its size per mapping and the iterator age. */
  streamBatch(
    tableKey: string,
    records: number,
    oldestRecordAgeMs: number | undefined,
    failed: boolean,
  ): void {
    const mapping = { EventSourceMappingUUID: this.refs.mappingId(tableKey) };
    this.put("AWS/Lambda", "PolledEventCount", mapping, records);
    this.put("AWS/Lambda", "FilteredOutEventCount", mapping, 0);
    if (failed) this.put("AWS/Lambda", "FailedInvokeEventCount", mapping, records);
    if (oldestRecordAgeMs !== undefined) {
      // Lambda reports it per function (what the alarm reads) and per event source mapping.
      this.put(
        "AWS/Lambda",
        "IteratorAge",
        { FunctionName: this.model.fanOut.functionName },
        oldestRecordAgeMs,
      );
      this.put("AWS/Lambda", "IteratorAge", mapping, oldestRecordAgeMs);
    }
  }

  /** A rule invoked its target (`failed`: the invocation was refused). */
  ruleInvocation(ruleName: string, failed: boolean): void {
    const dims = { EventBusName: this.model.bus.name, RuleName: ruleName };
    this.put("AWS/Events", failed ? "FailedInvocations" : "Invocations", dims, 1);
  }

  /** An API request answered. */
  apiRequest(status: number, latencyMs: number, integrationLatencyMs: number): void {
    const dims = { ApiId: this.refs.apiId };
    this.put("AWS/ApiGateway", "Count", dims, 1);
    this.put("AWS/ApiGateway", "4xx", dims, status >= 400 && status < 500 ? 1 : 0);
    this.put("AWS/ApiGateway", "5xx", dims, status >= 500 ? 1 : 0);
    this.put("AWS/ApiGateway", "Latency", dims, ms(latencyMs));
    this.put("AWS/ApiGateway", "IntegrationLatency", dims, ms(integrationLatencyMs));
  }

  // The set-aside table: dead-letter depths and the operator's list.

  /** Who owns a set-aside item's queue: fan-out for its own items, else the consumer it failed for. */
  private ownerOf(item: SetAsideItem): string {
    if (item.kind === SetAsideKinds.deadLetter) {
      const c = this.model.consumers.find((c) => c.functionName === item.target || c.name === item.target);
      return c?.name ?? item.target;
    }
    if (item.kind === SetAsideKinds.consumerRejected) return item.consumer;
    return this.model.fanOut.service;
  }

  /** Reads the set-aside table now: queue depths per owner, and the list the page shows. */
  async sampleSetAside(): Promise<void> {
    const source = this.props.setAside;
    if (source === undefined) return;
    const listing = await readSetAside(source.dynamodb, source.tableName);
    this.setAsideItems = listing.items;
    const depth = new Map<string, number>();
    for (const item of listing.items) {
      // In AWS, the fan-out's on-failure queue gets given-up batches and each consumer's queue its dead letters.
      if (item.kind !== SetAsideKinds.deadLetter && item.kind !== SetAsideKinds.streamBatchFailure) continue;
      depth.set(this.ownerOf(item), (depth.get(this.ownerOf(item)) ?? 0) + 1);
    }
    for (const owner of [this.model.fanOut.service, ...this.model.consumers.map((c) => c.name)]) {
      this.put(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: this.refs.queueName(owner) },
        depth.get(owner) ?? 0,
      );
    }
  }

  setAside(): SetAsideView[] {
    return this.setAsideItems.map((item) => {
      const record = item as { key?: unknown; eventId?: string; sequenceNumber?: string };
      return {
        id: item.id,
        kind: item.kind,
        reasonCode: item.reasonCode,
        reason: item.reason,
        table: item.table,
        key:
          record.key !== undefined
            ? JSON.stringify(record.key)
            : (record.eventId ?? record.sequenceNumber ?? ""),
        setAsideAt: item.setAsideAt,
        owner: this.ownerOf(item),
        redrivable: item.kind !== SetAsideKinds.streamBatchFailure,
      };
    });
  }

  // Alarms.

  private seriesOf(m: MetricModel, periods: number, period: number, endSec: number): (number | null)[] {
    const r = this.resolve(m);
    return this.store.query(r.id, r.statistic, period, periods, endSec);
  }

  private alarmValues(alarm: AlarmModel, periods: number, endSec: number): (number | null)[] {
    const metric = alarm.metric;
    if (!("expression" in metric)) return this.seriesOf(metric, periods, this.period, endSec);
    const evaluate = expressionOf(metric);
    const inputs = Object.fromEntries(
      Object.entries(metric.usingMetrics).map(([k, m]) => [
        k,
        this.seriesOf(m, periods, this.period, endSec),
      ]),
    );
    return Array.from({ length: periods }, (_, i) =>
      evaluate(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v[i] ?? null]))),
    );
  }

  /**
   * Evaluates every alarm over its last complete periods, as CloudWatch does: ALARM when all of
   * its evaluation periods breach (greater than the threshold), else OK (missing data does not
   * breach). Logs each change of state.
   */
  evaluate(): void {
    const endSec = Math.floor(this.now() / 1000 / this.period) * this.period;
    for (const alarm of this.model.monitoring.alarms) {
      const before = this.alarmStates.get(alarm.id)!;
      const values = this.alarmValues(alarm, alarm.evaluationPeriods, endSec);
      const breaching = values.every((v) => v !== null && v > alarm.threshold);
      const state: AlarmStateValue = breaching ? "ALARM" : "OK";
      const shown = values
        .map((v) => (v === null ? "no data" : String(Math.round(v * 1000) / 1000)))
        .join(", ");
      const reason = breaching
        ? `the last ${values.length} period(s) of ${this.period} s were above ${alarm.threshold}: ${shown}`
        : values.some((v) => v !== null)
          ? `not every one of the last ${values.length} period(s) was above ${alarm.threshold}: ${shown}`
          : "no data in the evaluated periods (missing data does not breach)";
      const changed = state !== before.state;
      this.alarmStates.set(alarm.id, {
        ...before,
        state,
        reason,
        values,
        since: changed ? new Date(this.now()).toISOString() : before.since,
      });
      if (changed) {
        const line = `alarm ${before.name}: ${before.state} -> ${state}: ${reason}`;
        if (state === "ALARM") this.props.logger.warn(line);
        else this.props.logger.info(line);
      }
    }
  }

  alarms(): LocalAlarm[] {
    return [...this.alarmStates.values()];
  }

  // The dashboard.

  private widgetView(w: WidgetModel, periods: number, period: number, endSec: number): WidgetView {
    switch (w.type) {
      case "text":
        return { type: "text", markdown: renderText(w.markdown, this.refs), width: w.width };
      case "alarmStatus":
        return { type: "alarmStatus", title: w.title, width: w.width };
      case "graph": {
        const series = (axis: "left" | "right") => (m: MetricModel) => ({
          label: m.label === undefined ? `${m.metricName} ${m.statistic}` : renderText(m.label, this.refs),
          axis,
          metric: `${m.namespace} ${m.metricName} ${m.statistic}`,
          values: this.seriesOf(m, periods, period, endSec),
        });
        return {
          type: "graph",
          title: w.title,
          width: w.width,
          series: [...w.left.map(series("left")), ...w.right.map(series("right"))],
        };
      }
    }
  }

  /** The alarms, the dashboard's widgets with their series over the last `minutes`, and the consumers. */
  view(options: { readonly minutes?: number } = {}): MonitoringView {
    const period = this.period;
    const periods = Math.max(1, Math.floor(((options.minutes ?? 10) * 60) / period));
    const endSec = Math.floor(this.now() / 1000 / period) * period + period;
    const consumers = this.model.consumers.map((c) => {
      const sums = (metricName: string) =>
        this.store.query(
          { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: c.functionName } },
          "Sum",
          period,
          periods,
          endSec,
        );
      const invocations = sums("Invocations");
      const errors = sums("Errors");
      return {
        name: c.name,
        rule: c.rule.name,
        invocations,
        errors: errors.reduce<number>((a, b) => a + (b ?? 0), 0),
        lag: this.props.pending?.(c.name) ?? 0,
        deadLetters: this.setAsideItems.filter(
          (i) => i.kind === SetAsideKinds.deadLetter && this.ownerOf(i) === c.name,
        ).length,
      };
    });
    const requests = (tableName: string, operations: readonly string[]) => {
      const per = operations.map((Operation) =>
        this.store.query(
          {
            namespace: "AWS/DynamoDB",
            metricName: "SuccessfulRequestLatency",
            dimensions: { TableName: tableName, Operation },
          },
          "SampleCount",
          period,
          periods,
          endSec,
        ),
      );
      return Array.from({ length: periods }, (_, i) => {
        const present = per.map((p) => p[i]).filter((v): v is number => v !== null && v !== undefined);
        return present.length === 0 ? null : present.reduce((a, b) => a + b, 0);
      });
    };
    const tables = Object.values(this.model.tables).map((t) => ({
      table: t.tableName,
      reads: requests(t.tableName, READ_OPERATIONS),
      writes: requests(t.tableName, WRITE_OPERATIONS),
    }));
    const sources = this.model.fanOut.sources.map((source) => {
      const dimensions = { EventSourceMappingUUID: this.refs.mappingId(source.table) };
      const read = (metricName: string, statistic: string) =>
        this.store.query(
          { namespace: "AWS/Lambda", metricName, dimensions },
          statistic,
          period,
          periods,
          endSec,
        );
      return {
        table: source.tableName,
        iteratorAgeMs: read("IteratorAge", "Maximum"),
        polled: read("PolledEventCount", "Sum"),
      };
    });
    return {
      stage: LOCAL_STAGE,
      periodSeconds: this.model.monitoring.periodSeconds,
      localPeriodSeconds: period,
      start: (endSec - periods * period) * 1000,
      alarms: this.alarms(),
      rows: this.model.monitoring.dashboard.rows.map((row) =>
        row.map((w) => this.widgetView(w, periods, period, endSec)),
      ),
      consumers,
      tables,
      sources,
    };
  }

  /** Evaluates the alarms every second and reads the set-aside table every two, until {@link stop}. */
  start(): void {
    this.timer = setInterval(() => {
      this.evaluate();
      if (this.sampling || this.now() - this.lastSample < SET_ASIDE_SAMPLE_MS) return;
      this.sampling = true;
      this.lastSample = this.now();
      this.sampleSetAside()
        .catch(() => {
          // DynamoDB Local away (restarting): the next sample tries again.
        })
        .finally(() => {
          this.sampling = false;
        });
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
