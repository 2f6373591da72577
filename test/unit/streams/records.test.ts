import type { _Record } from "@aws-sdk/client-dynamodb-streams";
import { describe, expect, it } from "vitest";
import {
  estimatedCreationMs,
  streamArnInRegion,
  TTL_USER_IDENTITY,
  toLambdaRecord,
} from "#infra/local/streams/records.ts";

const STREAM_ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432";

/** The fields a record carries unchanged from GetRecords to Lambda. */
const HEADER = {
  eventID: "e7ad1757-0368-4ac7-9ee1-41212745f315",
  eventName: "INSERT",
  eventVersion: "1.1",
  eventSource: "aws:dynamodb",
  awsRegion: "ddblocal",
} as const;

/** A record as the SDK parses DynamoDB Local's GetRecords answer. */
function sdkRecord(overrides: Partial<_Record> = {}): _Record {
  return {
    ...HEADER,
    dynamodb: {
      ApproximateCreationDateTime: new Date("2026-11-23T19:25:00.000Z"),
      Keys: { id: { N: "42" } },
      NewImage: {
        id: { N: "42" },
        name: { S: "Biscuit" },
        photo: { B: new Uint8Array([104, 105]) },
        tags: { SS: ["a", "b"] },
        sizes: { NS: ["1", "2.5"] },
        blobs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
        owner: { M: { name: { S: "Ada" }, vip: { BOOL: true }, note: { NULL: true } } },
        history: { L: [{ N: "1" }, { S: "x" }] },
      },
      SequenceNumber: "000000000000000000001",
      SizeBytes: 82,
      StreamViewType: "NEW_IMAGE",
    },
    ...overrides,
  };
}

describe("streamArnInRegion", () => {
  it.each([
    {
      region: "us-east-1",
      expected: "arn:aws:dynamodb:us-east-1:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432",
    },
    {
      region: "eu-west-1",
      expected: "arn:aws:dynamodb:eu-west-1:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432",
    },
  ])(
    "puts $region where DynamoDB Local writes ddblocal, keeping the colons of the label",
    ({ region, expected }) => {
      // Act + Assert
      expect(streamArnInRegion(STREAM_ARN, region)).toBe(expected);
    },
  );

  it("refuses what is not an ARN", () => {
    // Act + Assert
    expect(() => streamArnInRegion("table/PetStore", "us-east-1")).toThrow(/"table\/PetStore" is not an ARN/);
  });
});

describe("toLambdaRecord", () => {
  it("converts a GetRecords record to the JSON Lambda delivers", () => {
    // Arrange
    const record = sdkRecord();

    // Act
    const lambda = toLambdaRecord(record, STREAM_ARN, "us-east-1");

    // Assert
    expect(JSON.parse(JSON.stringify(lambda))).toEqual({
      eventID: "e7ad1757-0368-4ac7-9ee1-41212745f315",
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      dynamodb: {
        ApproximateCreationDateTime: 1795461900,
        Keys: { id: { N: "42" } },
        NewImage: {
          id: { N: "42" },
          name: { S: "Biscuit" },
          photo: { B: "aGk=" },
          tags: { SS: ["a", "b"] },
          sizes: { NS: ["1", "2.5"] },
          blobs: { BS: ["AQ==", "Ag=="] },
          owner: { M: { name: { S: "Ada" }, vip: { BOOL: true }, note: { NULL: true } } },
          history: { L: [{ N: "1" }, { S: "x" }] },
        },
        SequenceNumber: "000000000000000000001",
        SizeBytes: 82,
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: "arn:aws:dynamodb:us-east-1:000000000000:table/PetStore/stream/2026-11-23T19:25:16.432",
    });
    expect(Object.keys(lambda)).toEqual([
      "eventID",
      "eventName",
      "eventVersion",
      "eventSource",
      "awsRegion",
      "dynamodb",
      "eventSourceARN",
    ]);
  });

  it("delivers an empty map, which DynamoDB Local's streams write as {}, as AWS does: {M: {}}", () => {
    // Arrange: a carbon-stats profile of a user whose every entry was removed
    const record = sdkRecord({
      eventName: "MODIFY",
      dynamodb: {
        Keys: { id: { N: "42" } },
        NewImage: {
          id: { N: "42" },
          stats: { M: { byDay: {} as never, byMonth: {} as never, goals: { L: [] } } },
        },
        SequenceNumber: "3",
        SizeBytes: 20,
        StreamViewType: "NEW_IMAGE",
      },
    });

    // Act
    const lambda = toLambdaRecord(record, STREAM_ARN, "us-east-1");

    // Assert
    expect(lambda.dynamodb?.NewImage?.stats).toEqual({
      M: { byDay: { M: {} }, byMonth: { M: {} }, goals: { L: [] } },
    });
  });

  it("delivers DynamoDB Local's TTL deletion as a REMOVE by the DynamoDB service", () => {
    // Arrange
    const record = sdkRecord({
      eventName: "UNKNOWN_TO_SDK_VERSION" as _Record["eventName"],
      dynamodb: { Keys: { id: { N: "42" } }, SequenceNumber: "2", SizeBytes: 5, StreamViewType: "NEW_IMAGE" },
    });

    // Act
    const lambda = toLambdaRecord(record, STREAM_ARN, "us-east-1");

    // Assert
    expect(lambda.eventName).toBe("REMOVE");
    expect(lambda.userIdentity).toEqual(TTL_USER_IDENTITY);
  });

  it("keeps a user's REMOVE without userIdentity", () => {
    // Arrange
    const record = sdkRecord({
      eventName: "REMOVE",
      dynamodb: { Keys: { id: { N: "42" } }, SequenceNumber: "3", SizeBytes: 3, StreamViewType: "NEW_IMAGE" },
    });

    // Act
    const lambda = toLambdaRecord(record, STREAM_ARN, "us-east-1");

    // Assert
    expect(lambda.eventName).toBe("REMOVE");
    expect(lambda).not.toHaveProperty("userIdentity");
  });

  it("writes an SDK userIdentity with Lambda's lower-case keys", () => {
    // Arrange
    const record = sdkRecord({
      eventName: "REMOVE",
      userIdentity: { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" },
    });

    // Act
    const lambda = toLambdaRecord(record, STREAM_ARN, "us-east-1");

    // Assert
    expect(lambda.userIdentity).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
  });
});

describe("estimatedCreationMs", () => {
  it.each([
    {
      description: "a record read within its minute",
      created: 1_000_000_020,
      readAt: 1_000_000_050_000,
      expected: 1_000_000_050_000,
    },
    {
      description: "a record read long after its minute",
      created: 1_000_000_020,
      readAt: 1_000_009_000_000,
      expected: 1_000_000_079_999,
    },
    { description: "a record without creation time", created: undefined, readAt: 5_000, expected: 5_000 },
  ])("never makes $description look older than it is", ({ created, readAt, expected }) => {
    // Arrange
    // Act
    const estimate = estimatedCreationMs(created, readAt);

    // Assert
    expect(estimate).toBe(expected);
  });
});
