import { LimitsSchema } from "#schemas/limits.ts";
import { InvalidLimitsError } from "./errors.ts";

/**
 * The AWS payload limits the pipeline works within, in bytes, with AWS's current values as
 * defaults: the one place they are written. The fan-out packs and sets aside by them, the local
 * EventBridge refuses by them, the local asynchronous Lambda invocation refuses by them and the
 * cost model bills by them. A pipeline declaration may override any of them (`limits`), e.g. to
 * model a region where a raise has not arrived yet; {@link resolveLimits} fills in the rest.
 *
 * Since 29 January 2026 EventBridge events, asynchronous Lambda invocations and SQS messages take
 * payloads up to 1 MB (it was 256 KB); billing still counts each 64 KB chunk of a payload as one
 * request (AWS Compute Blog, "More room to build: serverless services now support payloads up to
 * 1 MB"; docs/parity.md lists every source).
 */
export interface Limits {
  /**
   * Largest PutEvents entry, counted as EventBridge counts it (Time 14 bytes if set; Source,
   * DetailType, Detail and each Resources string as UTF-8).
   */
  readonly putEventsEntryBytes: number;
  /** Largest total of the entries of one PutEvents request, counted the same way. */
  readonly putEventsRequestBytes: number;
  /** Largest event an asynchronous Lambda invocation (`InvocationType: Event`) takes. */
  readonly asyncInvokePayloadBytes: number;
  /** Largest SQS message (a dead-letter queue's or an on-failure destination's). */
  readonly sqsMessageBytes: number;
  /** Size of one billed chunk: EventBridge, Lambda and SQS bill each started 64 KB as one request. */
  readonly billingChunkBytes: number;
}

/** 1 MB as AWS counts it: 1,048,576 bytes. */
const ONE_MB = 1024 * 1024;

/** AWS's current values. */
export const AWS_LIMITS: Limits = Object.freeze({
  putEventsEntryBytes: ONE_MB,
  putEventsRequestBytes: ONE_MB,
  asyncInvokePayloadBytes: ONE_MB,
  sqsMessageBytes: ONE_MB,
  billingChunkBytes: 64 * 1024,
});

/**
 * Fills in AWS's current value for every limit the declaration leaves out.
 *
 * @throws {InvalidLimitsError} naming each bad value and what is expected.
 * @example
 * resolveLimits({ putEventsEntryBytes: 256 * 1024 }).putEventsRequestBytes; // 1048576
 */
export function resolveLimits(declared: Partial<Limits> = {}): Limits {
  const parsed = LimitsSchema.safeParse(declared);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const key = issue.path.join(".");
      const given = key === "" ? declared : (declared as Record<string, unknown>)[key];
      return `${issue.message} (given ${JSON.stringify(given)})`;
    });
    throw new InvalidLimitsError(`${issues.join("; ")}; leave a limit out to use AWS's current value`, {
      cause: parsed.error,
    });
  }
  if (
    parsed.data.putEventsEntryBytes !== undefined &&
    parsed.data.putEventsRequestBytes !== undefined &&
    parsed.data.putEventsRequestBytes < parsed.data.putEventsEntryBytes
  ) {
    throw new InvalidLimitsError(
      `limits.putEventsRequestBytes (${parsed.data.putEventsRequestBytes}) is smaller than limits.putEventsEntryBytes (${parsed.data.putEventsEntryBytes}); a request must hold at least one entry of the largest size`,
    );
  }
  return Object.freeze({ ...AWS_LIMITS, ...parsed.data });
}

/**
 * Requests a payload is billed as: each started {@link Limits.billingChunkBytes} counts once (an
 * empty payload still counts as one request).
 *
 * @example
 * billedChunks(65_537); // 2
 */
export function billedChunks(payloadBytes: number, limits: Pick<Limits, "billingChunkBytes"> = AWS_LIMITS) {
  return Math.max(1, Math.ceil(payloadBytes / limits.billingChunkBytes));
}
