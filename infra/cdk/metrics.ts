import { Duration } from "aws-cdk-lib";
import { type IMetric, MathExpression, Metric } from "aws-cdk-lib/aws-cloudwatch";
import {
  type ExpressionModel,
  type MetricModel,
  type RefResolver,
  renderText,
  resolveRef,
} from "#infra/monitoring-model.ts";

export { type RefResolver, renderText, resolveRef };

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
