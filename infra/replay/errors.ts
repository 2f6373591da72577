/** Errors of `npm run replay`: each says what, where (file and line), and the fix. */
export class ReplayError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ReplayError";
  }
}

/** Input that cannot be replayed: a missing file, a line that is not JSON, a record that is not one. */
export class ReplayInputError extends ReplayError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ReplayInputError";
  }
}

/** Bad flags. */
export class ReplayUsageError extends ReplayError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ReplayUsageError";
  }
}
