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
