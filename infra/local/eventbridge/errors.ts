import { LocalRuntimeError } from "../errors.ts";

/** Base class of every error the local EventBridge endpoint raises. */
export class LocalEventBridgeError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalEventBridgeError";
  }
}

/**
 * An event pattern EventBridge would refuse. `message` reads like EventBridge's own
 * ("Event pattern is not valid. Reason: …"); `reason` is the part after "Reason: ".
 */
export class InvalidEventPatternError extends LocalEventBridgeError {
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`Event pattern is not valid. Reason: ${reason}`, options);
    this.name = "InvalidEventPatternError";
    this.reason = reason;
  }
}

/**
 * A request EventBridge answers with an error response; `type` is the `__type` sent back
 * (`ValidationException`, `ResourceNotFoundException`, …) and `status` the HTTP status.
 */
export class EventBridgeApiError extends LocalEventBridgeError {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventBridgeApiError";
    this.type = type;
    this.status = status;
  }
}

/** Options given to `startLocalEventBridge` or a target are out of range. */
export class LocalEventBridgeConfigError extends LocalEventBridgeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalEventBridgeConfigError";
  }
}

/** A target could not take an event; delivery retries it under the target's RetryPolicy. */
export class TargetInvocationError extends LocalEventBridgeError {
  /** The ERROR_CODE EventBridge would put on a dead letter for it. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TargetInvocationError";
    this.code = code;
  }
}
