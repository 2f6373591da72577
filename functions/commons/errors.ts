/** Base class of errors raised by ripple's function code. */
export class RippleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RippleError";
  }
}

/** A required environment variable is missing or empty. */
export class MissingConfigurationError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MissingConfigurationError";
  }
}

/** Declared payload limits are not positive whole numbers of bytes, or do not fit together. */
export class InvalidLimitsError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidLimitsError";
  }
}

/** A value given to the exact decimal helpers is not a decimal string. */
export class InvalidDecimalError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidDecimalError";
  }
}

/** A stream sequence number is not a string of 1–40 digits. */
export class InvalidSequenceNumberError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidSequenceNumberError";
  }
}

/**
 * An aggregate kept changing under a consumer between its read and its conditional write, more
 * times than it retries. Thrown so that Lambda runs the event again later.
 */
export class AggregateContentionError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AggregateContentionError";
  }
}

/** A DynamoDB attribute value has none of DynamoDB's type keys (S N B SS NS BS M L NULL BOOL). */
export class InvalidAttributeValueError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidAttributeValueError";
  }
}

/**
 * An event concerns a source item an aggregate does not know and is no newer than removals whose
 * tombstones the aggregate has dropped: it may be stale, so it is set aside rather than applied.
 */
export class BeyondTombstoneRetentionError extends RippleError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BeyondTombstoneRetentionError";
  }
}
