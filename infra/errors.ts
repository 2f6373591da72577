/** Base class of errors in the pipeline declaration. */
export class DeclarationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DeclarationError";
  }
}

/** A consumer's writes could come back to it through a source table's stream. */
export class FeedbackLoopError extends DeclarationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FeedbackLoopError";
  }
}

/** A handler path in the declaration points at no file. */
export class MissingHandlerError extends DeclarationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MissingHandlerError";
  }
}
