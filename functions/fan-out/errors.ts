/**
 * Why the fan-out sets a stream record or one of its events aside. Each message says what went
 * wrong, the value, and the fix; the class name is stored as the set-aside item's `reasonCode`.
 */

import { RippleError } from "#commons/errors.ts";
import type { FanOutReasonCode } from "#schemas/set-aside.ts";
import type { FanOutStats } from "./stats.ts";

/** Base class of fan-out errors. */
export class FanOutError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FanOutError";
  }
}

/**
 * Why a record or event is set aside; its name is the set-aside item's `reasonCode`, one of
 * `SetAsideReasonCodes.fanOut`.
 */
export abstract class SetAsideReason extends FanOutError {
  abstract override readonly name: FanOutReasonCode;
}

/**
 * The earliest undelivered record has no sequence number to resume from, so the whole batch must
 * come again. Carries what the invocation did, so its metrics are still recorded.
 */
export class UnresumableBatchError extends FanOutError {
  readonly stats: FanOutStats;
  constructor(message: string, stats: FanOutStats, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnresumableBatchError";
    this.stats = stats;
  }
}

/** The stream record lacks something Lambda always delivers (sequence number, keys, image, …). */
export class MalformedRecordError extends SetAsideReason {
  override readonly name = "MalformedRecordError";
}

/** The record comes from a table that is not a declared stream source. */
export class UnknownSourceTableError extends SetAsideReason {
  override readonly name = "UnknownSourceTableError";
}

/** The image (or keys) does not satisfy the event's data schema. */
export class SchemaViolationError extends SetAsideReason {
  override readonly name = "SchemaViolationError";
}

/** The change was made this many pipeline hops deep: publishing it would feed a loop. */
export class LoopDepthExceededError extends SetAsideReason {
  override readonly name = "LoopDepthExceededError";
}

/** The event is larger than one PutEvents entry may be. */
export class OversizedEventError extends SetAsideReason {
  override readonly name = "OversizedEventError";
}
