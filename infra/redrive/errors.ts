/** Bad `npm run redrive` flags. */
export class RedriveUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedriveUsageError";
  }
}
