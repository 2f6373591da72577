import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { tableNameFromStreamArn } from "#commons/change-mapping.ts";
import { type PublishOptions, publishEntries } from "#commons/publisher.ts";
import { deleteSetAside, readSetAside } from "#commons/set-aside.ts";
import { SetAsideKinds } from "#schemas/set-aside.ts";
import type { FanOutConfig } from "./config.ts";
import { planRecord, type RecordPlan } from "./map-record.ts";

/**
 * What redriving one set-aside record comes to (or would, on a dry run):
 * - `redriven`: the item as it is now maps; its events are published afresh, the entry cleared;
 * - `remaining`: the item as it is now still cannot be published; the entry stays, with this reason;
 * - `cleared`: the item has been deleted since; its removal went through the pipeline on its own,
 *   so there is nothing to publish and the entry is cleared, with a note.
 */
export type RedriveOutcome =
  | { readonly id: string; readonly outcome: "redriven"; readonly note: string }
  | { readonly id: string; readonly outcome: "remaining"; readonly reason: string }
  | { readonly id: string; readonly outcome: "cleared"; readonly note: string };

/** What a redrive did (or would do) with each set-aside record. */
export interface RedriveResult {
  /** Ids of items whose record now maps and whose events were published (items deleted). */
  readonly redriven: string[];
  /** Items left in place, with why they still cannot be published. */
  readonly remaining: { readonly id: string; readonly reason: string }[];
  /** Items whose source item has been deleted since (entries deleted), with a note. */
  readonly cleared: { readonly id: string; readonly note: string }[];
  /** Every item's outcome, in the order read. */
  readonly outcomes: RedriveOutcome[];
}

function keyText(keys: Record<string, AttributeValue> | undefined): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(keys ?? {}).map(([name, value]) => [name, value.S ?? value.N ?? "…"])),
  );
}

/** Binary key values come back from the set-aside JSON as base64; the SDK wants bytes. */
function sdkKey(keys: Record<string, unknown>): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(keys).map(([name, value]) => {
      const v = value as { B?: unknown };
      return [name, typeof v.B === "string" ? { B: Buffer.from(v.B, "base64") } : (value as AttributeValue)];
    }),
  );
}

type Fresh =
  | { readonly kind: "plan"; readonly plan: RecordPlan; readonly note: string }
  | { readonly kind: "deleted"; readonly note: string }
  | { readonly kind: "unreadable"; readonly reason: string };

/**
 * The stream record of a set-aside item, with its image replaced by the item as it is now: the
 * record carries the key, so a fixed item maps afresh and a deleted one is recognised. A record
 * of a removal, or of a table that is no declared source, is planned as it was delivered.
 */
async function planAsNow(
  dynamodb: DynamoDBClient,
  config: FanOutConfig,
  record: DynamoDBRecord,
): Promise<Fresh> {
  const physical = tableNameFromStreamArn(record.eventSourceARN ?? "");
  const keys = record.dynamodb?.Keys as Record<string, unknown> | undefined;
  const isWrite = record.eventName === "INSERT" || record.eventName === "MODIFY";
  if (physical === undefined || !config.sources.has(physical) || keys === undefined || !isWrite) {
    return { kind: "plan", plan: planRecord(record, config), note: "the record as delivered maps now" };
  }
  const item = `item ${keyText(keys as Record<string, AttributeValue>)} of ${physical}`;
  let current: Record<string, AttributeValue> | undefined;
  try {
    const got = await dynamodb.send(
      new GetItemCommand({ TableName: physical, Key: sdkKey(keys), ConsistentRead: true }),
    );
    current = got.Item;
  } catch (error) {
    return {
      kind: "unreadable",
      reason: `cannot read ${item} as it is now (${(error as Error).name}: ${(error as Error).message}); check the table exists and the credentials may read it`,
    };
  }
  if (current === undefined) {
    return {
      kind: "deleted",
      note: `${item} has been deleted since it was set aside; its removal went through the pipeline, nothing to publish`,
    };
  }
  const fresh = { ...record, dynamodb: { ...record.dynamodb, NewImage: current } } as DynamoDBRecord;
  return { kind: "plan", plan: planRecord(fresh, config), note: `${item} as it is now fits its schema` };
}

/**
 * Redrives the stream records the fan-out set aside (items without a `kind`), reading each item
 * as it is now: a fixed item is mapped afresh and published, and its entry deleted; one still bad
 * stays with its current reason; one deleted since is cleared with a note. Event ids are
 * deterministic and the record keeps its sequence number, so consumers deduplicate a redriven
 * event and ignore it when a later change of the item was applied already.
 *
 * @param deps.dryRun - decide each outcome without publishing or deleting anything.
 */
export async function redrive(deps: {
  readonly eventBridge: EventBridgeClient;
  readonly dynamodb: DynamoDBClient;
  readonly config: FanOutConfig;
  /** @default false */
  readonly dryRun?: boolean;
  /** @default 60 s from the start */
  readonly remainingTimeMs?: () => number;
  readonly publish?: Omit<PublishOptions, "remainingTimeMs">;
  /** Which set-aside items to redrive, by id. @default all */
  readonly select?: (id: string) => boolean;
}): Promise<RedriveResult> {
  const started = Date.now();
  const remainingTimeMs = deps.remainingTimeMs ?? (() => 60_000 - (Date.now() - started));
  const outcomes: RedriveOutcome[] = [];
  // Dead letters, rejected events and batch descriptions share the table; they are not records.
  const listing = await readSetAside(deps.dynamodb, deps.config.setAsideTableName, {
    kind: SetAsideKinds.streamRecord,
  });
  const selected = deps.select ?? (() => true);
  for (const { id, reason } of listing.unreadable) {
    if (!selected(id)) continue;
    outcomes.push({ id, outcome: "remaining", reason: `cannot be read: ${reason}` });
  }
  for (const item of listing.items) {
    if (item.kind !== SetAsideKinds.streamRecord || !selected(item.id)) continue;
    if (item.record === undefined) {
      outcomes.push({
        id: item.id,
        outcome: "remaining",
        reason: `record was too large to keep; ${item.reason}`,
      });
      continue;
    }
    const fresh = await planAsNow(deps.dynamodb, deps.config, item.record as DynamoDBRecord);
    if (fresh.kind === "unreadable") {
      outcomes.push({ id: item.id, outcome: "remaining", reason: fresh.reason });
      continue;
    }
    if (fresh.kind === "deleted") {
      if (deps.dryRun !== true) await deleteSetAside(deps.dynamodb, deps.config.setAsideTableName, item.id);
      outcomes.push({ id: item.id, outcome: "cleared", note: fresh.note });
      continue;
    }
    const blocked = fresh.plan.setAside[0];
    if (blocked !== undefined) {
      // The entry keeps the reason of the item as it is now, not the one it was set aside with.
      if (deps.dryRun !== true && blocked.reason !== item.reason) {
        await deps.dynamodb.send(
          new UpdateItemCommand({
            TableName: deps.config.setAsideTableName,
            Key: { id: { S: item.id } },
            UpdateExpression: "SET reason = :reason, reasonCode = :code",
            ExpressionAttributeValues: {
              ":reason": { S: blocked.reason },
              ":code": { S: blocked.reasonCode },
            },
          }),
        );
      }
      outcomes.push({ id: item.id, outcome: "remaining", reason: blocked.reason });
      continue;
    }
    if (deps.dryRun !== true) {
      const events = fresh.plan.events;
      const outcome = await publishEntries(
        deps.eventBridge,
        events.map((e) => e.entry),
        { ...deps.publish, remainingTimeMs },
        events.map((e) => e.size),
      );
      const failed = outcome.delivered.indexOf(false);
      if (failed >= 0) {
        outcomes.push({
          id: item.id,
          outcome: "remaining",
          reason: `PutEvents failed: ${outcome.lastError[failed]}`,
        });
        continue;
      }
      await deleteSetAside(deps.dynamodb, deps.config.setAsideTableName, item.id);
    }
    outcomes.push({ id: item.id, outcome: "redriven", note: fresh.note });
  }
  return {
    redriven: outcomes.flatMap((o) => (o.outcome === "redriven" ? [o.id] : [])),
    remaining: outcomes.flatMap((o) => (o.outcome === "remaining" ? [{ id: o.id, reason: o.reason }] : [])),
    cleared: outcomes.flatMap((o) => (o.outcome === "cleared" ? [{ id: o.id, note: o.note }] : [])),
    outcomes,
  };
}
