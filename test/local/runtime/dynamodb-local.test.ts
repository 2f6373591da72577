import { execFileSync } from "node:child_process";
import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertJava } from "#infra/local/dynamodb/dynamodb-local.ts";
import { JavaMissingError } from "#infra/local/errors.ts";
import { createTables } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";

function listeningAddresses(port: number): string[] {
  const out = execFileSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.trim().split(/\s+/)[3] ?? "");
}

describe("DynamoDB Local", () => {
  let dynamo: TestDynamoDb;

  beforeAll(async () => {
    dynamo = await startTestDynamoDb();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it("listens on the loopback address only", () => {
    // Act
    const addresses = listeningAddresses(dynamo.db.port);
    // Assert
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(address).toMatch(/^(\[::ffff:)?127\.0\.0\.1\]?:\d+$/);
  });

  it.each(Object.entries(pipeline.tables).map(([key, table]) => ({ key, table })))(
    "creates $table.tableName with its declared keys, indexes and stream",
    async ({ table }) => {
      // Act
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: table.tableName }));
      // Assert
      expect(Table?.KeySchema).toEqual([
        { AttributeName: table.partitionKey.name, KeyType: "HASH" },
        ...(table.sortKey === undefined ? [] : [{ AttributeName: table.sortKey.name, KeyType: "RANGE" }]),
      ]);
      expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual(
        (table.globalSecondaryIndexes ?? []).map((i) => i.indexName).sort(),
      );
      expect(Table?.StreamSpecification?.StreamViewType).toBe(table.stream);
      expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    },
  );

  it.each(
    Object.values(pipeline.tables)
      .filter((t) => t.timeToLiveAttribute !== undefined)
      .map((table) => ({ table })),
  )("turns on TTL for $table.tableName", async ({ table }) => {
    const ttl = await dynamo.client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({
      TimeToLiveStatus: "ENABLED",
      AttributeName: table.timeToLiveAttribute,
    });
  });

  it("leaves existing tables alone when created again (a --data folder from an earlier run)", async () => {
    await expect(createTables(dynamo.client, pipeline)).resolves.toBeUndefined();
  });
});

describe("assertJava", () => {
  it("says java is missing and how to install it when it is not on the PATH", () => {
    // Act
    const act = () => assertJava({ PATH: "/nonexistent" });
    // Assert
    expect(act).toThrow(JavaMissingError);
    expect(act).toThrow(/java was not found on the PATH: DynamoDB Local needs Java 17 or newer; install it/);
  });
});
