import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { writeSetAside } from "#commons/set-aside.ts";
import { SetAsideKinds, type StreamBatchFailureCondition } from "#schemas/set-aside.ts";

/**
 * The on-failure destination of a stream event source mapping: what Lambda sends when it gives up
 * on a batch, and where the local runtime keeps it.
 *
 * To an S3 destination Lambda writes one object per given-up batch: the invocation record
 * (request and response context, `DDBStreamBatchInfo`) with the whole invocation event — the
 * records themselves — under `payload`, at `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/
 * YYYY-MM-DDTHH.MM.SS-<random UUID>`. SQS and SNS destinations get the invocation record alone.
 * Locally the object goes to the on-failure store (a folder with the same key layout) and the
 * set-aside table gets one item per given-up batch, `kind` "stream-batch-failure", with the
 * invocation record as its `record` and the object's path as `object`: the dashboard lists it and
 * `npm run redrive` replays the object's records.
 */

/** Why Lambda gave up on a batch, with AWS's spelling. */
export type FailureCondition = StreamBatchFailureCondition;

/**
 * The invocation record Lambda sends to an on-failure destination for a DynamoDB stream batch,
 * field for field as AWS writes it (docs/parity.md cites the validated records).
 */
export interface StreamInvocationRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailureCondition;
    /**
     * Invocations of the batch. A batch given up for its age before any invocation still reports
     * 1, as Lambda does.
     */
    readonly approximateInvokeCount: number;
  };
  /**
   * How the last invocation answered. Lambda sends it with `RetryAttemptsExhausted` only; a batch
   * given up for its age (`RecordAgeExceeded`) carries none, invoked or not.
   */
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    /**
     * "Unhandled" when the function threw or timed out; `null` when it returned, whether with a
     * partial failure or with a `batchItemFailures` Lambda could not read.
     */
    readonly functionError: "Unhandled" | null;
  };
  readonly version: "1.0";
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** How the last invocation of a given-up batch ended. */
export interface LastInvocation {
  readonly requestId: string;
  /** True when it threw or timed out; false when it returned anything, a malformed response included. */
  readonly functionError: boolean;
}

/** Seconds-precision ISO time, as Lambda writes `approximateArrivalOf…` for DynamoDB streams. */
function arrival(record: DynamoDBRecord): string {
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  if (seconds === undefined) return "";
  return new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Builds the invocation record of a given-up batch (records in stream order, at least one). */
export function streamInvocationRecord(input: {
  readonly records: readonly DynamoDBRecord[];
  readonly shardId: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly condition: FailureCondition;
  readonly invokeCount: number;
  readonly lastInvocation?: LastInvocation;
  readonly now: Date;
  /** Used as `requestId` when the batch was never invoked. */
  readonly fallbackRequestId: string;
}): StreamInvocationRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined)
    throw new RangeError("a given-up batch has at least one record");
  const last_ = input.lastInvocation;
  return {
    requestContext: {
      requestId: last_?.requestId ?? input.fallbackRequestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: Math.max(1, input.invokeCount),
    },
    ...(last_ === undefined || input.condition === "RecordAgeExceeded"
      ? {}
      : {
          responseContext: {
            statusCode: 200,
            executedVersion: "$LATEST",
            functionError: last_.functionError ? "Unhandled" : null,
          },
        }),
    version: "1.0",
    timestamp: input.now.toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.dynamodb?.SequenceNumber ?? "",
      endSequenceNumber: last.dynamodb?.SequenceNumber ?? "",
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
}

/** The object Lambda writes to an S3 on-failure destination: the invocation record and its event. */
export type OnFailureObject = StreamInvocationRecord & {
  readonly payload: { readonly Records: readonly DynamoDBRecord[] };
};

export function onFailureObject(
  record: StreamInvocationRecord,
  records: readonly DynamoDBRecord[],
): OnFailureObject {
  return { ...record, payload: { Records: records } };
}

const two = (n: number) => String(n).padStart(2, "0");

/**
 * The key Lambda gives a given-up batch's object:
 * `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>` (UTC).
 */
export function onFailureObjectKey(
  mappingUuid: string,
  shardId: string,
  at: Date,
  id = randomUUID(),
): string {
  const [y, m, d] = [at.getUTCFullYear(), two(at.getUTCMonth() + 1), two(at.getUTCDate())];
  const time = `${two(at.getUTCHours())}.${two(at.getUTCMinutes())}.${two(at.getUTCSeconds())}`;
  return `aws/lambda/${mappingUuid}/${shardId}/${y}/${m}/${d}/${y}-${m}-${d}T${time}-${id}`;
}

/** Whether a file name is the last part of such a key (it has no extension). */
export function isOnFailureObjectName(name: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
    name,
  );
}

/**
 * A local mapping's UUID, stable across restarts for the same function and table, so one mapping's
 * objects stay under one prefix as they do in AWS (where the UUID is the mapping's own).
 */
export function localMappingUuid(functionName: string, tableName: string): string {
  const h = createHash("sha256").update(`${functionName}\u0000${tableName}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Writes an object to the local on-failure store under its key and returns its path. Written to a
 * temporary name, synced, then renamed: a crash leaves the whole object or none of it.
 */
export async function writeOnFailureObject(
  storeDir: string,
  key: string,
  object: OnFailureObject,
): Promise<string> {
  const path = join(storeDir, ...key.split("/"));
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const file = await open(partial, "w", 0o600);
  try {
    await file.writeFile(`${JSON.stringify(object)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, path);
  return path;
}

/** Deterministic set-aside id: giving the same batch up again (after a restart) overwrites it. */
export function streamBatchFailureId(tableName: string, info: StreamInvocationRecord["DDBStreamBatchInfo"]) {
  return `${SetAsideKinds.streamBatchFailure}#${tableName}#${info.shardId}#${info.startSequenceNumber}-${info.endSequenceNumber}`;
}

function redriveHint(objectPath: string | undefined): string {
  return objectPath === undefined
    ? "read them back from the stream by this range and redrive them"
    : "replay them with npm run redrive (their records are kept in the on-failure store)";
}

/** Writes an invocation record into the set-aside table (the local on-failure destination). */
export async function sendToOnFailureTable(
  client: DynamoDBClient,
  onFailureTable: string,
  sourceTableName: string,
  record: StreamInvocationRecord,
  signal?: AbortSignal,
  objectPath?: string,
): Promise<void> {
  const info = record.DDBStreamBatchInfo;
  const condition = record.requestContext.condition;
  await writeSetAside(
    client,
    onFailureTable,
    {
      kind: SetAsideKinds.streamBatchFailure,
      id: streamBatchFailureId(sourceTableName, info),
      reasonCode: condition,
      reason:
        condition === "RecordAgeExceeded"
          ? `${info.batchSize} stream record(s) ${info.startSequenceNumber}..${info.endSequenceNumber} grew older than maximumRecordAgeInSeconds before ${record.requestContext.functionArn} processed them; ${redriveHint(objectPath)}`
          : `${record.requestContext.functionArn} failed ${record.requestContext.approximateInvokeCount} time(s) on stream record(s) ${info.startSequenceNumber}..${info.endSequenceNumber} and maximumRetryAttempts ran out; fix the cause, then ${redriveHint(objectPath)}`,
      table: sourceTableName,
      sequenceNumber: info.startSequenceNumber,
      setAsideAt: new Date(record.timestamp).toISOString(),
      record,
      condition,
      streamArn: info.streamArn,
      shardId: info.shardId,
      endSequenceNumber: info.endSequenceNumber,
      batchSize: info.batchSize,
      ...(objectPath === undefined ? {} : { object: objectPath }),
    },
    signal === undefined ? {} : { abortSignal: signal },
  );
}
