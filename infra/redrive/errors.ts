/** Bad `npm run redrive` flags. */
export class RedriveUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedriveUsageError";
  }
}

/** Input redrive cannot take: a missing bucket or object, an object not in Lambda's format. */
export class RedriveInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedriveInputError";
  }
}
