import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryAll, queryPartition, scanAll } from "#commons/pages.ts";
import { createPkSkTable, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";

const TABLE = "pages-test";
/** Sort keys written, zero-padded so their order is the numeric one. */
const KEYS = Array.from({ length: 23 }, (_, i) => String(i).padStart(3, "0"));

let dynamo: TestDynamoDb;

beforeAll(async () => {
  dynamo = await startTestDynamoDb({ createTables: false });
  await createPkSkTable(dynamo.client, TABLE);
  for (const sk of KEYS) {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: "p" }, sk: { S: sk }, odd: { BOOL: Number(sk) % 2 === 1 } },
      }),
    );
  }
  await dynamo.client.send(
    new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "other" }, sk: { S: "000" } } }),
  );
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

const sortKeys = (items: readonly Record<string, { S?: string }>[]) => items.map((item) => item.sk?.S);

describe("scanAll", () => {
  it("reads every item across pages of 4", async () => {
    // Act
    const items = await scanAll(dynamo.client, { TableName: TABLE, Limit: 4 });

    // Assert
    expect(items).toHaveLength(KEYS.length + 1);
    expect(new Set(items.map((item) => `${item.pk?.S}/${item.sk?.S}`))).toEqual(
      new Set([...KEYS.map((sk) => `p/${sk}`), "other/000"]),
    );
  });

  it("returns no item from an empty filter result", async () => {
    // Act
    const items = await scanAll(dynamo.client, {
      TableName: TABLE,
      Limit: 5,
      FilterExpression: "pk = :none",
      ExpressionAttributeValues: { ":none": { S: "none" } },
    });

    // Assert
    expect(items).toEqual([]);
  });
});

describe("queryAll", () => {
  const input = {
    TableName: TABLE,
    KeyConditionExpression: "pk = :p",
    ExpressionAttributeValues: { ":p": { S: "p" } },
  };

  it.each([
    {
      description: "every item of the partition in key order, over pages of 3",
      limit: undefined,
      pageLimit: 3,
      expected: KEYS,
    },
    {
      description: "the first 7 items when the limit is 7",
      limit: 7,
      pageLimit: undefined,
      expected: KEYS.slice(0, 7),
    },
    {
      description: "every item when the limit exceeds them",
      limit: 100,
      pageLimit: undefined,
      expected: KEYS,
    },
  ])("returns $description", async ({ limit, pageLimit, expected }) => {
    // Act
    const items = await queryAll(
      dynamo.client,
      { ...input, ...(pageLimit === undefined ? {} : { Limit: pageLimit }) },
      limit,
    );

    // Assert
    expect(sortKeys(items)).toEqual(expected);
  });

  it("collects the limit past pages a filter thins out", async () => {
    // Act: each page of 5 keys holds 2 or 3 odd ones.
    const items = await queryAll(
      dynamo.client,
      {
        ...input,
        FilterExpression: "odd = :yes",
        ExpressionAttributeValues: { ":p": { S: "p" }, ":yes": { BOOL: true } },
      },
      5,
    );

    // Assert
    expect(sortKeys(items)).toEqual(["001", "003", "005", "007", "009"]);
  });
});

describe("queryPartition", () => {
  it("reads one partition's items, consistently, with the projection it is given", async () => {
    // Act
    const items = await queryPartition(dynamo.client, TABLE, "pk", "p", { ProjectionExpression: "sk" });

    // Assert
    expect(items).toEqual(KEYS.map((sk) => ({ sk: { S: sk } })));
  });
});
