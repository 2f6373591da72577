import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import type * as z from "zod";
import {
  type ConversionNotes,
  disguiseProtoKeys,
  type PlainValue,
  PROTO_STAND_IN,
  revealProtoKeys,
  type StreamAttributeValue,
  toPlainItem,
} from "#commons/attribute-values.ts";
import { eventsForChange, tableNameFromStreamArn } from "#commons/change-mapping.ts";
import { deterministicEventId } from "#commons/event-id.ts";
import { describeIssues } from "#commons/issues.ts";
import type { Limits } from "#commons/limits.ts";
import { deliveredEventSize, entrySize } from "#commons/publisher.ts";
import { isSealed } from "#commons/seal.ts";
import { type SetAsideEntry, setAsideId } from "#commons/set-aside.ts";
import type { ChangeKind, DomainEvent, EventMetadata } from "#schemas/domain-events.ts";
import type { FanOutConfig, FanOutSource, ResolvedSource } from "./config.ts";
import {
  LoopDepthExceededError,
  MalformedRecordError,
  OversizedEventError,
  SchemaViolationError,
  type SetAsideReason,
  UnknownSourceTableError,
} from "./errors.ts";

/** One PutEvents entry a record becomes, with its size as EventBridge counts it. */
export interface PreparedEvent {
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
  readonly eventId: string;
  readonly detailType: string;
  /** Source table as declared (the event's `metadata.table`), so no one re-parses `Detail` for it. */
  readonly table: string;
}

/** What a stream record becomes: events to publish and what to set aside instead. */
export interface RecordPlan {
  readonly events: PreparedEvent[];
  readonly setAside: SetAsideEntry[];
}

// Per-module caches for what repeats across the records of a batch (same shard ARN, same
// source and change kind, often the same second).
const tableByArn = new Map<string, string | undefined>();
const eventsByKind = new WeakMap<FanOutSource, Map<ChangeKind, readonly DomainEvent[]>>();
let lastSeconds = Number.NaN;
let lastChangedAt = "";

function tableOfArn(arn: string): string | undefined {
  let table = tableByArn.get(arn);
  if (table === undefined && !tableByArn.has(arn)) {
    table = tableNameFromStreamArn(arn);
    if (tableByArn.size > 1000) tableByArn.clear();
    tableByArn.set(arn, table);
  }
  return table;
}

function declaredEvents(source: FanOutSource, kind: ChangeKind): readonly DomainEvent[] {
  let byKind = eventsByKind.get(source);
  if (byKind === undefined) {
    byKind = new Map();
    eventsByKind.set(source, byKind);
  }
  let events = byKind.get(kind);
  if (events === undefined) {
    events = eventsForChange(source, kind);
    byKind.set(kind, events);
  }
  return events;
}

function isoOfSeconds(seconds: number): string {
  if (seconds !== lastSeconds) {
    lastChangedAt = new Date(seconds * 1000).toISOString();
    lastSeconds = seconds;
  }
  return lastChangedAt;
}

/** The change kind of a record: a REMOVE made by DynamoDB's TTL is an EXPIRE. */
export function changeKindOf(record: DynamoDBRecord): ChangeKind | undefined {
  switch (record.eventName) {
    case "INSERT":
    case "MODIFY":
      return record.eventName;
    case "REMOVE": {
      const identity = record.userIdentity as { type?: unknown; principalId?: unknown } | undefined;
      return identity?.type === "Service" && identity.principalId === "dynamodb.amazonaws.com"
        ? "EXPIRE"
        : "REMOVE";
    }
    default:
      return undefined;
  }
}

function describeRecordIssues(error: z.ZodError, data: unknown): string {
  return describeIssues(error, data, { name: (key) => (key === PROTO_STAND_IN ? "__proto__" : String(key)) });
}

function recordLevel(
  record: DynamoDBRecord,
  table: string,
  sequenceNumber: string,
  error: SetAsideReason,
): RecordPlan {
  return {
    events: [],
    setAside: [
      {
        id: setAsideId(table, sequenceNumber),
        reasonCode: error.name,
        reason: error.message,
        table,
        sequenceNumber,
        record,
      },
    ],
  };
}

/** What the checks of a record establish before its events are built. */
interface CheckedRecord {
  readonly record: DynamoDBRecord;
  readonly resolved: ResolvedSource;
  /** Source table as declared. */
  readonly table: string;
  readonly sequenceNumber: string;
  readonly kind: ChangeKind;
  readonly events: readonly DomainEvent[];
  readonly seconds: number;
}

/** A record whose keys and image were read as plain values. */
interface ReadRecord extends CheckedRecord {
  readonly keys: { [key: string]: PlainValue };
  readonly image: { [key: string]: PlainValue } | undefined;
  readonly notes: ConversionNotes;
}

/** Either what the next step needs, or the plan that sets the record aside (or skips it). */
type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly plan: RecordPlan };

const ok = <T>(value: T): Step<T> => ({ ok: true, value });
const stop = (plan: RecordPlan): Step<never> => ({ ok: false, plan });
/** A record, the table it is named by and its sequence number: what a record-level set-aside names. */
interface RecordAt {
  readonly record: DynamoDBRecord;
  readonly table: string;
  readonly sequenceNumber: string;
}

/** Sets the record `at` aside as a whole: its plan stops there. */
const refuse = (at: RecordAt, error: SetAsideReason): Step<never> =>
  stop(recordLevel(at.record, at.table, at.sequenceNumber, error));

/**
 * Maps one stream record to the domain events the declaration says its change becomes, ready to
 * publish, or to what must be set aside (with the reason) because it can never be published.
 *
 * Never throws: a record that cannot be mapped is described in `setAside`, so it does not block
 * its shard.
 */
export function planRecord(record: DynamoDBRecord, config: FanOutConfig): RecordPlan {
  const checked = checkRecord(record, config);
  if (!checked.ok) return checked.plan;
  const read = readImages(checked.value);
  if (!read.ok) return read.plan;
  const { events, sealBroken } = unsealedEvents(read.value);
  if (events.length === 0) return { events: [], setAside: [] };
  // A broken seal means the write was not the owning consumer's: the `rippleOrigin` it carries was
  // copied along with the item (a get-then-put around the API), so it is a producer's write, at
  // depth 0 — otherwise each such re-put would go one hop deeper until refused as a loop.
  const depth = sealBroken ? ok(0) : pipelineDepth(read.value, config.maxDepth);
  if (!depth.ok) return depth.plan;
  const plan: RecordPlan = { events: [], setAside: [] };
  for (const event of events) {
    const prepared = prepareEvent(read.value, event, depth.value, config.busName, config.limits);
    if ("entry" in prepared) plan.events.push(prepared);
    else plan.setAside.push(prepared);
  }
  return plan;
}

/** Sequence number, declared source, change kind and creation time of a record, each checked. */
function checkRecord(record: DynamoDBRecord, config: FanOutConfig): Step<CheckedRecord> {
  const stream = record.dynamodb;
  const physicalTable = tableOfArn(record.eventSourceARN ?? "") ?? "unknown";
  const sequenceNumber = stream?.SequenceNumber;
  if (sequenceNumber === undefined || !/^\d{1,40}$/.test(sequenceNumber)) {
    const at = {
      record,
      table: physicalTable,
      sequenceNumber: sequenceNumber ?? `eventID-${record.eventID ?? "unknown"}`,
    };
    return refuse(
      at,
      new MalformedRecordError(
        `stream record ${record.eventID ?? "(no eventID)"} has no valid dynamodb.SequenceNumber (given ${JSON.stringify(sequenceNumber)}); only records as DynamoDB Streams delivers them can be published`,
      ),
    );
  }
  const resolved = config.sources.get(physicalTable);
  if (resolved === undefined) {
    return refuse(
      { record, table: physicalTable, sequenceNumber },
      new UnknownSourceTableError(
        `table "${physicalTable}" (from eventSourceARN ${JSON.stringify(record.eventSourceARN)}) is not a declared stream source; declare it under sources in infra/pipeline.ts or remove it from the fan-out's event source mappings`,
      ),
    );
  }
  const table = resolved.declaredName;
  const kind = changeKindOf(record);
  if (kind === undefined) {
    return refuse(
      { record, table, sequenceNumber },
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} has eventName ${JSON.stringify(record.eventName)}; expected INSERT, MODIFY or REMOVE`,
      ),
    );
  }
  const events = declaredEvents(resolved.source, kind);
  if (events.length === 0) return stop({ events: [], setAside: [] });
  const seconds = stream?.ApproximateCreationDateTime;
  // Epoch seconds between 1970 and 5138: outside that the record is no DynamoDB record.
  if (typeof seconds !== "number" || !(seconds >= 0 && seconds < 1e11)) {
    return refuse(
      { record, table, sequenceNumber },
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} has no valid dynamodb.ApproximateCreationDateTime (given ${JSON.stringify(seconds)}); expected epoch seconds such as 1764518712`,
      ),
    );
  }
  return ok({ record, resolved, table, sequenceNumber, kind, events, seconds });
}

/**
 * A checked record with its images, built property by property: an object spread here made V8
 * keep the result as a slow dictionary object and took an eighth of the fan-out's time.
 */
function withImages(
  checked: CheckedRecord,
  keys: ReadRecord["keys"],
  image: ReadRecord["image"],
  notes: ConversionNotes,
): ReadRecord {
  const { record, resolved, table, sequenceNumber, kind, events, seconds } = checked;
  return { record, resolved, table, sequenceNumber, kind, events, seconds, keys, image, notes };
}

/** The record's keys and (for INSERT and MODIFY) new image as plain values. */
function readImages(checked: CheckedRecord): Step<ReadRecord> {
  const { record, table, sequenceNumber, kind } = checked;
  const stream = record.dynamodb;
  const notes: ConversionNotes = { protoKeys: 0 };
  try {
    if (stream?.Keys === undefined) throw new Error("dynamodb.Keys is missing");
    const keys = toPlainItem(stream.Keys as Record<string, StreamAttributeValue>);
    if (kind !== "INSERT" && kind !== "MODIFY") return ok(withImages(checked, keys, undefined, notes));
    if (stream.NewImage === undefined) {
      throw new Error(
        `dynamodb.NewImage is missing on this ${kind} record; set the table's stream view type to NEW_IMAGE`,
      );
    }
    const image = toPlainItem(stream.NewImage as Record<string, StreamAttributeValue>, "$", notes);
    return ok(withImages(checked, keys, image, notes));
  } catch (cause) {
    return refuse(
      checked,
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} cannot be read: ${(cause as Error).message}`,
        { cause },
      ),
    );
  }
}

/**
 * The record's events, less those declared `unlessSealed` whose item still carries the owning
 * consumer's seal over its attributes as they are now: such a change left what the consumer keeps
 * exactly as the consumer wrote it (the consumer's own write, or a write that did not touch its
 * attributes), so publishing it could only feed the consumer its own write back.
 */
function unsealedEvents(read: ReadRecord): { events: readonly DomainEvent[]; sealBroken: boolean } {
  const image = read.record.dynamodb?.NewImage as Record<string, Record<string, unknown>> | undefined;
  let sealBroken = false;
  const events = read.events.filter((event) => {
    const seal = read.resolved.source.changes.find(
      (c) => c.event === event && c.on.includes(read.kind),
    )?.unlessSealed;
    if (seal === undefined || image === undefined) return true;
    if (isSealed(image, seal)) return false;
    sealBroken = true;
    return true;
  });
  return { events, sealBroken };
}

/** How many pipeline hops deep the change was made (`rippleOrigin.depth` + 1), within `maxDepth`. */
function pipelineDepth(read: ReadRecord, maxDepth: number): Step<number> {
  const { table, sequenceNumber } = read;
  let depth = 0;
  const origin = read.image?.rippleOrigin;
  if (origin !== undefined && origin !== null && typeof origin === "object" && !Array.isArray(origin)) {
    const originDepth = Number(origin.depth);
    if (!Number.isSafeInteger(originDepth) || originDepth < 0) {
      return refuse(
        read,
        new SchemaViolationError(
          `record ${sequenceNumber} of ${table}: rippleOrigin.depth must be a whole number of 0 or more (given ${JSON.stringify(origin.depth)}); consumers stamp it as their event's depth`,
        ),
      );
    }
    depth = originDepth + 1;
  }
  if (depth > maxDepth) {
    return refuse(
      read,
      new LoopDepthExceededError(
        `record ${sequenceNumber} of ${table} was written ${depth} pipeline hops deep, over fanOut.maxDepth ${maxDepth}: publishing it would feed a loop; find the consumer named in rippleOrigin (${JSON.stringify(origin)}) that writes back into a source table`,
      ),
    );
  }
  return ok(depth);
}

/** One declared event of a read record: its PutEvents entry, or why it is set aside. */
function prepareEvent(
  read: ReadRecord,
  event: DomainEvent,
  depth: number,
  busName: string,
  limits: Pick<Limits, "putEventsEntryBytes" | "asyncInvokePayloadBytes">,
): PreparedEvent | SetAsideEntry {
  const { record, table, sequenceNumber, keys, image, notes, seconds } = read;
  // Schemas strip a key named __proto__ like no other; under a stand-in name it is validated and
  // kept (or stripped) by the same rules as any other key, then named __proto__ again.
  const input = notes.protoKeys > 0 && image !== undefined ? disguiseProtoKeys(image) : (image ?? keys);
  const detailType = event.detailType;
  const eventId = deterministicEventId(table, sequenceNumber, detailType);
  const parsed = event.dataSchema.safeParse(input);
  if (!parsed.success) {
    const error = new SchemaViolationError(
      `record ${sequenceNumber} of ${table} (item ${JSON.stringify(keys)}) does not fit ${detailType} v${event.version}: ${describeRecordIssues(parsed.error, input)}; fix the item (or the producer that wrote it) and redrive`,
      { cause: parsed.error },
    );
    return setAsideFor(record, table, sequenceNumber, eventId, detailType, error);
  }
  const metadata: EventMetadata = {
    eventId,
    version: event.version,
    table,
    change: read.kind,
    sequenceNumber,
    changedAt: isoOfSeconds(seconds),
    keys: keys as Record<string, string>,
    depth,
  };
  const entry: PutEventsRequestEntry = {
    Time: new Date(seconds * 1000),
    Source: event.source,
    DetailType: detailType,
    Detail: JSON.stringify({
      metadata,
      data: notes.protoKeys > 0 ? revealProtoKeys(parsed.data) : parsed.data,
    }),
    EventBusName: busName,
  };
  const size = entrySize(entry);
  const fix = "keep large content out of the item (e.g. in S3, referenced by key)";
  if (size > limits.putEventsEntryBytes) {
    const error = new OversizedEventError(
      `${eventWords(read, detailType)} is ${size} bytes; a PutEvents entry may be at most ${limits.putEventsEntryBytes} bytes (limits.putEventsEntryBytes); ${fix}`,
    );
    return setAsideFor(record, table, sequenceNumber, eventId, detailType, error);
  }
  // Published, it would reach no consumer: each takes it as an asynchronous invocation.
  const delivered = deliveredEventSize(entry);
  if (delivered > limits.asyncInvokePayloadBytes) {
    const error = new OversizedEventError(
      `${eventWords(read, detailType)} is ${size} bytes, within PutEvents' ${limits.putEventsEntryBytes}, but ${delivered} bytes as EventBridge delivers it to a consumer, whose asynchronous invocation takes at most ${limits.asyncInvokePayloadBytes} bytes (limits.asyncInvokePayloadBytes); ${fix}`,
    );
    return setAsideFor(record, table, sequenceNumber, eventId, detailType, error);
  }
  return { entry, size, eventId, detailType, table };
}

/** How a set-aside message names an event: built only for the events set aside. */
function eventWords(read: ReadRecord, detailType: string): string {
  return `${detailType} of record ${read.sequenceNumber} of ${read.table} (item ${JSON.stringify(read.keys)})`;
}

function setAsideFor(
  record: DynamoDBRecord,
  table: string,
  sequenceNumber: string,
  eventId: string,
  detailType: string,
  error: SetAsideReason,
): SetAsideEntry {
  return {
    id: setAsideId(table, sequenceNumber, detailType),
    reasonCode: error.name,
    reason: error.message,
    table,
    sequenceNumber,
    eventId,
    detailType,
    record,
  };
}
