import { DeleteItemCommand, type DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { entrySize, publishEntries } from "#commons/publisher.ts";

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

/** The fields of a kept EventBridge event that PutEvents takes back. */
interface KeptEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly detail: unknown;
  readonly resources?: string[];
  readonly time?: string;
}

/**
 * Puts the events of the local dead letters (set-aside items with `kind: "dead-letter"`) back on
 * their bus with PutEvents — through the fan-out's publisher, so batching, size limits and
 * retries of failed entries are the pipeline's own — and deletes each item whose entry was
 * accepted.
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
    readonly id: string;
    readonly rule: string;
    readonly target: string;
    readonly eventId: string;
  }) => boolean;
}): Promise<RedriveDeadLettersResult> {
  const letters: DeadLetter[] = [];
  const failed: { id: string; reason: string }[] = [];
  const pages = paginateScan(
    { client: deps.dynamodb },
    {
      TableName: deps.tableName,
      FilterExpression: "#kind = :deadLetter",
      ExpressionAttributeNames: { "#kind": "kind" },
      ExpressionAttributeValues: { ":deadLetter": { S: "dead-letter" } },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const id = item.id?.S ?? "";
      const selected = {
        id,
        rule: item.rule?.S ?? "",
        target: item.target?.S ?? "",
        eventId: item.eventId?.S ?? "",
      };
      if (deps.select !== undefined && !deps.select(selected)) continue;
      try {
        const event = JSON.parse(item.event?.S ?? "") as KeptEvent;
        letters.push({
          id,
          entry: {
            EventBusName: item.eventBusName?.S,
            Source: event.source,
            DetailType: event["detail-type"],
            Detail: JSON.stringify(event.detail),
            ...(event.resources === undefined || event.resources.length === 0
              ? {}
              : { Resources: event.resources }),
            ...(event.time === undefined ? {} : { Time: new Date(event.time) }),
          },
        });
      } catch (error) {
        failed.push({ id, reason: `the item's "event" attribute is not the event's JSON: ${String(error)}` });
      }
    }
  }
  const started = Date.now();
  const outcome = await publishEntries(
    deps.eventBridge,
    letters.map((l) => l.entry),
    { remainingTimeMs: () => 60_000 - (Date.now() - started) },
    letters.map((l) => entrySize(l.entry)),
  );
  const redriven: string[] = [];
  for (const [index, letter] of letters.entries()) {
    if (!outcome.delivered[index]) {
      failed.push({
        id: letter.id,
        reason: `PutEvents refused it: ${outcome.lastError[index] ?? "not delivered"}`,
      });
      continue;
    }
    await deps.dynamodb.send(
      new DeleteItemCommand({ TableName: deps.tableName, Key: { id: { S: letter.id } } }),
    );
    redriven.push(letter.id);
  }
  return { redriven, failed };
}
