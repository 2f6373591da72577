import { type DynamoDBClient, paginateQuery } from "@aws-sdk/client-dynamodb";

/**
 * The car park totals as a reader sees them, summed here with BigInt over every item of the
 * `parking-totals` partition of `ripple-aggregates` (its shard items), independently of the
 * product's own reader; undefined when the partition holds no item (nothing was ever counted).
 */
export async function parkingTotalsSummed(dynamodb: DynamoDBClient, tableName = "ripple-aggregates") {
  const totals = { carParkCount: 0n, totalCapacity: 0n, totalOccupied: 0n, totalAvailable: 0n };
  let items = 0;
  const pages = paginateQuery(
    { client: dynamodb },
    {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: "parking-totals" } },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      items++;
      for (const field of Object.keys(totals) as (keyof typeof totals)[]) {
        totals[field] += BigInt(item[field]?.N ?? "0");
      }
    }
  }
  return items === 0 ? undefined : totals;
}
