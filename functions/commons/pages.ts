import {
  type AttributeValue,
  type DynamoDBClient,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
} from "@aws-sdk/client-dynamodb";

/** A DynamoDB item as the low-level client sends and receives it. */
export type AttributeMap = Record<string, AttributeValue>;

/**
 * Every item a scan returns, over all its pages (the SDK's `paginateScan` follows
 * `LastEvaluatedKey`). For tables that hold few items or an operator's full read.
 *
 * @example
 * const parks = await scanAll(client, { TableName: "parking-data", ConsistentRead: true });
 */
export async function scanAll(client: DynamoDBClient, input: ScanCommandInput): Promise<AttributeMap[]> {
  const items: AttributeMap[] = [];
  for await (const page of paginateScan({ client }, input)) items.push(...(page.Items ?? []));
  return items;
}

/**
 * The items a query returns, over all its pages (`paginateQuery`), stopping once `limit` items
 * are collected; each page asks for at most `limit` items.
 *
 * @example
 * const goals = await queryAll(client, {
 *   TableName: "carbon-goals",
 *   KeyConditionExpression: "userId = :u",
 *   ExpressionAttributeValues: { ":u": { S: "u1" } },
 * });
 */
export async function queryAll(
  client: DynamoDBClient,
  input: QueryCommandInput,
  limit = Number.POSITIVE_INFINITY,
): Promise<AttributeMap[]> {
  const items: AttributeMap[] = [];
  const config = Number.isFinite(limit) ? { client, pageSize: Math.max(1, limit) } : { client };
  for await (const page of paginateQuery(config, input)) {
    items.push(...(page.Items ?? []));
    if (items.length >= limit) break;
  }
  return items.slice(0, limit);
}

/**
 * Every item of one partition (string key `keyName` = `value`), read strongly consistently, over
 * all pages; `input` adds to the query (a projection, say).
 *
 * @example
 * const goals = await queryPartition(client, "carbon-goals", "userId", "u1");
 */
export function queryPartition(
  client: DynamoDBClient,
  tableName: string,
  keyName: string,
  value: string,
  input: Omit<Partial<QueryCommandInput>, "KeyConditionExpression" | "ExpressionAttributeValues"> = {},
): Promise<AttributeMap[]> {
  return queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: "#partition = :partition",
    ExpressionAttributeNames: { "#partition": keyName, ...input.ExpressionAttributeNames },
    ExpressionAttributeValues: { ":partition": { S: value } },
    ConsistentRead: true,
    ...input,
  });
}
