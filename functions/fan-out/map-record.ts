import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import type { z } from "zod";
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
import { entrySize, MAX_REQUEST_BYTES, PUT_EVENTS_SIZE_LIMIT } from "#commons/publisher.ts";
import { type SetAsideEntry, setAsideId } from "#commons/set-aside.ts";
import type { ChangeKind, DomainEvent, EventMetadata } from "#schemas/domain-events.ts";
import type { FanOutConfig, FanOutSource } from "./config.ts";
import {
  type FanOutError,
  LoopDepthExceededError,
  MalformedRecordError,
  OversizedEventError,
  SchemaViolationError,
  UnknownSourceTableError,
} from "./errors.ts";

/** One PutEvents entry a record becomes, with its size as EventBridge counts it. */
export interface PreparedEvent {
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
  readonly eventId: string;
  readonly detailType: string;
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

function describeIssues(error: z.ZodError, data: unknown): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      let value: unknown = data;
      for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
      const given = value === undefined ? "missing" : JSON.stringify(value).slice(0, 100);
      const path = issue.path.map((key) => (key === PROTO_STAND_IN ? "__proto__" : String(key)));
      return `${path.join(".") || "(root)"}: ${issue.message} (given ${given})`;
    })
    .join("; ");
}

function recordLevel(
  record: DynamoDBRecord,
  table: string,
  sequenceNumber: string,
  error: FanOutError,
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

/**
 * Maps one stream record to the domain events the declaration says its change becomes, ready to
 * publish, or to what must be set aside (with the reason) because it can never be published.
 *
 * Never throws: a record that cannot be mapped is described in `setAside`, so it does not block
 * its shard.
 */
export function planRecord(record: DynamoDBRecord, config: FanOutConfig): RecordPlan {
  const stream = record.dynamodb;
  const physicalTable = tableOfArn(record.eventSourceARN ?? "") ?? "unknown";
  const sequenceNumber = stream?.SequenceNumber;
  if (sequenceNumber === undefined || !/^\d{1,40}$/.test(sequenceNumber)) {
    return recordLevel(
      record,
      physicalTable,
      sequenceNumber ?? `eventID-${record.eventID ?? "unknown"}`,
      new MalformedRecordError(
        `stream record ${record.eventID ?? "(no eventID)"} has no valid dynamodb.SequenceNumber (given ${JSON.stringify(sequenceNumber)}); only records as DynamoDB Streams delivers them can be published`,
      ),
    );
  }
  const resolved = config.sources.get(physicalTable);
  if (resolved === undefined) {
    return recordLevel(
      record,
      physicalTable,
      sequenceNumber,
      new UnknownSourceTableError(
        `table "${physicalTable}" (from eventSourceARN ${JSON.stringify(record.eventSourceARN)}) is not a declared stream source; declare it under sources in infra/pipeline.ts or remove it from the fan-out's event source mappings`,
      ),
    );
  }
  const table = resolved.declaredName;

  const kind = changeKindOf(record);
  if (kind === undefined) {
    return recordLevel(
      record,
      table,
      sequenceNumber,
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} has eventName ${JSON.stringify(record.eventName)}; expected INSERT, MODIFY or REMOVE`,
      ),
    );
  }
  const events = declaredEvents(resolved.source, kind);
  if (events.length === 0) return { events: [], setAside: [] };

  const seconds = stream?.ApproximateCreationDateTime;
  // Epoch seconds between 1970 and 5138: outside that the record is no DynamoDB record.
  if (typeof seconds !== "number" || !(seconds >= 0 && seconds < 1e11)) {
    return recordLevel(
      record,
      table,
      sequenceNumber,
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} has no valid dynamodb.ApproximateCreationDateTime (given ${JSON.stringify(seconds)}); expected epoch seconds such as 1764518712`,
      ),
    );
  }
  const changedAt = isoOfSeconds(seconds);

  let keys: { [key: string]: PlainValue };
  let image: { [key: string]: PlainValue } | undefined;
  const notes: ConversionNotes = { protoKeys: 0 };
  try {
    if (stream?.Keys === undefined) throw new Error("dynamodb.Keys is missing");
    keys = toPlainItem(stream.Keys as Record<string, StreamAttributeValue>);
    if (kind === "INSERT" || kind === "MODIFY") {
      if (stream.NewImage === undefined) {
        throw new Error(
          `dynamodb.NewImage is missing on this ${kind} record; set the table's stream view type to NEW_IMAGE`,
        );
      }
      image = toPlainItem(stream.NewImage as Record<string, StreamAttributeValue>, "$", notes);
    }
  } catch (cause) {
    return recordLevel(
      record,
      table,
      sequenceNumber,
      new MalformedRecordError(
        `record ${sequenceNumber} of ${table} cannot be read: ${(cause as Error).message}`,
        { cause },
      ),
    );
  }

  let depth = 0;
  const origin = image?.rippleOrigin;
  if (origin !== undefined && origin !== null && typeof origin === "object" && !Array.isArray(origin)) {
    const originDepth = Number(origin.depth);
    if (!Number.isSafeInteger(originDepth) || originDepth < 0) {
      return recordLevel(
        record,
        table,
        sequenceNumber,
        new SchemaViolationError(
          `record ${sequenceNumber} of ${table}: rippleOrigin.depth must be a whole number of 0 or more (given ${JSON.stringify(origin.depth)}); consumers stamp it as their event's depth`,
        ),
      );
    }
    depth = originDepth + 1;
  }
  if (depth > config.maxDepth) {
    return recordLevel(
      record,
      table,
      sequenceNumber,
      new LoopDepthExceededError(
        `record ${sequenceNumber} of ${table} was written ${depth} pipeline hops deep, over fanOut.maxDepth ${config.maxDepth}: publishing it would feed a loop; find the consumer named in rippleOrigin (${JSON.stringify(origin)}) that writes back into a source table`,
      ),
    );
  }

  // Schemas strip a key named __proto__ like no other; under a stand-in name it is validated and
  // kept (or stripped) by the same rules as any other key, then named __proto__ again.
  const input = notes.protoKeys > 0 && image !== undefined ? disguiseProtoKeys(image) : (image ?? keys);
  const plan: RecordPlan = { events: [], setAside: [] };
  for (const event of events) {
    const detailType = event.detailType;
    const eventId = deterministicEventId(table, sequenceNumber, detailType);
    const parsed = event.dataSchema.safeParse(input);
    if (!parsed.success) {
      const error = new SchemaViolationError(
        `record ${sequenceNumber} of ${table} does not fit ${detailType} v${event.version}: ${describeIssues(parsed.error, input)}; fix the item (or the producer that wrote it) and redrive`,
        { cause: parsed.error },
      );
      plan.setAside.push(setAsideFor(record, table, sequenceNumber, eventId, detailType, error));
      continue;
    }
    const metadata: EventMetadata = {
      eventId,
      version: event.version,
      table,
      change: kind,
      sequenceNumber,
      changedAt,
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
      EventBusName: config.busName,
    };
    const size = entrySize(entry);
    if (size > MAX_REQUEST_BYTES) {
      const error = new OversizedEventError(
        `${detailType} of record ${sequenceNumber} of ${table} is ${size} bytes; a PutEvents entry must be less than ${PUT_EVENTS_SIZE_LIMIT} bytes (256 KB); keep large content out of the item (e.g. in S3, referenced by key)`,
      );
      plan.setAside.push(setAsideFor(record, table, sequenceNumber, eventId, detailType, error));
      continue;
    }
    plan.events.push({ entry, size, eventId, detailType });
  }
  return plan;
}

function setAsideFor(
  record: DynamoDBRecord,
  table: string,
  sequenceNumber: string,
  eventId: string,
  detailType: string,
  error: FanOutError,
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
