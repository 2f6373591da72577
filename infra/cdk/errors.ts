/** Base class of errors raised while building the CDK app from the declaration. */
export class CdkAppError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CdkAppError";
  }
}

/** The `stage` context names no known stage. */
export class UnknownStageError extends CdkAppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnknownStageError";
  }
}

// Raised by resolvePipeline, so `cdk synth` and `npm start` refuse a missing handler alike.
export { MissingHandlerError } from "../errors.ts";

/** A construct was given props it cannot build from. */
export class InvalidPropsError extends CdkAppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidPropsError";
  }
}
