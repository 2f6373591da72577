/**
 * Errors the producer API answers with. Each carries the HTTP status and a stable `code`; the
 * message says what went wrong, the value received and what to change.
 */

/** One bad field of a request: where it is, what was given, what is expected. */
export interface FieldProblem {
  /** Dotted location, prefixed with its part of the request: `body.price`, `query.limit`, `path.userId`. */
  readonly path: string;
  readonly value: unknown;
  /** What is expected, with an example. */
  readonly expected: string;
  /** What to change, when more can be said than "send what is expected". */
  readonly fix?: string;
}

/** Base class of every error the API turns into a response. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: readonly FieldProblem[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options?: ErrorOptions & { fields?: readonly FieldProblem[]; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = options?.fields;
    this.headers = options?.headers ?? {};
  }
}

/**
 * The class of an error that always answers with one status and code: only its message differs.
 * `name` is given again as a string because a class made here has no name of its own.
 */
function answering(status: number, code: string, name: string) {
  return class extends ApiError {
    constructor(message: string, options?: ErrorOptions) {
      super(status, code, message, options);
      this.name = name;
    }
  };
}

/** A path, query or body field failed its schema (400). */
export class ValidationError extends ApiError {
  constructor(message: string, fields: readonly FieldProblem[], options?: ErrorOptions) {
    super(400, "validation_failed", message, { ...options, fields });
    this.name = "ValidationError";
  }
}

/** The body is not parseable JSON (400). */
export class MalformedJsonError extends answering(400, "malformed_json", "MalformedJsonError") {}

/** No or a wrong bearer token (401). */
export class UnauthorizedError extends ApiError {
  constructor(message: string, options?: ErrorOptions) {
    super(401, "unauthorized", message, {
      ...options,
      headers: { "www-authenticate": 'Bearer realm="ripple"' },
    });
    this.name = "UnauthorizedError";
  }
}

/** No route has this path, or the item named by the path does not exist (404). */
export class NotFoundError extends answering(404, "not_found", "NotFoundError") {}

/** The path exists but not with this method (405, with an `Allow` header). */
export class MethodNotAllowedError extends ApiError {
  constructor(message: string, allow: readonly string[], options?: ErrorOptions) {
    super(405, "method_not_allowed", message, { ...options, headers: { allow: allow.join(", ") } });
    this.name = "MethodNotAllowedError";
  }
}

/** The request conflicts with the stored state or lost a race it could not win by retrying (409). */
export class ConflictError extends ApiError {
  constructor(message: string, options?: ErrorOptions & { headers?: Record<string, string> }) {
    super(409, "conflict", message, options);
    this.name = "ConflictError";
  }
}

/**
 * A stored item does not fit its schema — written around the API, with the SDK or the CLI (409).
 * Listings leave such an item out instead (see `readListing`); a read of that one item answers this.
 */
export class UnreadableItemError extends answering(409, "unreadable_item", "UnreadableItemError") {}

/** The body is larger than `pipeline.api.maxBodyBytes` (413). */
export class PayloadTooLargeError extends answering(413, "payload_too_large", "PayloadTooLargeError") {}

/** The body is not `application/json` (415). */
export class UnsupportedMediaTypeError extends answering(
  415,
  "unsupported_media_type",
  "UnsupportedMediaTypeError",
) {}

/** An Idempotency-Key was reused for a different request (422). */
export class IdempotencyKeyReusedError extends answering(
  422,
  "idempotency_key_reused",
  "IdempotencyKeyReusedError",
) {}
