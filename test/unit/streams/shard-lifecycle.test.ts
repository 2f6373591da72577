import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import {
  type EventSourceMapping,
  startEventSourceMapping,
} from "#infra/local/streams/event-source-mapping.ts";
import { resolveMappingSettings } from "#infra/topology.ts";

/**
 * Shard splits and expiring iterators never happen on DynamoDB Local within a test, so these
 * behaviours run against a scripted stream behind the clients' `send` (the edge), the rest of the
 * mapping unchanged.
 */

const STREAM_ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/scripted/stream/2026-11-23T00:00:00.000";

interface ScriptedShard {
  readonly id: string;
  readonly parent?: string;
  readonly items: readonly string[];
  /** Closed shards end: GetRecords past their last record returns no next iterator. */
  readonly closed: boolean;
}

let sequence = 0;
const record = (id: string): _Record => ({
  eventID: `event-${id}`,
  eventName: "INSERT",
  eventVersion: "1.1",
  eventSource: "aws:dynamodb",
  awsRegion: "ddblocal",
  dynamodb: {
    ApproximateCreationDateTime: new Date(),
    Keys: { id: { S: id } },
    NewImage: { id: { S: id } },
    SequenceNumber: String(++sequence).padStart(21, "0"),
    SizeBytes: 10,
    StreamViewType: "NEW_IMAGE",
  },
});

function scriptedStream(
  shards: readonly ScriptedShard[],
  options: { expireOnGetRecordsCall?: number; unreadableOnGetRecordsCall?: number } = {},
) {
  const records = new Map(shards.map((s) => [s.id, s.items.map(record)]));
  const calls: string[] = [];
  const iteratorRequests: GetShardIteratorCommandInput[] = [];
  let getRecordsCalls = 0;
  const position = (shardId: string, input: GetShardIteratorCommandInput): number => {
    const list = records.get(shardId) ?? [];
    if (input.ShardIteratorType === "TRIM_HORIZON") return 0;
    if (input.ShardIteratorType === "LATEST") return list.length;
    return list.findIndex((r) => r.dynamodb?.SequenceNumber === input.SequenceNumber) + 1;
  };
  const streamsClient = {
    send: async (command: unknown) => {
      if (command instanceof DescribeStreamCommand) {
        // One shard per page, to exercise ExclusiveStartShardId paging.
        const start = command.input.ExclusiveStartShardId;
        const index = start === undefined ? 0 : shards.findIndex((s) => s.id === start) + 1;
        const shard = shards[index];
        calls.push(`describe:${shard?.id ?? "-"}`);
        return {
          StreamDescription: {
            StreamArn: STREAM_ARN,
            Shards:
              shard === undefined
                ? []
                : [
                    {
                      ShardId: shard.id,
                      ParentShardId: shard.parent,
                      SequenceNumberRange: {
                        StartingSequenceNumber: "1",
                        ...(shard.closed ? { EndingSequenceNumber: "9" } : {}),
                      },
                    },
                  ],
            LastEvaluatedShardId: index + 1 < shards.length ? shard?.id : undefined,
          },
        };
      }
      if (command instanceof GetShardIteratorCommand) {
        const shardId = command.input.ShardId as string;
        iteratorRequests.push(command.input);
        calls.push(`iterator:${shardId}`);
        return { ShardIterator: `${shardId}|${position(shardId, command.input)}` };
      }
      if (command instanceof GetRecordsCommand) {
        const [shardId, at] = (command.input.ShardIterator as string).split("|") as [string, string];
        if (++getRecordsCalls === options.expireOnGetRecordsCall) {
          throw new ExpiredIteratorException({ message: "Iterator expired", $metadata: {} });
        }
        const list = records.get(shardId) ?? [];
        const from = Number(at);
        let page = list.slice(from, from + (command.input.Limit ?? 1000));
        if (getRecordsCalls === options.unreadableOnGetRecordsCall && page.length > 0) {
          // Once: the page's first record carries an attribute value of a type no converter knows.
          const [first, ...rest] = page;
          const image = { ...first!.dynamodb!.NewImage, odd: { ZZ: "?" } as never };
          page = [{ ...first!, dynamodb: { ...first!.dynamodb, NewImage: image } }, ...rest];
        }
        const next = from + page.length;
        const shard = shards.find((s) => s.id === shardId);
        if (page.length > 0)
          calls.push(`records:${shardId}:${page.map((r) => r.dynamodb?.Keys?.id?.S).join(",")}`);
        return {
          Records: page,
          NextShardIterator: shard?.closed && next >= list.length ? undefined : `${shardId}|${next}`,
        };
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  } as unknown as DynamoDBStreamsClient;
  const dynamodbClient = {
    send: async (command: unknown) => {
      if (command instanceof DescribeTableCommand) {
        return { Table: { LatestStreamArn: STREAM_ARN, StreamSpecification: { StreamEnabled: true } } };
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  } as unknown as DynamoDBClient;
  const sequenceOf = (shardId: string, index: number) =>
    records.get(shardId)?.[index]?.dynamodb?.SequenceNumber;
  return { streamsClient, dynamodbClient, calls, iteratorRequests, sequenceOf };
}

let mapping: EventSourceMapping | undefined;

afterEach(async () => {
  await mapping?.stop();
  mapping = undefined;
});

async function run(stream: ReturnType<typeof scriptedStream>, batchSize = 10) {
  const delivered: string[][] = [];
  mapping = await startEventSourceMapping({
    streamsClient: stream.streamsClient,
    dynamodbClient: stream.dynamodbClient,
    tableName: "scripted",
    settings: resolveMappingSettings({ batchSize }),
    handler: async (event: DynamoDBStreamEvent) => {
      delivered.push(event.Records.map((r) => r.dynamodb?.Keys?.id?.S ?? "?"));
    },
    functionName: "scripted",
    timeoutSeconds: 5,
    pollIntervalMs: 5,
    describeIntervalMs: 20,
  });
  await mapping.idle({ timeoutMs: 10_000 });
  return delivered;
}

describe("shard lifecycle", () => {
  it("reads children only after their parent is read to its end and processed", async () => {
    // Arrange
    const stream = scriptedStream([
      { id: "child-a", parent: "parent", items: ["c1", "c2"], closed: false },
      { id: "parent", items: ["p1", "p2", "p3"], closed: true },
      { id: "child-b", parent: "parent", items: ["c3"], closed: false },
    ]);

    // Act
    const delivered = await run(stream, 2);

    // Assert
    const flat = delivered.flat();
    expect(flat.slice(0, 3)).toEqual(["p1", "p2", "p3"]);
    expect([...flat.slice(3)].sort()).toEqual(["c1", "c2", "c3"]);
    const lastParentRead = stream.calls.lastIndexOf("records:parent:p3");
    const firstChildIterator = stream.calls.findIndex((c) => c.startsWith("iterator:child"));
    expect(firstChildIterator).toBeGreaterThan(lastParentRead);
    expect(mapping?.stats().shards).toEqual({ waiting: 0, reading: 2, finished: 1 });
  });

  it("finds every shard across DescribeStream pages", async () => {
    // Arrange
    const stream = scriptedStream([
      { id: "s1", items: ["a"], closed: false },
      { id: "s2", items: ["b"], closed: false },
      { id: "s3", items: ["c"], closed: false },
    ]);

    // Act
    const delivered = await run(stream);

    // Assert
    expect(delivered.flat().sort()).toEqual(["a", "b", "c"]);
  });

  it("reads a page again, skipping none of it, when one of its records cannot be converted", async () => {
    // Arrange: the first page read holds a record the poller cannot turn into Lambda's shape
    const stream = scriptedStream([{ id: "s1", items: ["a", "b", "c"], closed: false }], {
      unreadableOnGetRecordsCall: 1,
    });

    // Act
    const delivered = await run(stream, 10);

    // Assert
    expect(delivered.flat()).toEqual(["a", "b", "c"]);
  });

  it("takes a new iterator after the last record read when one expires", async () => {
    // Arrange
    const stream = scriptedStream([{ id: "s1", items: ["a", "b"], closed: false }], {
      expireOnGetRecordsCall: 2,
    });

    // Act
    const delivered = await run(stream, 1);

    // Assert
    expect(delivered).toEqual([["a"], ["b"]]);
    expect(stream.iteratorRequests.map((r) => [r.ShardIteratorType, r.SequenceNumber])).toEqual([
      ["TRIM_HORIZON", undefined],
      ["AFTER_SEQUENCE_NUMBER", stream.sequenceOf("s1", 0)],
    ]);
  });
});
