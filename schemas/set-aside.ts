import * as z from "zod";

/**
 * The set-aside item: what the pipeline could not deliver, kept with the reason for an operator.
 * One table holds four kinds, told apart by `kind`; every writer and reader goes through
 * {@link SetAsideItemSchema} (the DynamoDB form is in `functions/commons/set-aside.ts`).
 */

/** `kind` of a set-aside item, by who sets it aside. */
export const SetAsideKinds = {
  /** A stream record the fan-out could not map or publish. Stored without a `kind` attribute. */
  streamRecord: "stream-record",
  /** An event a consumer refused. */
  consumerRejected: "consumer-rejected",
  /** An event the local EventBridge or Lambda's asynchronous invocation gave up on. */
  deadLetter: "dead-letter",
  /** A stream batch the local event source mapping gave up on (its on-failure destination). */
  streamBatchFailure: "stream-batch-failure",
} as const;
export type SetAsideKind = (typeof SetAsideKinds)[keyof typeof SetAsideKinds];

/** `reasonCode` of a set-aside item, by kind. */
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
  /** A dead letter, of the local EventBridge or of Lambda's asynchronous invocation. */
  deadLetter: ["DeadLetter"],
  /** Why Lambda gave up on a stream batch, with AWS's spelling. */
  streamBatchFailure: ["RetryAttemptsExhausted", "RecordAgeExceeded"],
} as const;
export type SetAsideReasonCode = (typeof SetAsideReasonCodes)[keyof typeof SetAsideReasonCodes][number];
export type FanOutReasonCode = (typeof SetAsideReasonCodes.fanOut)[number];
export type ConsumerReasonCode = (typeof SetAsideReasonCodes.consumer)[number];
export type StreamBatchFailureCondition = (typeof SetAsideReasonCodes.streamBatchFailure)[number];

/** What every set-aside item carries. */
const SetAsideBaseSchema = z.object({
  /** Deterministic where the writer can make it so: setting the same thing aside again overwrites it. */
  id: z.string().min(1),
  /** What went wrong, the value, and the fix. */
  reason: z.string(),
  /** Source table name as declared ("unknown" when the record names none). */
  table: z.string(),
  sequenceNumber: z.string(),
  setAsideAt: z.string(),
  /** Id of the event concerned, when the reason concerns one event. */
  eventId: z.string().optional(),
  detailType: z.string().optional(),
});

/** A stream record the fan-out set aside: kept whole so it can be mapped again once fixed. */
export const StreamRecordSetAsideSchema = SetAsideBaseSchema.extend({
  kind: z.literal(SetAsideKinds.streamRecord),
  reasonCode: z.enum(SetAsideReasonCodes.fanOut),
  /** The stream record as delivered; undefined when it was too large to keep (see `recordOmitted`). */
  record: z.unknown(),
  /** Why the record is not kept, when it is not. */
  recordOmitted: z.string().optional(),
});

/** An event a consumer refused, kept whole so it can be put on the bus again. */
export const ConsumerRejectedSetAsideSchema = SetAsideBaseSchema.extend({
  kind: z.literal(SetAsideKinds.consumerRejected),
  reasonCode: z.enum(SetAsideReasonCodes.consumer),
  consumer: z.string(),
  /** The EventBridge event as delivered to the consumer. */
  record: z.unknown(),
});

/** The EventBridge event of a dead letter, as much of it as a redrive puts back on the bus. */
export const DeadLetterEventSchema = z.object({
  id: z.string(),
  source: z.string(),
  "detail-type": z.string(),
  time: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

/** An event given up on after its last attempt, where AWS would send it to a dead-letter queue. */
export const DeadLetterSetAsideSchema = SetAsideBaseSchema.extend({
  kind: z.literal(SetAsideKinds.deadLetter),
  reasonCode: z.enum(SetAsideReasonCodes.deadLetter),
  /** The event's id. */
  eventId: z.string(),
  /** Rule the event was delivered for ("" when not known, as in a function's own queue). */
  rule: z.string(),
  /** Target id or function name that failed. */
  target: z.string(),
  /** Bus the redrive puts the event back on. */
  eventBusName: z.string(),
  deadLetterArn: z.string(),
  /** The event; stored as its JSON text in the `event` attribute. */
  event: DeadLetterEventSchema,
  /** The last failure's message. */
  error: z.string(),
  attempts: z.number().int().min(0),
  time: z.string(),
  /** The message attributes AWS puts on such a dead letter (`RULE_ARN`…, or `RequestID`…); stored as top-level attributes. */
  attributes: z.record(z.string(), z.union([z.string(), z.number()])),
});

/**
 * A stream batch given up on: the on-failure destination's invocation record, and where the local
 * on-failure store keeps the object with the records themselves.
 */
export const StreamBatchFailureSetAsideSchema = SetAsideBaseSchema.extend({
  kind: z.literal(SetAsideKinds.streamBatchFailure),
  reasonCode: z.enum(SetAsideReasonCodes.streamBatchFailure),
  condition: z.enum(SetAsideReasonCodes.streamBatchFailure),
  streamArn: z.string(),
  shardId: z.string(),
  endSequenceNumber: z.string(),
  batchSize: z.number().int().min(1),
  /** The invocation record Lambda sends to an on-failure destination. */
  record: z.unknown(),
  /**
   * Absolute path of the batch's object in the local on-failure store (the invocation record with
   * the records under `payload`, as Lambda writes it to S3), for `npm run redrive`.
   */
  object: z.string().optional(),
});

/** Any set-aside item, by `kind`. */
export const SetAsideItemSchema = z.discriminatedUnion("kind", [
  StreamRecordSetAsideSchema,
  ConsumerRejectedSetAsideSchema,
  DeadLetterSetAsideSchema,
  StreamBatchFailureSetAsideSchema,
]);
export type SetAsideItem = z.infer<typeof SetAsideItemSchema>;
export type DeadLetterEvent = z.infer<typeof DeadLetterEventSchema>;
export type StreamRecordSetAside = z.infer<typeof StreamRecordSetAsideSchema>;
export type ConsumerRejectedSetAside = z.infer<typeof ConsumerRejectedSetAsideSchema>;
export type DeadLetterSetAside = z.infer<typeof DeadLetterSetAsideSchema>;
export type StreamBatchFailureSetAside = z.infer<typeof StreamBatchFailureSetAsideSchema>;
/** The set-aside item of one kind. */
export type SetAsideItemOf<K extends SetAsideKind> = Extract<SetAsideItem, { kind: K }>;
