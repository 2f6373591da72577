import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { type AuditTableNames, auditTableNames } from "#infra/audit/audit.ts";
import { pipeline } from "#infra/pipeline.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

/**
 * What the consumer suites share: DynamoDB Local with every declared table, and the environment
 * the handlers read at module load (table names, the SDK's endpoint variable), set before the
 * suite imports them.
 */
export interface ConsumerRuntime {
  readonly dynamo: TestDynamoDb;
  readonly client: DynamoDBClient;
  readonly tables: AuditTableNames;
  /** Physical name of the set-aside table. */
  readonly setAsideTable: string;
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startConsumerRuntime(): Promise<ConsumerRuntime> {
  const dynamo = await startTestDynamoDb();
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_CLIENT_CONFIG.region,
    AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    ...functionEnvironments(),
  };
  Object.assign(process.env, env);
  return {
    dynamo,
    client: dynamo.client,
    tables: auditTableNames(pipeline, env),
    setAsideTable: pipeline.tables.setAside!.tableName,
    env,
    stop: () => dynamo.stop(),
  };
}

/** Puts plain items into a table. */
export async function putItems(
  client: DynamoDBClient,
  tableName: string,
  items: readonly object[],
): Promise<void> {
  for (const item of items) {
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: marshall(item, { removeUndefinedValues: true }) }),
    );
  }
}

/** Every item of a table, as plain values. */
export async function scanItems(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/** Deletes every item of the given tables. */
export async function clearTables(client: DynamoDBClient, tableNames: readonly string[]): Promise<void> {
  for (const tableName of tableNames) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const keys = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: Object.fromEntries(keys.map((k) => [k, item[k] as AttributeValue])),
          }),
        );
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
}

/** Every record the table's stream holds so far (all shards, from the trim horizon). */
export async function readStream(runtime: ConsumerRuntime, tableName: string): Promise<_Record[]> {
  const described = await runtime.client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({ ...LOCAL_CLIENT_CONFIG, endpoint: runtime.dynamo.endpoint });
  try {
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: _Record[] = [];
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: "TRIM_HORIZON",
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  } finally {
    streams.destroy();
  }
}
