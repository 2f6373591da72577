import { describe, expect, it } from "vitest";
import { streamBatchFailureId, streamInvocationRecord } from "#infra/local/streams/on-failure.ts";
import { loadStreamRecords } from "../../helpers/events.ts";

const STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/PetStore/stream/2025-11-30T16:05:12.923";
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:000000000000:function:ripple-fan-out";

describe("streamInvocationRecord", () => {
  it("describes the batch by shard and sequence-number range, without the records", () => {
    // Arrange
    const records = loadStreamRecords("PetStore/insert.json", "PetStore/modify.json");

    // Act
    const document = streamInvocationRecord({
      records,
      shardId: "shardId-00000001795461916479-08592546",
      streamArn: STREAM_ARN,
      functionArn: FUNCTION_ARN,
      condition: "RetryAttemptsExhausted",
      invokeCount: 11,
      lastInvocation: { requestId: "316aa6d0-8154-4b1a-9af7-85d5f4a6bc81", functionError: true },
      now: new Date("2026-11-23T19:30:00.123Z"),
      fallbackRequestId: "unused",
    });

    // Assert
    expect(document).toEqual({
      requestContext: {
        requestId: "316aa6d0-8154-4b1a-9af7-85d5f4a6bc81",
        functionArn: FUNCTION_ARN,
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2026-11-23T19:30:00.123Z",
      DDBStreamBatchInfo: {
        shardId: "shardId-00000001795461916479-08592546",
        startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
        endSequenceNumber: records[1]?.dynamodb?.SequenceNumber,
        approximateArrivalOfFirstRecord: "2025-11-30T16:05:12Z",
        approximateArrivalOfLastRecord: new Date(
          (records[1]?.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000,
        )
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
        batchSize: 2,
        streamArn: STREAM_ARN,
      },
    });
  });

  it.each([
    {
      description: "retries exhausted after a returned response: functionError null",
      condition: "RetryAttemptsExhausted" as const,
      invokeCount: 4,
      lastInvocation: { requestId: "r", functionError: false },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: null },
      approximateInvokeCount: 4,
    },
    {
      description: "retries exhausted after a thrown error: functionError Unhandled",
      condition: "RetryAttemptsExhausted" as const,
      invokeCount: 2,
      lastInvocation: { requestId: "r", functionError: true },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      approximateInvokeCount: 2,
    },
    {
      description: "too old after invocations: no responseContext",
      condition: "RecordAgeExceeded" as const,
      invokeCount: 8,
      lastInvocation: { requestId: "r", functionError: true },
      responseContext: undefined,
      approximateInvokeCount: 8,
    },
    {
      description: "too old before any invocation: no responseContext, one invocation counted",
      condition: "RecordAgeExceeded" as const,
      invokeCount: 0,
      lastInvocation: undefined,
      responseContext: undefined,
      approximateInvokeCount: 1,
    },
  ])(
    "writes what AWS writes: $description",
    ({ condition, invokeCount, lastInvocation, responseContext, approximateInvokeCount }) => {
      // Arrange
      const records = loadStreamRecords("PetStore/insert.json");

      // Act
      const document = streamInvocationRecord({
        records,
        shardId: "shardId-1",
        streamArn: STREAM_ARN,
        functionArn: FUNCTION_ARN,
        condition,
        invokeCount,
        ...(lastInvocation === undefined ? {} : { lastInvocation }),
        now: new Date(),
        fallbackRequestId: "fallback",
      });

      // Assert
      expect(document.responseContext).toStrictEqual(responseContext);
      expect("responseContext" in document).toBe(responseContext !== undefined);
      expect(document.requestContext.approximateInvokeCount).toBe(approximateInvokeCount);
      expect(document.requestContext.requestId).toBe(lastInvocation?.requestId ?? "fallback");
    },
  );

  it("gives the same batch the same set-aside id, so giving it up twice writes one item", () => {
    // Arrange
    const input = {
      records: loadStreamRecords("PetStore/insert.json"),
      shardId: "shardId-1",
      streamArn: STREAM_ARN,
      functionArn: FUNCTION_ARN,
      condition: "RetryAttemptsExhausted" as const,
      invokeCount: 1,
      fallbackRequestId: "x",
    };

    // Act
    const first = streamInvocationRecord({ ...input, now: new Date(1) });
    const second = streamInvocationRecord({ ...input, now: new Date(2) });

    // Assert
    expect(streamBatchFailureId("PetStore", first.DDBStreamBatchInfo)).toBe(
      streamBatchFailureId("PetStore", second.DDBStreamBatchInfo),
    );
    expect(streamBatchFailureId("PetStore", first.DDBStreamBatchInfo)).toBe(
      "stream-batch-failure#PetStore#shardId-1#4421584500000000017450455000-4421584500000000017450455000",
    );
  });
});
