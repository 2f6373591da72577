/** Base class of every error the local runtime raises. */
export class LocalRuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalRuntimeError";
  }
}

/**
 * An asynchronous invocation's event is larger than Lambda takes; named as Lambda names the
 * refusal (HTTP 413), so callers that retry on it behave as they would against Lambda.
 */
export class RequestEntityTooLargeError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RequestEntityTooLargeException";
  }
}

/** Java 17+ is needed to run DynamoDB Local and is not on the PATH. */
export class JavaMissingError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JavaMissingError";
  }
}

/** A handler run in-process did not finish within its function's timeout, as Lambda would time it out. */
export class LambdaTimeoutError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LambdaTimeoutError";
  }
}

/** A port the runtime needs is already taken by another process. */
export class PortInUseError extends LocalRuntimeError {
  constructor(
    readonly port: number,
    message: string = `port ${port} is already in use by another process`,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PortInUseError";
  }
}

/** The API token kept under `--data` cannot be used: the message names the file and the fix. */
export class ApiTokenFileError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiTokenFileError";
  }
}
