/** Base class of the audit's errors. */
export class AuditError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuditError";
  }
}

/** The audit CLI was given a flag or value it does not know. */
export class AuditUsageError extends AuditError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuditUsageError";
  }
}
