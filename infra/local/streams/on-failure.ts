import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { setAsideItem } from "#commons/set-aside.ts";

/**
 * The on-failure destination of a stream event source mapping: what Lambda sends when it gives up
 * on a batch, and where the local runtime keeps it.
 *
 * Lambda sends an invocation record describing the batch (shard, sequence-number range, arrival
 * times), never the records themselves; an operator reads the records back from the stream (24 h)
 * by that range. Locally the destination is the set-aside table: one item per given-up batch,
 * `kind` "stream-batch-failure", the invocation record as its JSON `record`.
 */

/** Why Lambda gave up on a batch, with AWS's spelling. */
export type FailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/** `kind` of set-aside items written by the event source mapping. */
export const STREAM_BATCH_FAILURE_KIND = "stream-batch-failure";

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

/** Deterministic set-aside id: giving the same batch up again (after a restart) overwrites it. */
export function streamBatchFailureId(tableName: string, info: StreamInvocationRecord["DDBStreamBatchInfo"]) {
  return `${STREAM_BATCH_FAILURE_KIND}#${tableName}#${info.shardId}#${info.startSequenceNumber}-${info.endSequenceNumber}`;
}

/** Writes an invocation record into the set-aside table (the local on-failure destination). */
export async function sendToOnFailureTable(
  client: DynamoDBClient,
  onFailureTable: string,
  sourceTableName: string,
  record: StreamInvocationRecord,
  signal?: AbortSignal,
): Promise<void> {
  const info = record.DDBStreamBatchInfo;
  const condition = record.requestContext.condition;
  const item = setAsideItem(
    {
      id: streamBatchFailureId(sourceTableName, info),
      reasonCode: condition,
      reason:
        condition === "RecordAgeExceeded"
          ? `${info.batchSize} stream record(s) ${info.startSequenceNumber}..${info.endSequenceNumber} grew older than maximumRecordAgeInSeconds before ${record.requestContext.functionArn} processed them; read them back from the stream by this range and redrive them`
          : `${record.requestContext.functionArn} failed ${record.requestContext.approximateInvokeCount} time(s) on stream record(s) ${info.startSequenceNumber}..${info.endSequenceNumber} and maximumRetryAttempts ran out; fix the cause, then read them back from the stream by this range and redrive them`,
      table: sourceTableName,
      sequenceNumber: info.startSequenceNumber,
      record,
    },
    new Date(record.timestamp),
  );
  item.kind = { S: STREAM_BATCH_FAILURE_KIND };
  item.condition = { S: condition };
  item.streamArn = { S: info.streamArn };
  item.shardId = { S: info.shardId };
  item.endSequenceNumber = { S: info.endSequenceNumber };
  item.batchSize = { N: String(info.batchSize) };
  await client.send(new PutItemCommand({ TableName: onFailureTable, Item: item }), { abortSignal: signal });
}
