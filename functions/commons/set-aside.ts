import { gunzipSync, gzipSync } from "node:zlib";
import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import {
  DeadLetterSetAsideSchema,
  type SetAsideItem,
  SetAsideItemSchema,
  type SetAsideKind,
  SetAsideKinds,
  type StreamRecordSetAside,
} from "#schemas/set-aside.ts";
import { type AttributeMap, scanAll } from "./pages.ts";

/**
 * The set-aside table in DynamoDB: every set-aside item is written by {@link encodeSetAside} and
 * read by {@link decodeSetAside}, both through `SetAsideItemSchema` (`schemas/set-aside.ts`).
 *
 * Stored form, kept as redrive has always read it: a stream record has no `kind` attribute; a
 * record is JSON text in `record` when small, gzip in the Binary `recordGzip` when large (so the
 * item stays under DynamoDB's 400 KB), or only described in `recordOmitted` when too large even
 * then; a dead letter keeps its event as JSON text in `event` and its message attributes as
 * top-level attributes.
 */

/** Records whose JSON is larger than this are stored gzipped. */
export const SET_ASIDE_INLINE_LIMIT_BYTES = 64 * 1024;

/** Gzipped records larger than this are not stored (the item would exceed 400 KB). */
export const SET_ASIDE_MAX_RECORD_BYTES = 380 * 1024;

/** What the fan-out plans to set aside for a record; stamped with the time when written. */
export type SetAsideEntry = Omit<StreamRecordSetAside, "kind" | "setAsideAt" | "recordOmitted">;

/** A set-aside item that does not fit the schema, with why: listed, never redriven blindly. */
export interface UnreadableSetAside {
  readonly id: string;
  /** Its `kind` attribute as stored (`stream-record` when it has none). */
  readonly kind: string;
  readonly reason: string;
}

/** Every set-aside item read, and those that could not be. */
export interface SetAsideListing {
  readonly items: SetAsideItem[];
  readonly unreadable: UnreadableSetAside[];
}

/**
 * Deterministic id of a set-aside item: per record (`table#sequenceNumber`) or per event of a
 * record (`table#sequenceNumber#detailType`).
 */
export function setAsideId(table: string, sequenceNumber: string, detailType?: string): string {
  return detailType === undefined ? `${table}#${sequenceNumber}` : `${table}#${sequenceNumber}#${detailType}`;
}

/** The attributes that keep a record: inline JSON, gzip, or why it is not kept. */
function recordAttributes(record: unknown): AttributeMap {
  const json = JSON.stringify(record) ?? "null";
  if (Buffer.byteLength(json, "utf8") <= SET_ASIDE_INLINE_LIMIT_BYTES) return { record: { S: json } };
  const gzipped = gzipSync(json);
  if (gzipped.byteLength <= SET_ASIDE_MAX_RECORD_BYTES) return { recordGzip: { B: gzipped } };
  return { recordOmitted: { S: `record is ${gzipped.byteLength} bytes gzipped, too large to keep` } };
}

/**
 * The DynamoDB item of a set-aside item, in the stored form described above.
 *
 * @example
 * encodeSetAside({ kind: "stream-record", id: "pets#1", reasonCode: "SchemaViolationError", … });
 */
export function encodeSetAside(item: SetAsideItem): AttributeMap {
  const plain = (fields: object) => marshall(fields, { removeUndefinedValues: true });
  switch (item.kind) {
    case SetAsideKinds.streamRecord: {
      const { kind: _stored_without_kind, record, recordOmitted, ...fields } = item;
      return {
        ...plain(fields),
        ...(recordOmitted === undefined ? recordAttributes(record) : { recordOmitted: { S: recordOmitted } }),
      };
    }
    case SetAsideKinds.deadLetter: {
      const { event, attributes, ...fields } = item;
      return { ...plain(attributes), ...plain(fields), event: { S: JSON.stringify(event) } };
    }
    default: {
      const { record, ...fields } = item;
      return { ...plain(fields), ...recordAttributes(record) };
    }
  }
}

function decodeRecord(attributes: AttributeMap): unknown {
  if (attributes.record?.S !== undefined) return JSON.parse(attributes.record.S);
  if (attributes.recordGzip?.B !== undefined)
    return JSON.parse(gunzipSync(attributes.recordGzip.B).toString("utf8"));
  return undefined;
}

/** The fields of a stored item in the schema's shape: kind filled in, record and event parsed. */
function schemaShape(attributes: AttributeMap): Record<string, unknown> {
  const { record: _r, recordGzip: _g, ...rest } = attributes;
  const fields: Record<string, unknown> = unmarshall(rest);
  const kind = fields.kind ?? SetAsideKinds.streamRecord;
  if (kind !== SetAsideKinds.deadLetter) return { ...fields, kind, record: decodeRecord(attributes) };
  const known = new Set(Object.keys(DeadLetterSetAsideSchema.shape));
  return {
    ...Object.fromEntries(Object.entries(fields).filter(([key]) => known.has(key))),
    event: typeof fields.event === "string" ? JSON.parse(fields.event) : fields.event,
    attributes: Object.fromEntries(Object.entries(fields).filter(([key]) => !known.has(key))),
  };
}

/**
 * A set-aside item read from DynamoDB, checked against the schema (`safeParse` style): an item
 * that does not fit says which attribute and why, so one bad item never hides the others.
 */
export function decodeSetAside(
  attributes: AttributeMap,
): { success: true; data: SetAsideItem } | { success: false; error: UnreadableSetAside } {
  const id = attributes.id?.S ?? "(no id)";
  const kind = attributes.kind?.S ?? SetAsideKinds.streamRecord;
  let shape: Record<string, unknown>;
  try {
    shape = schemaShape(attributes);
  } catch (cause) {
    return {
      success: false,
      error: { id, kind, reason: `its record or event is not JSON: ${(cause as Error).message}` },
    };
  }
  const parsed = SetAsideItemSchema.safeParse(shape);
  if (parsed.success) return { success: true, data: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(item)"}: ${issue.message}`)
    .join("; ");
  return { success: false, error: { id, kind, reason: `it does not fit the set-aside schema: ${issues}` } };
}

/**
 * The item `consumer.ts` writes for a rejected event before it adds `kind` and `consumer`: the
 * stored form of a set-aside item without its kind.
 */
export function setAsideItem(
  entry: Omit<SetAsideEntry, "reasonCode"> & { readonly reasonCode: string },
  now: Date = new Date(),
): AttributeMap {
  const { record, ...fields } = entry;
  return {
    ...marshall({ ...fields, setAsideAt: now.toISOString() }, { removeUndefinedValues: true }),
    ...recordAttributes(record),
  };
}

/**
 * Writes a set-aside item (idempotent where its id is deterministic: the same id overwrites the
 * same item).
 *
 * @param options.abortSignal - Abandons the write when it fires (e.g. when the invocation's time
 * runs out), as every SDK call takes it.
 */
export async function writeSetAside(
  client: DynamoDBClient,
  tableName: string,
  item: SetAsideItem,
  options: { readonly abortSignal?: AbortSignal } = {},
): Promise<void> {
  await client.send(
    new PutItemCommand({ TableName: tableName, Item: encodeSetAside(item) }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
}

/** The scan filter that keeps one kind (a stream record is the item without a `kind`). */
function kindFilter(kind: SetAsideKind) {
  return kind === SetAsideKinds.streamRecord
    ? { FilterExpression: "attribute_not_exists(#kind)", ExpressionAttributeNames: { "#kind": "kind" } }
    : {
        FilterExpression: "#kind = :kind",
        ExpressionAttributeNames: { "#kind": "kind" },
        ExpressionAttributeValues: { ":kind": { S: kind } },
      };
}

/**
 * Reads every set-aside item, or those of one kind (a full scan: the table holds only what needs
 * an operator). Items that do not fit the schema are listed apart in `unreadable`.
 */
export async function readSetAside(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly kind?: SetAsideKind } = {},
): Promise<SetAsideListing> {
  const scanned = await scanAll(client, {
    TableName: tableName,
    ...(options.kind === undefined ? {} : kindFilter(options.kind)),
  });
  const items: SetAsideItem[] = [];
  const unreadable: UnreadableSetAside[] = [];
  for (const attributes of scanned) {
    const decoded = decodeSetAside(attributes);
    if (decoded.success) items.push(decoded.data);
    else unreadable.push(decoded.error);
  }
  return { items, unreadable };
}

/** Deletes a set-aside item once it has been redriven. */
export async function deleteSetAside(client: DynamoDBClient, tableName: string, id: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
}
