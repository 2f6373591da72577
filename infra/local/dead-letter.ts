import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { writeSetAside } from "#commons/set-aside.ts";
import { type DeadLetterEvent, type DeadLetterSetAside, SetAsideKinds } from "#schemas/set-aside.ts";

/**
 * Local dead letters: events a service gave up on, written to the pipeline's set-aside table
 * (kind `dead-letter`) where AWS would send an SQS message to a dead-letter queue. Both the local
 * EventBridge (a target's DeadLetterConfig) and the local Lambda asynchronous invocation (a
 * function's dead-letter queue) write them; `npm run redrive` puts their events back on the bus.
 */
export interface DeadLetter {
  readonly event: DeadLetterEvent;
  /** Rule the event was delivered for ("" when it is not known, as in a function's own DLQ). */
  readonly rule: string;
  /** Target id or function name that failed. */
  readonly target: string;
  /** Bus the redrive puts the event back on. */
  readonly eventBusName: string;
  /** ARN of the dead-letter destination as configured. */
  readonly deadLetterArn: string;
  /** The last failure's message. */
  readonly error: string;
  readonly attempts: number;
  /** What went wrong and what to do, for the operator. */
  readonly reason: string;
  /** The message attributes AWS puts on such a dead letter (`RULE_ARN`…, or `RequestID`…). */
  readonly attributes: Readonly<Record<string, string | number>>;
}

/** The set-aside item of a dead letter, with the fields every set-aside item carries. */
export function deadLetterItem(letter: DeadLetter, now: Date): DeadLetterSetAside {
  const metadata = (letter.event.detail.metadata ?? {}) as Record<string, unknown>;
  const at = now.toISOString();
  return {
    kind: SetAsideKinds.deadLetter,
    id: `dead-letter#${randomUUID()}`,
    rule: letter.rule,
    target: letter.target,
    eventBusName: letter.eventBusName,
    event: letter.event,
    eventId: letter.event.id,
    detailType: letter.event["detail-type"],
    error: letter.error,
    attempts: letter.attempts,
    time: at,
    deadLetterArn: letter.deadLetterArn,
    reasonCode: "DeadLetter",
    reason: letter.reason,
    table: typeof metadata.table === "string" ? metadata.table : "unknown",
    sequenceNumber: typeof metadata.sequenceNumber === "string" ? metadata.sequenceNumber : "",
    setAsideAt: at,
    attributes: letter.attributes,
  };
}

/** Writes a dead letter to the set-aside table; returns the item's id. */
export async function writeDeadLetter(
  dynamodb: DynamoDBClient,
  tableName: string,
  letter: DeadLetter,
  now: Date,
): Promise<string> {
  const item = deadLetterItem(letter, now);
  await writeSetAside(dynamodb, tableName, item);
  return item.id;
}
