import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AWS_LIMITS } from "#commons/limits.ts";
import { writeDeadLetter } from "./dead-letter.ts";
import { LocalRuntimeError, RequestEntityTooLargeError } from "./errors.ts";
import type { EventBridgeEvent } from "./eventbridge/delivery.ts";
import { HandoffJournal } from "./handoff-journal.ts";
import { InFlight } from "./in-flight.ts";

/** A function's asynchronous-invocation settings, as `PutFunctionEventInvokeConfig` names them. */
export interface AsyncInvokeConfig {
  /** 0–2. */
  readonly maximumRetryAttempts: number;
  /** 60–21,600 s, counted from when the event was queued. */
  readonly maximumEventAgeInSeconds: number;
}

/** Counters of what the function's asynchronous invocations came to. */
export interface AsyncInvocationStats {
  /** Events accepted (Invoke with InvocationType Event). */
  accepted: number;
  /** Runs of the function, retries included. */
  runs: number;
  /** Runs that failed: thrown, rejected or timed out. */
  functionErrors: number;
  /** Events sent to the function's dead-letter queue after their last attempt failed. */
  deadLettered: number;
  /** Events discarded: no dead-letter queue, or it could not be written, or a shutdown. */
  dropped: number;
  /** Events a previous run left owed, taken up again at this start. */
  resumed: number;
}

export interface AsyncInvocationsProps {
  /** Name of the function, in logs and dead letters. */
  readonly functionName: string;
  /**
   * Runs the function once with an event and the invocation's request id (the same on every
   * retry, as Lambda keeps it); rejects on a function error.
   */
  readonly run: (event: EventBridgeEvent, requestId: string) => Promise<void>;
  readonly config: AsyncInvokeConfig;
  /**
   * Most runs at once (reserved concurrency); events beyond it wait their turn in the queue.
   * @default unlimited
   */
  readonly reservedConcurrency?: number;
  /**
   * Wait before retry `n` (1-based), lengthened by up to half at random. Lambda waits 1 minute
   * before the first retry and 2 minutes before the second.
   * @default (n) => 60_000 * n
   */
  readonly retryDelayMs?: (retry: number) => number;
  /**
   * The function's dead-letter queue; locally, dead letters go to the set-aside table.
   * @default none — an event whose attempts all failed is discarded (counted and logged)
   */
  readonly deadLetter?: {
    readonly dynamodb: DynamoDBClient;
    readonly tableName: string;
    /** ARN of the dead-letter queue as the function's DeadLetterConfig names it. */
    readonly arn: string;
    /** Bus a redrive puts the event back on. */
    readonly eventBusName: string;
  };
  /**
   * Largest event an asynchronous invocation takes, as JSON bytes; a larger one is refused at
   * Invoke, before it is queued.
   * @default AWS_LIMITS.asyncInvokePayloadBytes (1 MB)
   */
  readonly maxPayloadBytes?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default console */
  readonly logger?: Pick<Console, "warn" | "error">;
  /**
   * Keeps queued events and pending retries (attempt count, age, next due time) across a stop or
   * a crash, as Lambda's asynchronous queue does; those of this function resume at construction.
   * @default in memory: a stop discards pending retries (logged), a crash loses them
   */
  readonly journal?: HandoffJournal;
}

/** One accepted event: what every attempt at it shares. */
interface Invocation {
  readonly event: EventBridgeEvent;
  /** The invocation's request id, also its journal id. */
  readonly requestId: string;
  readonly queuedAt: number;
}

/** Lambda's ErrorCode attribute on a dead letter: the Invoke's HTTP status (200 for a function error). */
const FUNCTION_ERROR_STATUS = "200";
/** Share of a retry's delay added at random, so retries of one burst spread out (never sooner). */
const RETRY_JITTER = 0.5;
/** Lambda keeps the first kilobyte of the error message on a dead letter. */
const ERROR_MESSAGE_BYTES = 1024;

/**
 * Lambda's asynchronous invocation of a function the local runtime runs in-process, as an
 * EventBridge rule invokes its Lambda target.
 *
 * EventBridge's Invoke (InvocationType Event) succeeds once Lambda has queued the event: from then
 * on EventBridge's retry policy no longer applies. If the function fails, Lambda runs it again up
 * to `maximumRetryAttempts` times (1 minute, then 2 minutes later) while the event is younger than
 * `maximumEventAgeInSeconds`, then sends the event to the function's dead-letter queue, or discards
 * it when there is none. Retries are independent per event, so they also arrive out of order.
 * With a reserved concurrency, at most that many runs go at once; the rest wait in the queue.
 *
 * @example
 * const invocations = new AsyncInvocations({ functionName, run, config: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 } });
 * bus.registerFunctionTarget(rule, target, async (event) => invocations.invoke(event));
 */
export class AsyncInvocations {
  readonly stats: AsyncInvocationStats = {
    accepted: 0,
    runs: 0,
    functionErrors: 0,
    deadLettered: 0,
    dropped: 0,
    resumed: 0,
  };
  private readonly inFlight = new InFlight();
  private readonly journal: HandoffJournal;
  /** Runs started and not finished. */
  private running = 0;
  /** Attempts waiting for a free slot, first come first served. */
  private readonly ready: (() => void)[] = [];
  private readonly retryDelayMs: (retry: number) => number;
  private readonly now: () => number;
  private readonly logger: Pick<Console, "warn" | "error">;
  private stopped = false;

  constructor(private readonly props: AsyncInvocationsProps) {
    const { maximumRetryAttempts, maximumEventAgeInSeconds } = props.config;
    if (!Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < 0 || maximumRetryAttempts > 2) {
      throw new LocalRuntimeError(
        `${props.functionName}: maximumRetryAttempts must be an integer between 0 and 2 inclusive (given ${maximumRetryAttempts})`,
      );
    }
    const limit = props.reservedConcurrency;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new LocalRuntimeError(
        `${props.functionName}: reservedConcurrency must be a whole number of at least 1 (given ${limit})`,
      );
    }
    if (
      !Number.isInteger(maximumEventAgeInSeconds) ||
      maximumEventAgeInSeconds < 60 ||
      maximumEventAgeInSeconds > 21_600
    ) {
      throw new LocalRuntimeError(
        `${props.functionName}: maximumEventAgeInSeconds must be an integer between 60 and 21600 inclusive (given ${maximumEventAgeInSeconds})`,
      );
    }
    this.retryDelayMs = props.retryDelayMs ?? ((retry) => 60_000 * retry);
    this.now = props.now ?? Date.now;
    this.logger = props.logger ?? console;
    this.journal = props.journal ?? HandoffJournal.inMemory();
    for (const entry of this.journal.pending("invocation")) {
      if (entry.functionName !== props.functionName) continue;
      this.stats.resumed++;
      this.inFlight.begin();
      const invocation = { event: entry.event, requestId: entry.id, queuedAt: entry.queuedAt };
      this.inFlight.wait(
        Math.max(0, entry.dueAt - this.now()),
        () => void this.attempt(invocation, entry.retries),
        () => this.inFlight.end(),
      );
    }
  }

  /**
   * Queues one event and returns at once, as Invoke with InvocationType Event does.
   * @throws {LocalRuntimeError} once stopped (the Invoke call fails, so EventBridge retries it)
   * @throws {RequestEntityTooLargeError} when the event's JSON is over `maxPayloadBytes`, with
   * Lambda's message (nothing is queued; the caller's retry policy decides what follows)
   */
  invoke(event: EventBridgeEvent): void {
    if (this.stopped) {
      throw new LocalRuntimeError(`${this.props.functionName} is stopped and accepts no event`);
    }
    const limit = this.props.maxPayloadBytes ?? AWS_LIMITS.asyncInvokePayloadBytes;
    const bytes = Buffer.byteLength(JSON.stringify(event), "utf8");
    if (bytes > limit) {
      throw new RequestEntityTooLargeError(
        `${bytes} byte payload is too large for the Event invocation type (limit ${limit} bytes)`,
      );
    }
    this.stats.accepted++;
    this.inFlight.begin();
    const queuedAt = this.now();
    const requestId = randomUUID();
    // Journaled before Invoke returns, and before the bus journals its delivery as made: both go
    // to the same file in order, so a crash between them runs the event twice, never zero times.
    this.journal.put({
      kind: "invocation",
      id: requestId,
      functionName: this.props.functionName,
      event,
      queuedAt,
      retries: 0,
      dueAt: queuedAt,
    });
    setImmediate(() => void this.attempt({ event, requestId, queuedAt }, 0));
  }

  /** Resolves once no event is queued, running or waiting to retry. */
  drained(): Promise<void> {
    return this.inFlight.drained();
  }

  /**
   * Stops accepting events and waits for running ones. Events waiting to retry stay in the
   * journal for the next start (with `--data`), else they are discarded (logged).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const cancelled = this.inFlight.cancelWaiting();
    if (cancelled > 0) {
      this.logger.warn(
        this.journal.durable
          ? `${this.props.functionName} stopped with ${cancelled} event(s) waiting for a retry; they resume at the next start`
          : `${this.props.functionName} stopped with ${cancelled} event(s) waiting for a retry; they are discarded (--data keeps them)`,
      );
    }
    await this.drained();
  }

  /** Waits for a free slot under the reserved concurrency, then takes it. */
  private async slot(): Promise<void> {
    const limit = this.props.reservedConcurrency ?? Number.POSITIVE_INFINITY;
    if (this.running >= limit) await new Promise<void>((resolve) => this.ready.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.ready.shift()?.();
  }

  private async attempt(invocation: Invocation, retries: number): Promise<void> {
    const { event, requestId, queuedAt } = invocation;
    await this.slot();
    this.stats.runs++;
    let failure: unknown;
    try {
      await this.props.run(event, requestId);
      this.release();
      this.journal.done(requestId);
      this.inFlight.end();
      return;
    } catch (error) {
      failure = error;
    }
    this.release();
    this.stats.functionErrors++;
    const { maximumRetryAttempts, maximumEventAgeInSeconds } = this.props.config;
    // Up to half as long again, at random: a burst that failed together does not retry together.
    const delay = this.retryDelayMs(retries + 1) * (1 + Math.random() * RETRY_JITTER);
    const tooOld = this.now() + delay - queuedAt > maximumEventAgeInSeconds * 1000;
    if (retries < maximumRetryAttempts && !tooOld) {
      this.journal.update(requestId, retries + 1, this.now() + delay);
      const discard = () => {
        if (!this.journal.durable) this.stats.dropped++;
        this.inFlight.end();
      };
      if (this.stopped) discard();
      else this.inFlight.wait(delay, () => void this.attempt(invocation, retries + 1), discard);
      return;
    }
    const condition = retries >= maximumRetryAttempts ? "RetryAttemptsExhausted" : "EventAgeExceeded";
    await this.giveUp(invocation, failure, retries + 1, condition);
    this.journal.done(requestId);
    this.inFlight.end();
  }

  private async giveUp(
    { event, requestId }: Invocation,
    failure: unknown,
    attempts: number,
    condition: string,
  ): Promise<void> {
    const { functionName, deadLetter } = this.props;
    const message = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
    const summary = `event ${event.id} (${event["detail-type"]}) failed in ${functionName} ${attempts} time(s) (${condition}): ${message}`;
    if (deadLetter === undefined) {
      this.stats.dropped++;
      this.logger.warn(`${summary}; discarded — give the function a dead-letter queue to keep such events`);
      return;
    }
    try {
      await writeDeadLetter(
        deadLetter.dynamodb,
        deadLetter.tableName,
        {
          event,
          rule: "",
          target: functionName,
          eventBusName: deadLetter.eventBusName,
          deadLetterArn: deadLetter.arn,
          error: message,
          attempts,
          reason: `${summary}; fix the cause, then redrive the event kept in the "event" attribute (npm run redrive)`,
          // The message attributes Lambda puts on a dead letter.
          attributes: {
            RequestID: requestId,
            ErrorCode: FUNCTION_ERROR_STATUS,
            ErrorMessage: Buffer.from(message, "utf8").subarray(0, ERROR_MESSAGE_BYTES).toString("utf8"),
          },
        },
        new Date(this.now()),
      );
      this.stats.deadLettered++;
      this.logger.warn(`${summary}; sent to its dead-letter queue (${deadLetter.tableName})`);
    } catch (error) {
      this.stats.dropped++;
      this.logger.error(`${summary}; its dead letter could not be written: ${String(error)}`);
    }
  }
}
