/**
 * Names that cross the line between deployed handlers and the infrastructure that watches them:
 * the metrics namespace, each emitter's metric names, the service names, and the set-aside item's
 * kinds and reason codes. Handlers write these names; the resolved pipeline model
 * (`infra/model.ts`) reads them to build alarms, dashboard widgets and configuration. Each is
 * written here once.
 */

/** CloudWatch namespace of ripple's own (EMF) metrics. */
export const METRICS_NAMESPACE = "ripple";

/** Powertools service name of the fan-out: its logs' `service` and its metrics' dimension. */
export const FAN_OUT_SERVICE = "fan-out";

/** Powertools service name of the producers' API. */
export const API_SERVICE = "api";

/** The fan-out's metrics (dimension `service` = {@link FAN_OUT_SERVICE}). */
export const FanOutMetrics = {
  recordsIn: "RecordsIn",
  eventsOut: "EventsOut",
  failedEntries: "FailedEntries",
  setAsideRecords: "SetAsideRecords",
  batchAgeMs: "BatchAgeMs",
} as const;
export type FanOutMetricName = (typeof FanOutMetrics)[keyof typeof FanOutMetrics];

/** Every consumer's metrics, one per delivery (dimension `service` = the consumer's name). */
export const ConsumerMetrics = {
  applied: "EventsApplied",
  skipped: "EventsSkipped",
  rejected: "EventsRejected",
} as const;
export type ConsumerMetricName = (typeof ConsumerMetrics)[keyof typeof ConsumerMetrics];

/** The set-aside item's kinds and reason codes, defined with its schema (`schemas/set-aside.ts`). */
export {
  type SetAsideKind,
  SetAsideKinds,
  type SetAsideReasonCode,
  SetAsideReasonCodes,
} from "./set-aside.ts";

/** `reasonCode` of an event EventBridge refused from a PutEvents request the fan-out made. */
export const REJECTED_BY_EVENTBRIDGE = "RejectedByEventBridge";
