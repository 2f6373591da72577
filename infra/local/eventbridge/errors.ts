import { LocalRuntimeError } from "../errors.ts";

/**
 * Errors of the local EventBridge endpoint. Each class names itself through its `name` field, as
 * the fan-out's set-aside reasons do; a constructor is written only where the error carries more
 * than its message.
 */

/** Base class of every error the local EventBridge endpoint raises. */
export class LocalEventBridgeError extends LocalRuntimeError {
  override readonly name: string = "LocalEventBridgeError";
}

/**
 * An event pattern EventBridge would refuse. `message` reads like EventBridge's own
 * ("Event pattern is not valid. Reason: …"); `reason` is the part after "Reason: ".
 */
export class InvalidEventPatternError extends LocalEventBridgeError {
  override readonly name = "InvalidEventPatternError";
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`Event pattern is not valid. Reason: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * A request EventBridge answers with an error response; `type` is the `__type` sent back
 * (`ValidationException`, `ResourceNotFoundException`, …) and `status` the HTTP status.
 */
export class EventBridgeApiError extends LocalEventBridgeError {
  override readonly name = "EventBridgeApiError";
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400, options?: ErrorOptions) {
    super(message, options);
    this.type = type;
    this.status = status;
  }
}

/** Options given to `startLocalEventBridge` or a target are out of range. */
export class LocalEventBridgeConfigError extends LocalEventBridgeError {
  override readonly name = "LocalEventBridgeConfigError";
}

/** A target could not take an event; delivery retries it under the target's RetryPolicy. */
export class TargetInvocationError extends LocalEventBridgeError {
  override readonly name = "TargetInvocationError";
  /** The ERROR_CODE EventBridge would put on a dead letter for it. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
