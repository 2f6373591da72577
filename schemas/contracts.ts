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

/**
 * `kind` of a set-aside item. A stream record the fan-out could not map has no `kind` attribute
 * (the original format); `stream-record` names it here.
 */
export const SetAsideKinds = {
  streamRecord: "stream-record",
  consumerRejected: "consumer-rejected",
  deadLetter: "dead-letter",
} as const;
export type SetAsideKind = (typeof SetAsideKinds)[keyof typeof SetAsideKinds];

/** `reasonCode` of a set-aside item, by who writes it. */
export const SetAsideReasonCodes = {
  /** The fan-out: the name of the error that stopped a record (functions/fan-out/errors.ts). */
  fanOut: [
    "MalformedRecordError",
    "UnknownSourceTableError",
    "SchemaViolationError",
    "LoopDepthExceededError",
    "OversizedEventError",
    "RejectedByEventBridge",
  ],
  /** A consumer: an event that fails its schema, or one it cannot apply safely. */
  consumer: ["ConsumerRejectedEvent", "BeyondTombstoneRetentionError"],
  /** Lambda's asynchronous invocation (locally; in AWS the consumer's dead-letter queue). */
  deadLetter: ["DeadLetter"],
} as const;
export type SetAsideReasonCode = (typeof SetAsideReasonCodes)[keyof typeof SetAsideReasonCodes][number];
