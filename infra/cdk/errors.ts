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

/** A handler path in the declaration points at no file. */
export class MissingHandlerError extends CdkAppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MissingHandlerError";
  }
}

/** A construct was given props it cannot build from. */
export class InvalidPropsError extends CdkAppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidPropsError";
  }
}
