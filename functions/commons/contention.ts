import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { AggregateContentionError } from "./errors.ts";

/**
 * How long a writer keeps trying after lost races on an aggregate item: while the invocation's
 * time remains, with full-jitter exponential back-off between attempts.
 *
 * Giving up after a fixed number of lost races turns a burst into failed invocations, and those
 * into Lambda's retries a minute later and finally dead letters, although every writer would have
 * won within a few more tries. So a writer inside a Lambda invocation gives up only when another
 * attempt might not finish before the function's timeout (Lambda then runs the event again).
 * Hand-written because the SDK's retry strategies retry a failed request, not a read-decide-write
 * cycle, and know nothing of the invocation's deadline.
 */

/** What bounds the retries: the invocation's remaining time, else a number of attempts. */
export interface ContentionLimit {
  /** Milliseconds left of the invocation (Lambda's `context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs?: () => number;
  /**
   * Attempts before giving up when there is no invocation to bound them (a script, a test).
   * @default 8
   */
  readonly maxAttempts?: number;
}

/** Longest wait between two attempts, ms. */
export const MAX_BACK_OFF_MS = 1_000;
/**
 * Time kept in hand for one more attempt, at least: an attempt is started only while more than
 * this (or twice the slowest attempt so far, whichever is longer) remains of the invocation.
 */
export const MIN_ATTEMPT_RESERVE_MS = 1_000;

/**
 * Full-jitter exponential back-off after lost race `attempt` (1-based): a random wait of up to
 * 10 ms × 2^attempt, at most {@link MAX_BACK_OFF_MS} and at most `capMs`.
 */
export function backOff(attempt: number, capMs: number = MAX_BACK_OFF_MS): Promise<void> {
  const ceiling = Math.max(0, Math.min(MAX_BACK_OFF_MS, 10 * 2 ** attempt, capMs));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Counts one writer's lost races on one item and decides, after each, whether to try again.
 *
 * @example
 * const races = new LostRaces(deps, () => `aggregate ${key}`);
 * for (;;) { races.attemptStarts(); if (await tryWrite()) return; await races.lost(); }
 */
export class LostRaces {
  private attempts = 0;
  private slowestMs = 0;
  private attemptStartedAt = Date.now();
  private readonly startedAt = Date.now();

  constructor(
    private readonly limit: ContentionLimit,
    /** What is contended, for the error: "aggregate {…} in ripple-aggregates". */
    private readonly what: () => string,
    /** What to do if it keeps happening, for the error. */
    private readonly fix = "if this persists, raise the consumer's aggregateShards in infra/pipeline.ts",
  ) {}

  /** Marks the start of an attempt (its duration sizes the time kept in hand). */
  attemptStarts(): void {
    this.attemptStartedAt = Date.now();
  }

  /**
   * After a lost race: waits a jittered back-off and resolves when another attempt is worth
   * making, or throws {@link AggregateContentionError} when it is not (time or attempts used up).
   */
  async lost(): Promise<void> {
    this.attempts++;
    this.slowestMs = Math.max(this.slowestMs, Date.now() - this.attemptStartedAt);
    const { remainingTimeMs } = this.limit;
    if (remainingTimeMs === undefined) {
      const maxAttempts = this.limit.maxAttempts ?? 8;
      if (this.attempts >= maxAttempts) this.giveUp(`every one of ${maxAttempts} attempts`);
      await backOff(this.attempts);
      return;
    }
    const spare = remainingTimeMs() - Math.max(MIN_ATTEMPT_RESERVE_MS, 2 * this.slowestMs);
    if (spare <= 0) {
      this.giveUp(
        `${this.attempts} attempt${this.attempts === 1 ? "" : "s"} in ${Date.now() - this.startedAt} ms, until too little of the invocation was left for another (${remainingTimeMs()} ms)`,
      );
    }
    await backOff(this.attempts, spare);
  }

  private giveUp(how: string): never {
    throw new AggregateContentionError(
      `${this.what()} changed under ${how}; Lambda runs the event again (twice), then keeps it in the dead-letter queue — ${this.fix}`,
    );
  }
}

/**
 * Whether an error is a failed condition of a conditional write: for a versioned write, a lost
 * race. The name is checked too, for an error raised by another copy of the SDK.
 */
export function isConditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}
