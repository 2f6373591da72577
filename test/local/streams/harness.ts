import { randomUUID } from "node:crypto";
import {
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { EventSourceMappingSettings } from "#infra/declaration.ts";
import {
  type EventSourceMapping,
  type EventSourceMappingProps,
  startEventSourceMapping,
} from "#infra/local/streams/event-source-mapping.ts";
import type { StreamInvocationRecord } from "#infra/local/streams/on-failure.ts";
import { pipeline } from "#infra/pipeline.ts";
import { resolveMappingSettings, tableOf } from "#infra/topology.ts";
import { LOCAL_CLIENT_CONFIG, type TestDynamoDb } from "../../helpers/dynamodb.ts";

/** Physical name of the set-aside table, the mappings' on-failure destination. */
export const SET_ASIDE_TABLE = tableOf(pipeline, pipeline.fanOut.setAsideTable).tableName;

/** Creates a fresh table with a NEW_IMAGE stream (key `id`, string) and returns its name. */
export async function createStreamTable(
  client: DynamoDBClient,
  options: { ttl?: string } = {},
): Promise<string> {
  const tableName = `streams-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
    }),
  );
  if (options.ttl !== undefined) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: options.ttl },
      }),
    );
  }
  return tableName;
}

/** Puts items `{ id, ...extra }` one after another, so their records come in this order. */
export async function putItems(
  client: DynamoDBClient,
  tableName: string,
  ids: readonly string[],
  extra: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> = {},
): Promise<void> {
  for (const id of ids) {
    await client.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: id }, ...extra } }));
  }
}

export async function deleteItem(client: DynamoDBClient, tableName: string, id: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
}

/** `id` of a delivered record (from its keys). */
export const idOf = (record: DynamoDBRecord): string => record.dynamodb?.Keys?.id?.S ?? "?";

export const sequenceOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber ?? "?";

/**
 * A handler that records every event it receives (a deep copy) and answers with `respond`, which
 * sees the event and the 1-based invocation number.
 */
export function recordingHandler(
  respond: (event: DynamoDBStreamEvent, invocation: number) => unknown = () => {},
) {
  const invocations: DynamoDBStreamEvent[] = [];
  const contexts: Context[] = [];
  const handler = async (event: DynamoDBStreamEvent, context: Context) => {
    invocations.push(structuredClone(event));
    contexts.push(context);
    // biome-ignore lint/suspicious/noExplicitAny: tests answer with deliberately malformed responses
    return respond(event, invocations.length) as any;
  };
  return {
    handler,
    invocations,
    contexts,
    /** Ids per invocation, e.g. [["a","b"],["b"]]. */
    batches: () => invocations.map((e) => e.Records.map(idOf)),
  };
}

/** Starts a mapping on DynamoDB Local with fast polling and backoff, and settings over the defaults. */
export async function startTestMapping(
  db: TestDynamoDb,
  tableName: string,
  settings: EventSourceMappingSettings,
  handler: EventSourceMappingProps["handler"],
  extra: Partial<EventSourceMappingProps> = {},
): Promise<EventSourceMapping & { readonly streamsClient: DynamoDBStreamsClient }> {
  const streamsClient = new DynamoDBStreamsClient({ ...LOCAL_CLIENT_CONFIG, endpoint: db.endpoint });
  const mapping = await startEventSourceMapping({
    streamsClient,
    dynamodbClient: db.client,
    tableName,
    settings: resolveMappingSettings(settings),
    handler,
    functionName: "streams-test",
    timeoutSeconds: 30,
    onFailureTable: SET_ASIDE_TABLE,
    pollIntervalMs: 20,
    describeIntervalMs: 200,
    retryBackoff: { baseMs: 5, maxMs: 20 },
    ...extra,
  });
  return {
    streamsClient,
    streamArn: mapping.streamArn,
    stats: () => mapping.stats(),
    idle: (options) => mapping.idle(options ?? { timeoutMs: 30_000 }),
    stop: async () => {
      await mapping.stop();
      streamsClient.destroy();
    },
  };
}

/**
 * A fresh stream table holding items `ids` (in this order) and a mapping with `settings` reading it
 * into a {@link recordingHandler} that answers with `respond`.
 */
export async function startMappingOver(
  db: TestDynamoDb,
  ids: readonly string[],
  settings: EventSourceMappingSettings,
  respond?: Parameters<typeof recordingHandler>[0],
  extra: Partial<EventSourceMappingProps> = {},
) {
  const table = await createStreamTable(db.client);
  await putItems(db.client, table, ids);
  const recorder = recordingHandler(respond);
  const mapping = await startTestMapping(db, table, settings, recorder.handler, extra);
  return { table, recorder, mapping };
}

/** Invocation records the mappings of `tableName` sent to the on-failure destination, oldest range first. */
export async function onFailureRecords(
  client: DynamoDBClient,
  tableName: string,
): Promise<StreamInvocationRecord[]> {
  const page = await client.send(
    new ScanCommand({
      TableName: SET_ASIDE_TABLE,
      FilterExpression: "#kind = :kind AND #table = :table",
      ExpressionAttributeNames: { "#kind": "kind", "#table": "table" },
      ExpressionAttributeValues: { ":kind": { S: "stream-batch-failure" }, ":table": { S: tableName } },
    }),
  );
  return (page.Items ?? [])
    .map((item) => JSON.parse(item.record?.S ?? "null") as StreamInvocationRecord)
    .sort((a, b) =>
      BigInt(a.DDBStreamBatchInfo.startSequenceNumber) < BigInt(b.DDBStreamBatchInfo.startSequenceNumber)
        ? -1
        : 1,
    );
}
