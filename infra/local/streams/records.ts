import type {
  _Record,
  StreamRecord,
  AttributeValue as StreamsAttributeValue,
} from "@aws-sdk/client-dynamodb-streams";
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";

/**
 * Stream records as the DynamoDB Streams API returns them, turned into the exact shape Lambda's
 * event source mapping delivers (`DynamoDBStreamEvent.Records[]`).
 *
 * The SDK parses `ApproximateCreationDateTime` into a `Date` and binaries into `Uint8Array`;
 * Lambda delivers epoch seconds and base64 text, and adds `eventSourceARN`. DynamoDB Local writes
 * its own region, `ddblocal`, in `awsRegion` and in the stream's ARN; in AWS both name the table's
 * region, which is what handlers build clients from, so records carry the runtime's region (the
 * one its functions, bus and ARNs use). DynamoDB Local marks a
 * TTL deletion with an event name outside INSERT/MODIFY/REMOVE and no `userIdentity`; AWS delivers
 * it as a REMOVE whose `userIdentity` is the DynamoDB service, so that is what is delivered here.
 */

/** `userIdentity` of a REMOVE made by DynamoDB's TTL, as AWS delivers it. */
export const TTL_USER_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;

/** How long a DynamoDB stream keeps a record: records older than this are gone. */
export const STREAM_RETENTION_SECONDS = 24 * 60 * 60;

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** One attribute value from the SDK's parsed form to the JSON form Lambda delivers. */
export function toLambdaAttributeValue(value: StreamsAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: toBase64(value.B) };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(toBase64) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  // DynamoDB Local's streams write an empty map as `{}`, without its type (an empty list keeps
  // `{"L":[]}`); AWS delivers `{"M":{}}`. Thrown, it would stop the whole GetRecords page.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new TypeError(`unsupported attribute value ${JSON.stringify(value)}`);
}

/** A whole image (or key map) from the SDK's parsed form to Lambda's JSON form. */
export function toLambdaImage(image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttributeValue(value);
  return out;
}

/** Epoch seconds of the SDK's `ApproximateCreationDateTime` (a `Date`, or a number when unparsed). */
export function creationSeconds(value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.getTime() / 1000 : value;
}

const KNOWN_EVENT_NAMES = new Set(["INSERT", "MODIFY", "REMOVE"]);

/**
 * A stream ARN with its region field set to `region`, as AWS writes it for a table there.
 *
 * @example
 * streamArnInRegion("arn:aws:dynamodb:ddblocal:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432", "us-east-1");
 * // "arn:aws:dynamodb:us-east-1:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432"
 */
export function streamArnInRegion(streamArn: string, region: string): string {
  const fields = streamArn.split(":");
  if (fields.length < 6 || fields[0] !== "arn") {
    throw new TypeError(
      `${JSON.stringify(streamArn)} is not an ARN (arn:partition:service:region:account:resource)`,
    );
  }
  fields[3] = region;
  return fields.join(":");
}

/**
 * The record Lambda would deliver for one record returned by GetRecords, from a table in `region`.
 *
 * `eventSourceARN` and `awsRegion` both name `region` (see {@link streamArnInRegion}). Keys come
 * in the order Lambda writes them, so a JSON dump reads like a recorded AWS event.
 */
export function toLambdaRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const ddb: StreamRecord = record.dynamodb ?? {};
  const isTtlDeletion =
    record.eventName === undefined || !KNOWN_EVENT_NAMES.has(record.eventName)
      ? ddb.NewImage === undefined
      : false;
  const eventName = (isTtlDeletion ? "REMOVE" : record.eventName) as DynamoDBRecord["eventName"];
  const dynamodb: NonNullable<DynamoDBRecord["dynamodb"]> = {};
  const created = creationSeconds(ddb.ApproximateCreationDateTime);
  if (created !== undefined) dynamodb.ApproximateCreationDateTime = created;
  if (ddb.Keys !== undefined) dynamodb.Keys = toLambdaImage(ddb.Keys);
  if (ddb.NewImage !== undefined) dynamodb.NewImage = toLambdaImage(ddb.NewImage);
  if (ddb.OldImage !== undefined) dynamodb.OldImage = toLambdaImage(ddb.OldImage);
  if (ddb.SequenceNumber !== undefined) dynamodb.SequenceNumber = ddb.SequenceNumber;
  if (ddb.SizeBytes !== undefined) dynamodb.SizeBytes = ddb.SizeBytes;
  if (ddb.StreamViewType !== undefined) dynamodb.StreamViewType = ddb.StreamViewType;
  const out: DynamoDBRecord = {
    eventID: record.eventID,
    eventName,
    eventVersion: record.eventVersion ?? "1.1",
    eventSource: record.eventSource ?? "aws:dynamodb",
    awsRegion: region,
    dynamodb,
    eventSourceARN: streamArnInRegion(streamArn, region),
  };
  if (record.userIdentity !== undefined) {
    out.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  } else if (isTtlDeletion) {
    out.userIdentity = { ...TTL_USER_IDENTITY };
  }
  return out;
}

/**
 * Best estimate of when a record was written, in epoch milliseconds, that never makes it look
 * older than it is.
 *
 * `ApproximateCreationDateTime` is rounded down to the minute (by DynamoDB Local, and often by
 * AWS), so taken alone it can age a record by up to 59 s; the record cannot be younger than when
 * it was first read, nor older than that minute's end.
 */
export function estimatedCreationMs(creationSecondsValue: number | undefined, firstReadAtMs: number): number {
  if (creationSecondsValue === undefined) return firstReadAtMs;
  return Math.min(creationSecondsValue * 1000 + 59_999, firstReadAtMs);
}

/** Bytes the record takes in the invocation payload (its JSON, as Lambda sends it). */
export function payloadBytes(record: DynamoDBRecord): number {
  return Buffer.byteLength(JSON.stringify(record), "utf8");
}
