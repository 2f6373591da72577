/** Errors of `npm run prove`: each says what failed and where to look. */
export class ProveError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProveError";
  }
}

/** Bad flags. */
export class ProveUsageError extends ProveError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProveUsageError";
  }
}
