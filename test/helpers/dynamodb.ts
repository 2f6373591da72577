import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDbLocal, startDynamoDbLocal } from "#infra/local/dynamodb/dynamodb-local.ts";
import { freePort } from "#infra/local/ports.ts";
import { createTables } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";

export interface TestDynamoDb {
  readonly db: DynamoDbLocal;
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Local credentials and region every test client uses (DynamoDB Local runs with -sharedDb). */
export const LOCAL_CLIENT_CONFIG = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

/**
 * Starts DynamoDB Local on a free port with every declared table created; call `stop()` in
 * `afterAll` so no java process outlives the suite.
 */
export async function startTestDynamoDb(options: { createTables?: boolean } = {}): Promise<TestDynamoDb> {
  const db = await startDynamoDbLocal({ port: await freePort() });
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: db.endpoint });
  if (options.createTables ?? true) await createTables(client, pipeline);
  return {
    db,
    client,
    endpoint: db.endpoint,
    stop: async () => {
      client.destroy();
      await db.stop();
    },
  };
}

/** Creates an on-demand table keyed by string `pk` and `sk`, as `ripple-aggregates` is keyed. */
export async function createPkSkTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    }),
  );
}
