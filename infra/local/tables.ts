import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { KeyAttribute, TableDeclaration } from "../declaration.ts";

/** The CreateTable input a declared table becomes (on-demand, NEW_IMAGE stream where declared). */
export function createTableInput(table: TableDeclaration) {
  const attributes = new Map<string, KeyAttribute>();
  const add = (k: KeyAttribute | undefined) => {
    if (k !== undefined) attributes.set(k.name, k);
  };
  add(table.partitionKey);
  add(table.sortKey);
  for (const index of table.globalSecondaryIndexes ?? []) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (pk: KeyAttribute, sk: KeyAttribute | undefined) => [
    { AttributeName: pk.name, KeyType: "HASH" as const },
    ...(sk === undefined ? [] : [{ AttributeName: sk.name, KeyType: "RANGE" as const }]),
  ];
  return {
    TableName: table.tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [...attributes.values()].map(
      (a): AttributeDefinition => ({ AttributeName: a.name, AttributeType: a.type }),
    ),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.globalSecondaryIndexes === undefined || table.globalSecondaryIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection ?? "ALL" },
          })),
        }),
    ...(table.stream === undefined
      ? {}
      : { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }),
  };
}

/**
 * Creates every table of the model (or a declaration) that does not exist yet, with its keys, indexes, stream and TTL.
 * Tables that already exist (a `--data` folder from an earlier run) are left as they are.
 */
export async function createTables(
  client: DynamoDBClient,
  from: { readonly tables: Readonly<Record<string, TableDeclaration>> },
): Promise<void> {
  for (const table of Object.values(from.tables)) {
    try {
      await client.send(new CreateTableCommand(createTableInput(table)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    if (table.timeToLiveAttribute !== undefined) {
      const described = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
      if (described.Table === undefined) continue;
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table.tableName,
            TimeToLiveSpecification: { Enabled: true, AttributeName: table.timeToLiveAttribute },
          }),
        );
      } catch (error) {
        // Enabling TTL twice is refused; a table from an earlier run already has it.
        if (!(error instanceof Error && /already enabled/i.test(error.message))) throw error;
      }
    }
  }
}
