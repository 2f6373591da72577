import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { AWS_LIMITS, type Limits } from "./limits.ts";

/**
 * Publishing to EventBridge within PutEvents' limits, retrying exactly the entries that failed.
 *
 * PutEvents takes at most 10 entries and as many bytes as its limits allow (1 MB per entry and per
 * request since 29 January 2026; see `Limits`), and can answer 200 with
 * `FailedEntryCount > 0`: each failed entry carries an `ErrorCode` and is retried here, alone,
 * with capped, jittered exponential backoff, for as long as the caller's time allows. What is
 * still undelivered is reported per entry, never dropped silently.
 */

/** Most entries one PutEvents request may carry. */
export const MAX_ENTRIES_PER_REQUEST = 10;

/** The PutEvents limits publishing works within: most bytes per entry and per request. */
export type PutEventsLimits = Pick<Limits, "putEventsEntryBytes" | "putEventsRequestBytes">;

/** Bytes in the UTF-8 form of a string. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Size of a PutEvents entry as EventBridge counts it: Time is 14 bytes if set; Source,
 * DetailType, Detail and each Resources string count their UTF-8 bytes. EventBusName is not
 * counted.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  if (entry.Source !== undefined) size += utf8Bytes(entry.Source);
  if (entry.DetailType !== undefined) size += utf8Bytes(entry.DetailType);
  if (entry.Detail !== undefined) size += utf8Bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8Bytes(resource);
  return size;
}

/**
 * The longest values EventBridge fills in when it delivers an event: an event id (a UUID), a
 * 12-digit account, a UTC time to the second, and a region name (the longest today has 14
 * characters, `ap-southeast-5`; 20 leaves room for longer ones).
 */
const DELIVERED_FIELDS = {
  id: "00000000-0000-0000-0000-000000000000",
  account: "000000000000",
  time: "2000-01-01T00:00:00Z",
  region: "x".repeat(20),
} as const;

/**
 * Size of the event as EventBridge hands it to a Lambda target, where it is the payload of an
 * asynchronous invocation (at most `limits.asyncInvokePayloadBytes`): the entry's Source,
 * DetailType, Detail and Resources inside the envelope EventBridge adds (version, id, account,
 * time, region), counted with the longest values those take. An entry within the PutEvents limit
 * can still be too large to deliver by these few hundred bytes.
 */
export function deliveredEventSize(entry: PutEventsRequestEntry): number {
  // The envelope and the detail counted apart: the detail (up to 1 MB) is not copied again.
  return envelopeBytes(entry) + utf8Bytes(entry.Detail ?? "{}");
}

/** Envelope sizes of entries without resources, by source and detail-type: a batch repeats a few. */
const envelopeBytesBySource = new Map<string, Map<string, number>>();

function envelopeBytes(entry: PutEventsRequestEntry): number {
  if (entry.Resources !== undefined && entry.Resources.length > 0) return countEnvelope(entry);
  const source = entry.Source ?? "";
  let byDetailType = envelopeBytesBySource.get(source);
  if (byDetailType === undefined) {
    if (envelopeBytesBySource.size >= 1_000) envelopeBytesBySource.clear();
    byDetailType = new Map();
    envelopeBytesBySource.set(source, byDetailType);
  }
  const detailType = entry.DetailType ?? "";
  let bytes = byDetailType.get(detailType);
  if (bytes === undefined) {
    bytes = countEnvelope(entry);
    if (byDetailType.size >= 1_000) byDetailType.clear();
    byDetailType.set(detailType, bytes);
  }
  return bytes;
}

function countEnvelope(entry: PutEventsRequestEntry): number {
  return utf8Bytes(
    `{"version":"0","id":"${DELIVERED_FIELDS.id}","detail-type":${JSON.stringify(entry.DetailType ?? "")},"source":${JSON.stringify(entry.Source ?? "")},"account":"${DELIVERED_FIELDS.account}","time":"${DELIVERED_FIELDS.time}","region":"${DELIVERED_FIELDS.region}","resources":${JSON.stringify(entry.Resources ?? [])},"detail":}`,
  );
}

/**
 * Packs items greedily into requests of at most {@link MAX_ENTRIES_PER_REQUEST} entries and
 * `limits.putEventsRequestBytes` bytes, keeping their order. An item larger than the byte limit
 * gets a request of its own (callers set such items aside before sending).
 */
export function packBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: PutEventsLimits = AWS_LIMITS,
): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (
      current.length > 0 &&
      (current.length === MAX_ENTRIES_PER_REQUEST || bytes + size > limits.putEventsRequestBytes)
    ) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/**
 * Per-entry error codes that no retry can fix: the entry itself is wrong. Such entries are not
 * retried; the caller sets them aside. Every other code (InternalFailure, ThrottlingException,
 * access or missing-bus errors a deployment fix cures) is retried.
 */
export const PERMANENT_ENTRY_ERRORS: ReadonlySet<string> = new Set(["InvalidArgument", "MalformedDetail"]);

/**
 * Locally, the access key ids (letters only, as DynamoDB Local requires) that stand for the two roles allowed to publish ripple's sources —
 * the fan-out's and the operator's redrive — as the bus's resource policy admits them in AWS. The
 * local runtime's handlers sign with the fan-out's; an operator runs `npm run redrive` with the
 * redrive one. Any other credentials get `NotAuthorizedForSourceException` for a `ripple.*` source.
 */
export const LOCAL_PUBLISHER_ACCESS_KEY_IDS = {
  fanOut: "rippleFanOut",
  redrive: "rippleRedrive",
} as const;

/** Time a function keeps in reserve, by default, to answer before its invocation times out. */
export const DEFAULT_SAFETY_MARGIN_MS = 5_000;

/** Longest one PutEvents request may take, by default, before it is abandoned and retried. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * Runs one request with an abort signal that fires after `ms`, and stops waiting for it then even
 * when the request ignores the signal, so no hung call outlasts its budget.
 *
 * @param what - The request, as the timeout's message names it (e.g. "PutEvents").
 * @throws {DOMException} named "TimeoutError" once `ms` have passed (at once when `ms <= 0`).
 * @example
 * await withinTime(2_000, "PutItem", (abortSignal) => client.send(command, { abortSignal }));
 */
export async function withinTime<T>(
  ms: number,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timedOut = () =>
    new DOMException(
      `${what} did not answer within ${Math.max(0, Math.round(ms))} ms, the time this invocation had left for it; it is abandoned and its records come again`,
      "TimeoutError",
    );
  if (ms <= 0) throw timedOut();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = timedOut();
      controller.abort(reason);
      reject(reason);
    }, ms);
  });
  try {
    return await Promise.race([run(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long to keep retrying, and how to wait. */
export interface PublishOptions {
  /** Milliseconds the invocation has left (Lambda's `context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
  /**
   * Time kept in reserve for answering before the invocation times out: no request runs into it.
   * @default DEFAULT_SAFETY_MARGIN_MS (5000)
   */
  readonly safetyMarginMs?: number;
  /**
   * Longest one request may take (less when less time is left) before it is abandoned, so a hung
   * request leaves time to retry. @default DEFAULT_REQUEST_TIMEOUT_MS (5000)
   */
  readonly requestTimeoutMs?: number;
  /** First backoff delay; doubles per attempt. @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff delay. @default 2000 */
  readonly maxDelayMs?: number;
  /** Most attempts per entry, first one included. @default 10 */
  readonly maxAttempts?: number;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Bytes per entry and per request. @default AWS_LIMITS (1 MB each) */
  readonly limits?: PutEventsLimits;
}

/** What happened to each entry handed to {@link publishEntries}. */
export interface PublishOutcome {
  /** `delivered[i]` is true when entry `i` was accepted by EventBridge. */
  readonly delivered: boolean[];
  /** `rejected[i]` is true when EventBridge refused entry `i` with a {@link PERMANENT_ENTRY_ERRORS} code. */
  readonly rejected: boolean[];
  /** Last error seen for each undelivered entry (ErrorCode: ErrorMessage, or the thrown error). */
  readonly lastError: (string | undefined)[];
  /** Entry failures seen over all attempts, retried ones included (the FailedEntries metric). */
  readonly failedEntries: number;
  /** PutEvents requests sent. */
  readonly requests: number;
  /** Rounds of sending: 1 when everything succeeded at once. */
  readonly attempts: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes entries with PutEvents, packed into as few requests as the limits allow, retrying
 * only failed entries (partial failures and thrown requests alike) with capped, jittered
 * exponential backoff while `remainingTimeMs() - safetyMarginMs` allows. Every request, the first
 * included, is bounded by that time (and by `requestTimeoutMs`): one that does not answer is
 * abandoned and its entries count as failed. Give the client `maxAttempts: 1`, so the SDK's own
 * retries do not run past these bounds.
 *
 * @param sizes - Precomputed {@link entrySize} of each entry, to avoid counting twice.
 */
export async function publishEntries(
  client: EventBridgeClient,
  entries: readonly PutEventsRequestEntry[],
  options: PublishOptions,
  sizes: readonly number[] = entries.map(entrySize),
): Promise<PublishOutcome> {
  const safetyMarginMs = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? 10;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const limits = options.limits ?? AWS_LIMITS;

  const delivered: boolean[] = new Array(entries.length).fill(false);
  const rejected: boolean[] = new Array(entries.length).fill(false);
  const lastError: (string | undefined)[] = new Array(entries.length).fill(undefined);
  let failedEntries = 0;
  let requestCount = 0;
  let attempts = 0;
  let pending: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    if ((sizes[i] as number) > limits.putEventsEntryBytes) {
      lastError[i] =
        `entry is ${sizes[i]} bytes; a PutEvents entry may be at most ${limits.putEventsEntryBytes} bytes`;
    } else {
      pending.push(i);
    }
  }

  while (pending.length > 0) {
    attempts++;
    const requests = packBySize(pending, (i) => sizes[i] as number, limits);
    const failed: number[] = [];
    const sendOne = async (indices: number[]) => {
      const budget = Math.min(requestTimeoutMs, options.remainingTimeMs() - safetyMarginMs);
      if (budget <= 0) {
        // No time left to send: the entries stay undelivered and their records come again.
        for (const index of indices) {
          failed.push(index);
          lastError[index] ??=
            `not sent: the invocation had no time left before its ${safetyMarginMs} ms safety margin`;
        }
        return;
      }
      requestCount++;
      try {
        const command = new PutEventsCommand({
          Entries: indices.map((i) => entries[i] as PutEventsRequestEntry),
        });
        const response = await withinTime(budget, "PutEvents", (abortSignal) =>
          client.send(command, { abortSignal }),
        );
        const results = response.Entries ?? [];
        for (let k = 0; k < indices.length; k++) {
          const index = indices[k] as number;
          const result = results[k];
          if (result !== undefined && result.ErrorCode === undefined && result.EventId !== undefined) {
            delivered[index] = true;
            lastError[index] = undefined;
          } else {
            failedEntries++;
            lastError[index] =
              result?.ErrorCode === undefined
                ? "PutEvents returned no result for this entry"
                : `${result.ErrorCode}: ${result.ErrorMessage ?? ""}`;
            if (result?.ErrorCode !== undefined && PERMANENT_ENTRY_ERRORS.has(result.ErrorCode)) {
              rejected[index] = true;
            } else {
              failed.push(index);
            }
          }
        }
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const index of indices) {
          failed.push(index);
          lastError[index] = message;
        }
        failedEntries += indices.length;
      }
    };
    for (let start = 0; start < requests.length; start += concurrency) {
      await Promise.all(requests.slice(start, start + concurrency).map(sendOne));
    }
    if (failed.length === 0 || attempts >= maxAttempts) break;
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1)) * random();
    if (options.remainingTimeMs() - safetyMarginMs <= delay) break;
    await sleep(delay);
    pending = failed.sort((a, b) => a - b);
  }
  return { delivered, rejected, lastError, failedEntries, requests: requestCount, attempts };
}
