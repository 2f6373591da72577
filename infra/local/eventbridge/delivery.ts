import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { writeDeadLetter } from "../dead-letter.ts";
import { HandoffJournal } from "../handoff-journal.ts";
import { InFlight } from "../in-flight.ts";
import { TargetInvocationError } from "./errors.ts";
import type { EventBridgeEvent } from "./event.ts";

export type { EventBridgeEvent } from "./event.ts";

/** An in-process target: the local stand-in for a Lambda function the runtime runs itself. */
export type FunctionInvoker = (event: EventBridgeEvent) => Promise<void>;

/** A target's RetryPolicy, as PutTargets takes it. */
export interface RetryPolicy {
  /** 0–185. @default 185 */
  readonly maximumRetryAttempts: number;
  /** 60–86,400 s. @default 86400 */
  readonly maximumEventAgeInSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maximumRetryAttempts: 185,
  maximumEventAgeInSeconds: 86_400,
};

/** What delivery needs to know about one target of one rule. */
export interface DeliveryTarget {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly eventBusName: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly retryPolicy: RetryPolicy;
  /** ARN of the DeadLetterConfig; locally every dead letter goes to the set-aside table. */
  readonly deadLetterArn?: string;
  /** What the target receives instead of the whole event (`Input` / `InputPath`). */
  readonly transform?: (event: EventBridgeEvent) => unknown;
}

/** Counters of what delivery did, for tests, logs and the dashboard. */
export interface DeliveryStats {
  delivered: number;
  retried: number;
  deadLettered: number;
  /** Given up with no dead-letter queue (or the dead letter could not be written). */
  dropped: number;
  /** Accepted for a bus that does not exist: EventBridge accepts these and does nothing. */
  unknownBus: number;
  /** Deliveries a previous run left owed, taken up again at this start. */
  resumed: number;
}

export interface DeliveryProps {
  readonly dynamodb?: DynamoDBClient;
  /** Physical name of the table dead letters are written to. */
  readonly deadLetterTable?: string;
  /** Base of the exponential backoff between attempts. */
  readonly retryBaseDelayMs: number;
  /** Cap of one backoff delay. */
  readonly retryMaxDelayMs: number;
  readonly now: () => number;
  readonly logger: Pick<Console, "info" | "warn" | "error">;
  readonly functionFor: (
    ruleName: string,
    targetId: string,
    targetArn: string,
  ) => FunctionInvoker | undefined;
  /**
   * Where accepted deliveries are kept until made, so a stop or a crash loses none.
   * @default in memory: pending deliveries are dropped at a stop and lost in a crash
   */
  readonly journal?: HandoffJournal;
}

/**
 * Failures EventBridge does not retry: the target does not exist or may not be invoked, or an
 * HTTP target refused the event. Such events go straight to the dead-letter queue (or are
 * dropped without one) until the cause is fixed.
 */
const NOT_RETRIED: ReadonlySet<string> = new Set([
  "NO_RESOURCE",
  "NO_PERMISSIONS",
  "NON_RETRYABLE_HTTP_ERROR",
]);

/** HTTP statuses after which EventBridge retries an HTTP (API destination) target. */
const RETRYABLE_HTTP = (status: number) =>
  status === 401 || status === 407 || status === 409 || status === 429 || status >= 500;

/**
 * Delivers matched events to targets the way EventBridge does: asynchronously (PutEvents has
 * already answered), at least once, each target on its own, retrying failures with exponential
 * backoff and full jitter until the target's RetryPolicy is spent (attempts or event age), then
 * writing a dead letter when the target has a DeadLetterConfig, else dropping the event (counted
 * and logged). A target that does not exist (no function registered for it) or refuses the
 * event for good is not retried: its events go to the dead letter at once.
 */
export class Delivery {
  readonly stats: DeliveryStats = {
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    dropped: 0,
    unknownBus: 0,
    resumed: 0,
  };
  private readonly inFlight = new InFlight();
  private readonly journal: HandoffJournal;
  private readonly resumedIds = new Set<string>();
  private stopped = false;

  constructor(private readonly props: DeliveryProps) {
    this.journal = props.journal ?? HandoffJournal.inMemory();
  }

  /** Queues one event for one target; returns at once (see {@link Delivery.persisted}). */
  enqueue(target: DeliveryTarget, event: EventBridgeEvent, receivedAt: number): void {
    if (this.stopped) return;
    const id = randomUUID();
    this.journal.put({
      kind: "delivery",
      id,
      ruleName: target.ruleName,
      eventBusName: target.eventBusName,
      targetId: target.targetId,
      event,
      receivedAt,
      retries: 0,
      dueAt: receivedAt,
    });
    this.inFlight.begin();
    setImmediate(() => {
      void this.attempt(id, target, event, receivedAt, 0);
    });
  }

  /**
   * Resolves once every delivery queued so far is on disk: PutEvents answers only then, as
   * EventBridge answers once the event is stored.
   */
  persisted(): Promise<void> {
    return this.journal.persisted();
  }

  /**
   * Takes up the deliveries to one target that a previous run left owed, each with its attempt
   * count, age and next due time; call once the target can be invoked.
   */
  resume(ruleName: string, targetId: string, target: DeliveryTarget): void {
    for (const entry of this.journal.pending("delivery")) {
      if (entry.ruleName !== ruleName || entry.targetId !== targetId || this.resumedIds.has(entry.id))
        continue;
      this.resumedIds.add(entry.id);
      this.stats.resumed++;
      this.inFlight.begin();
      this.inFlight.wait(
        Math.max(0, entry.dueAt - this.props.now()),
        () => void this.attempt(entry.id, target, entry.event, entry.receivedAt, entry.retries),
        () => this.inFlight.end(),
      );
    }
  }

  /** Resolves once no event is waiting for, or in, delivery. */
  drained(): Promise<void> {
    return this.inFlight.drained();
  }

  /**
   * Stops taking events and waits for running invocations. Deliveries waiting to retry stay in
   * the journal for the next start (with `--data`), else they are dropped (logged).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const durable = this.journal.durable;
    const cancelled = this.inFlight.cancelWaiting();
    if (cancelled > 0) {
      this.props.logger.warn(
        durable
          ? `local EventBridge stopped with ${cancelled} deliveries waiting; they resume at the next start`
          : `local EventBridge stopped with ${cancelled} deliveries waiting to retry; they are dropped (--data keeps them)`,
      );
    }
    await this.drained();
  }

  private async attempt(
    id: string,
    target: DeliveryTarget,
    event: EventBridgeEvent,
    receivedAt: number,
    retries: number,
  ) {
    try {
      await this.invoke(target, event);
      this.stats.delivered++;
      this.journal.done(id);
      this.inFlight.end();
      return;
    } catch (error) {
      const failure =
        error instanceof TargetInvocationError
          ? error
          : new TargetInvocationError(
              "SDK_CLIENT_ERROR",
              error instanceof Error ? error.message : String(error),
              {
                cause: error,
              },
            );
      const retryable = !NOT_RETRIED.has(failure.code);
      const { maximumRetryAttempts, maximumEventAgeInSeconds } = target.retryPolicy;
      const ageExceeded = this.props.now() - receivedAt >= maximumEventAgeInSeconds * 1000;
      const exhausted = retries >= maximumRetryAttempts;
      if (retryable && !ageExceeded && !exhausted) {
        this.stats.retried++;
        const ceiling = Math.min(this.props.retryMaxDelayMs, this.props.retryBaseDelayMs * 2 ** retries);
        const delay = Math.random() * ceiling;
        this.journal.update(id, retries + 1, this.props.now() + delay);
        if (this.stopped) {
          // Kept in the journal for the next start, or dropped without one.
          if (!this.journal.durable) this.stats.dropped++;
          this.inFlight.end();
          return;
        }
        this.inFlight.wait(
          delay,
          () => void this.attempt(id, target, event, receivedAt, retries + 1),
          () => {
            if (!this.journal.durable) this.stats.dropped++;
            this.inFlight.end();
          },
        );
        return;
      }
      const condition = !retryable
        ? "NonRetryableError"
        : ageExceeded
          ? "MaximumEventAgeInSeconds"
          : "MaximumRetryAttempts";
      await this.giveUp(target, event, failure, retries, condition);
      this.journal.done(id);
      this.inFlight.end();
    }
  }

  private async invoke(target: DeliveryTarget, event: EventBridgeEvent): Promise<void> {
    const payload = target.transform === undefined ? event : target.transform(event);
    if (/^https?:\/\//.test(target.targetArn)) {
      let response: Response;
      try {
        response = await fetch(target.targetArn, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload),
        });
        await response.arrayBuffer();
      } catch (error) {
        throw new TargetInvocationError(
          "SDK_CLIENT_ERROR",
          `POST ${target.targetArn} failed: ${String(error)}`,
          {
            cause: error,
          },
        );
      }
      if (response.ok) return;
      const code =
        response.status === 429
          ? "THROTTLING"
          : RETRYABLE_HTTP(response.status)
            ? "SDK_CLIENT_ERROR"
            : "NON_RETRYABLE_HTTP_ERROR";
      throw new TargetInvocationError(code, `POST ${target.targetArn} answered HTTP ${response.status}`);
    }
    const invoke = this.props.functionFor(target.ruleName, target.targetId, target.targetArn);
    if (invoke === undefined) {
      // EventBridge sends an event for a target that does not exist straight to the DLQ.
      throw new TargetInvocationError(
        "NO_RESOURCE",
        `no function is registered for target "${target.targetId}" of rule "${target.ruleName}" (${target.targetArn}); call registerFunctionTarget before events arrive, then redrive the dead letters`,
      );
    }
    await invoke(payload as EventBridgeEvent);
  }

  private async giveUp(
    target: DeliveryTarget,
    event: EventBridgeEvent,
    failure: TargetInvocationError,
    retries: number,
    condition: string,
  ): Promise<void> {
    const where = `rule "${target.ruleName}" target "${target.targetId}"`;
    const { dynamodb, deadLetterTable } = this.props;
    if (target.deadLetterArn === undefined || dynamodb === undefined || deadLetterTable === undefined) {
      this.stats.dropped++;
      this.props.logger.warn(
        `local EventBridge dropped event ${event.id} for ${where} after ${retries + 1} attempts (${condition}): ${failure.message}` +
          (target.deadLetterArn === undefined
            ? "; set a DeadLetterConfig on the target to keep such events"
            : ""),
      );
      return;
    }
    const attempts = retries + 1;
    const letter = {
      event,
      rule: target.ruleName,
      target: target.targetId,
      eventBusName: target.eventBusName,
      deadLetterArn: target.deadLetterArn,
      error: failure.message,
      attempts,
      reason: `delivery of event ${event.id} (${event["detail-type"]}) to target "${target.targetId}" of rule "${target.ruleName}" failed ${attempts} time(s) and gave up (${condition}): ${failure.message}; fix the target, then redrive the event kept in the "event" attribute (npm run redrive)`,
      // The message attributes EventBridge puts on a dead letter.
      attributes: {
        RULE_ARN: target.ruleArn,
        TARGET_ARN: target.targetArn,
        ERROR_CODE: failure.code === "NON_RETRYABLE_HTTP_ERROR" ? "SDK_CLIENT_ERROR" : failure.code,
        ERROR_MESSAGE: failure.message,
        EXHAUSTED_RETRY_CONDITION: condition,
        RETRY_ATTEMPTS: retries,
      },
    };
    try {
      await writeDeadLetter(dynamodb, deadLetterTable, letter, new Date(this.props.now()));
      this.stats.deadLettered++;
      this.props.logger.warn(
        `local EventBridge dead-lettered event ${event.id} for ${where} into ${deadLetterTable}: ${failure.message}`,
      );
    } catch (error) {
      this.stats.dropped++;
      this.props.logger.error(
        `local EventBridge could not write the dead letter of event ${event.id} for ${where} to ${deadLetterTable}: ${String(error)}`,
      );
    }
  }
}
