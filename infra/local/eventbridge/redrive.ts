import { DeleteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { AWS_LIMITS } from "#commons/limits.ts";
import { type PutEventsLimits, packBySize } from "#commons/publisher.ts";
import { readSetAside } from "#commons/set-aside.ts";
import { SetAsideKinds } from "#schemas/set-aside.ts";
import { entrySize } from "./api.ts";

/** What a dead-letter redrive did. */
export interface RedriveDeadLettersResult {
  /** Ids of dead letters whose event was put on its bus again (items deleted). */
  readonly redriven: string[];
  /** Dead letters left in place, with why. */
  readonly failed: { readonly id: string; readonly reason: string }[];
}

interface DeadLetter {
  readonly id: string;
  readonly entry: PutEventsRequestEntry;
}

/**
 * Puts the events of the local dead letters (set-aside items with `kind: "dead-letter"`) back on
 * their bus with PutEvents and deletes each item whose entry was accepted.
 *
 * Like redriving an EventBridge dead-letter queue, the event goes to every rule that matches it,
 * not only the target that failed; consumers deduplicate on `detail.metadata.eventId`. An entry
 * PutEvents fails stays in the table with the error.
 *
 * @example
 * await redriveDeadLetters({ dynamodb, eventBridge, tableName: "ripple-set-aside" });
 */
export async function redriveDeadLetters(deps: {
  readonly dynamodb: DynamoDBClient;
  readonly eventBridge: EventBridgeClient;
  /** Physical name of the set-aside table. */
  readonly tableName: string;
  /** Which dead letters to redrive, e.g. one rule's. @default all */
  readonly select?: (item: {
    readonly rule: string;
    readonly target: string;
    readonly eventId: string;
  }) => boolean;
  /** PutEvents' byte limits the redriven events are packed by. @default AWS_LIMITS */
  readonly limits?: PutEventsLimits;
}): Promise<RedriveDeadLettersResult> {
  const letters: DeadLetter[] = [];
  const failed: { id: string; reason: string }[] = [];
  const { items, unreadable } = await readSetAside(deps.dynamodb, deps.tableName, {
    kind: SetAsideKinds.deadLetter,
  });
  failed.push(...unreadable.map(({ id, reason }) => ({ id, reason: `cannot be read: ${reason}` })));
  for (const item of items) {
    if (item.kind !== SetAsideKinds.deadLetter) continue;
    if (deps.select !== undefined && !deps.select(item)) continue;
    const { event } = item;
    letters.push({
      id: item.id,
      entry: {
        EventBusName: item.eventBusName,
        Source: event.source,
        DetailType: event["detail-type"],
        Detail: JSON.stringify(event.detail),
        Resources: event.resources,
        Time: new Date(event.time),
      },
    });
  }

  const redriven: string[] = [];
  for (const batch of batches(letters, deps.limits)) {
    const result = await deps.eventBridge.send(new PutEventsCommand({ Entries: batch.map((l) => l.entry) }));
    for (const [index, letter] of batch.entries()) {
      const answer = result.Entries?.[index];
      if (answer?.EventId === undefined) {
        failed.push({
          id: letter.id,
          reason: `PutEvents refused it: ${answer?.ErrorCode} ${answer?.ErrorMessage}`,
        });
        continue;
      }
      await deps.dynamodb.send(
        new DeleteItemCommand({ TableName: deps.tableName, Key: { id: { S: letter.id } } }),
      );
      redriven.push(letter.id);
    }
  }
  return { redriven, failed };
}

/** Groups dead letters into PutEvents requests of at most 10 entries and the request byte limit. */
function batches(letters: readonly DeadLetter[], limits: PutEventsLimits = AWS_LIMITS): DeadLetter[][] {
  return packBySize(letters, (letter) => entrySize(letter.entry as Record<string, unknown>), limits);
}
