import { gunzipSync, gzipSync } from "node:zlib";
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { scanAll } from "./pages.ts";

/**
 * The set-aside table: stream records and events the pipeline could not deliver, kept with the
 * reason so an operator can fix the cause and redrive them.
 *
 * Items have a deterministic id, so setting the same thing aside again (a retried batch) writes
 * the same item instead of a second one. The whole record is kept: as JSON text when small, as
 * gzip in a Binary attribute when large, so the item stays under DynamoDB's 400 KB.
 */

/** Records whose JSON is larger than this are stored gzipped. */
export const SET_ASIDE_INLINE_LIMIT_BYTES = 64 * 1024;

/** Gzipped records larger than this are not stored (the item would exceed 400 KB). */
export const SET_ASIDE_MAX_RECORD_BYTES = 380 * 1024;

/** Why something was set aside, and where it came from. */
export interface SetAsideEntry {
  /** Deterministic id, see {@link setAsideId}. */
  readonly id: string;
  /** Machine-readable reason, the name of the error class (e.g. "SchemaViolationError"). */
  readonly reasonCode: string;
  /** What went wrong, the value, and the fix. */
  readonly reason: string;
  /** Source table name ("unknown" when the record names none). */
  readonly table: string;
  readonly sequenceNumber: string;
  /** Id of the event that could not be published, when the reason concerns one event. */
  readonly eventId?: string;
  readonly detailType?: string;
  /** The whole stream record as delivered. */
  readonly record: unknown;
}

/** A set-aside item as read back. */
export interface SetAsideItem extends Omit<SetAsideEntry, "record"> {
  readonly setAsideAt: string;
  /**
   * Who set it aside when not the fan-out: "dead-letter" (local EventBridge), "consumer-rejected",
   * "stream-batch-failure" (the local on-failure destination). Absent for the fan-out's records.
   */
  readonly kind?: string;
  /** The stream record, or undefined when it was too large to keep. */
  readonly record: unknown;
}

/**
 * Deterministic id of a set-aside item: per record (`table#sequenceNumber`) or per event of a
 * record (`table#sequenceNumber#detailType`).
 */
export function setAsideId(table: string, sequenceNumber: string, detailType?: string): string {
  return detailType === undefined ? `${table}#${sequenceNumber}` : `${table}#${sequenceNumber}#${detailType}`;
}

/** The PutItem item of a set-aside entry. */
export function setAsideItem(entry: SetAsideEntry, now: Date = new Date()): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    id: { S: entry.id },
    reasonCode: { S: entry.reasonCode },
    reason: { S: entry.reason },
    table: { S: entry.table },
    sequenceNumber: { S: entry.sequenceNumber },
    setAsideAt: { S: now.toISOString() },
  };
  if (entry.eventId !== undefined) item.eventId = { S: entry.eventId };
  if (entry.detailType !== undefined) item.detailType = { S: entry.detailType };
  const json = JSON.stringify(entry.record) ?? "null";
  if (Buffer.byteLength(json, "utf8") <= SET_ASIDE_INLINE_LIMIT_BYTES) {
    item.record = { S: json };
  } else {
    const gzipped = gzipSync(json);
    if (gzipped.byteLength <= SET_ASIDE_MAX_RECORD_BYTES) item.recordGzip = { B: gzipped };
    else item.recordOmitted = { S: `record is ${gzipped.byteLength} bytes gzipped, too large to keep` };
  }
  return item;
}

/**
 * Writes a set-aside entry (idempotent: the same id overwrites the same item).
 *
 * @param options.abortSignal - Abandons the write when it fires (e.g. when the invocation's time
 * runs out), as every SDK call takes it.
 */
export async function writeSetAside(
  client: DynamoDBClient,
  tableName: string,
  entry: SetAsideEntry,
  now?: Date,
  options: { readonly abortSignal?: AbortSignal } = {},
): Promise<void> {
  await client.send(
    new PutItemCommand({ TableName: tableName, Item: setAsideItem(entry, now) }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
}

/** Decodes a set-aside item read from DynamoDB. */
export function fromSetAsideItem(item: Record<string, AttributeValue>): SetAsideItem {
  let record: unknown;
  if (item.record?.S !== undefined) record = JSON.parse(item.record.S);
  else if (item.recordGzip?.B !== undefined)
    record = JSON.parse(gunzipSync(item.recordGzip.B).toString("utf8"));
  return {
    id: item.id?.S ?? "",
    reasonCode: item.reasonCode?.S ?? "",
    reason: item.reason?.S ?? "",
    table: item.table?.S ?? "",
    sequenceNumber: item.sequenceNumber?.S ?? "",
    setAsideAt: item.setAsideAt?.S ?? "",
    ...(item.eventId?.S === undefined ? {} : { eventId: item.eventId.S }),
    ...(item.detailType?.S === undefined ? {} : { detailType: item.detailType.S }),
    ...(item.kind?.S === undefined ? {} : { kind: item.kind.S }),
    record,
  };
}

/** Reads every set-aside item (a full scan: the table holds only what needs an operator). */
export async function readSetAside(client: DynamoDBClient, tableName: string): Promise<SetAsideItem[]> {
  return (await scanAll(client, { TableName: tableName })).map(fromSetAsideItem);
}

/** Deletes a set-aside item once it has been redriven. */
export async function deleteSetAside(client: DynamoDBClient, tableName: string, id: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
}
