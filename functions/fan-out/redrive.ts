import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { type PublishOptions, publishEntries } from "#commons/publisher.ts";
import { deleteSetAside, readSetAside } from "#commons/set-aside.ts";
import { SetAsideKinds } from "#schemas/set-aside.ts";
import type { FanOutConfig } from "./config.ts";
import { planRecord } from "./map-record.ts";

/** What a redrive did with each set-aside item. */
export interface RedriveResult {
  /** Ids of items whose record now maps and whose events were published (items deleted). */
  readonly redriven: string[];
  /** Items left in place, with why they still cannot be published. */
  readonly remaining: { readonly id: string; readonly reason: string }[];
}

/**
 * Re-reads the set-aside table and republishes the stream records (kind `stream-record`) that now map (after an operator fixed
 * the item, the producer, or the declaration), deleting their items; the rest stay, each with its
 * current reason. Event ids are deterministic, so a redriven event carries the id consumers
 * deduplicate on.
 */
export async function redrive(deps: {
  readonly eventBridge: EventBridgeClient;
  readonly dynamodb: DynamoDBClient;
  readonly config: FanOutConfig;
  /** @default 60 s from the start */
  readonly remainingTimeMs?: () => number;
  readonly publish?: Omit<PublishOptions, "remainingTimeMs">;
}): Promise<RedriveResult> {
  const started = Date.now();
  const remainingTimeMs = deps.remainingTimeMs ?? (() => 60_000 - (Date.now() - started));
  const redriven: string[] = [];
  const remaining: { id: string; reason: string }[] = [];
  const listing = await readSetAside(deps.dynamodb, deps.config.setAsideTableName, {
    kind: SetAsideKinds.streamRecord,
  });
  remaining.push(
    ...listing.unreadable.map(({ id, reason }) => ({ id, reason: `cannot be read: ${reason}` })),
  );
  for (const item of listing.items) {
    if (item.kind !== SetAsideKinds.streamRecord) continue;
    if (item.record === undefined) {
      remaining.push({ id: item.id, reason: `record was too large to keep; ${item.reason}` });
      continue;
    }
    const plan = planRecord(item.record as DynamoDBRecord, deps.config);
    const blocked = plan.setAside[0];
    if (blocked !== undefined) {
      remaining.push({ id: item.id, reason: blocked.reason });
      continue;
    }
    const outcome = await publishEntries(
      deps.eventBridge,
      plan.events.map((e) => e.entry),
      { ...deps.publish, remainingTimeMs },
      plan.events.map((e) => e.size),
    );
    const failed = outcome.delivered.indexOf(false);
    if (failed >= 0) {
      remaining.push({ id: item.id, reason: `PutEvents failed: ${outcome.lastError[failed]}` });
      continue;
    }
    await deleteSetAside(deps.dynamodb, deps.config.setAsideTableName, item.id);
    redriven.push(item.id);
  }
  return { redriven, remaining };
}
