import { LocalRuntimeError } from "../errors.ts";

/** Base class of errors raised by the local event source mapping. */
export class EventSourceMappingError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventSourceMappingError";
  }
}

/** A `filterPatterns` entry is not a pattern Lambda would accept. */
export class InvalidFilterCriteriaError extends EventSourceMappingError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidFilterCriteriaError";
  }
}

/** The source table has no stream, so there is nothing to poll. */
export class StreamNotEnabledError extends EventSourceMappingError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StreamNotEnabledError";
  }
}

/** The checkpoint file exists but cannot be read as ripple's checkpoint document. */
export class CheckpointFileError extends EventSourceMappingError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckpointFileError";
  }
}

/** `idle()` waited longer than it was told to. */
export class IdleTimeoutError extends EventSourceMappingError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IdleTimeoutError";
  }
}
