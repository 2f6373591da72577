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

/** A value reached the audit's arithmetic without being a number (a defect of the audit, not the data). */
export class AuditArithmeticError extends AuditError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuditArithmeticError";
  }
}
