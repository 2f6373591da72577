import { Duration } from "aws-cdk-lib";
import { type IMetric, MathExpression, Metric } from "aws-cdk-lib/aws-cloudwatch";
import type { ExpressionModel, MetricModel, Ref, Text } from "#infra/monitoring-model.ts";

/** How the stack resolves the model's references to its resources (names, ids, tokens). */
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

/** The value of a reference in this stack. */
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

/** The CloudWatch metric of a model metric, over `periodSeconds`. */
export function renderMetric(m: MetricModel, r: RefResolver, periodSeconds: number): Metric {
  return new Metric({
    namespace: m.namespace,
    metricName: m.metricName,
    dimensionsMap: Object.fromEntries(
      Object.entries(m.dimensions).map(([k, v]) => [k, typeof v === "string" ? v : resolveRef(v, r)]),
    ),
    statistic: m.statistic,
    period: Duration.seconds(periodSeconds),
    ...(m.label === undefined ? {} : { label: renderText(m.label, r) }),
  });
}

/** The CloudWatch metric or math expression an alarm reads. */
export function renderAlarmMetric(
  m: MetricModel | ExpressionModel,
  r: RefResolver,
  periodSeconds: number,
): IMetric {
  if (!("expression" in m)) return renderMetric(m, r, periodSeconds);
  return new MathExpression({
    expression: m.expression,
    usingMetrics: Object.fromEntries(
      Object.entries(m.usingMetrics).map(([k, v]) => [k, renderMetric(v, r, periodSeconds)]),
    ),
    period: Duration.seconds(periodSeconds),
    label: renderText(m.label, r),
  });
}
