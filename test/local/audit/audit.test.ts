import { type AttributeValue, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shardOf, shardSortKey } from "#commons/aggregates.ts";
import { auditTableNames } from "#infra/audit/audit.ts";
import { runAudit } from "#infra/audit/cli.ts";
import { model, pipeline } from "#infra/pipeline.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { N, S } from "../../helpers/local.ts";

const t = (name: keyof typeof pipeline.tables) => pipeline.tables[name]!.tableName;
/** The shard item store-stats keeps a pet or cart in, as the consumer places it. */
const shardOfStoreStats = (id: string) =>
  shardSortKey(shardOf(id, model.consumers.find((c) => c.name === "store-stats")!.aggregateShards));

/**
 * Store-stats' carts shard: reader's one cart of 3 books at 9999999999999999999999999999.9999999999,
 * worth 29999999999999999999999999999.9999999997 (by hand: 41 significant digits), under a shard
 * total of `totalValue`.
 */
const cartsAggregate = (totalValue: string): Record<string, AttributeValue> => ({
  pk: S("store-stats#carts"),
  sk: S(shardOfStoreStats("reader")),
  positions: { M: {} },
  openCarts: N("1"),
  totalItems: N("3"),
  totalValue: S(totalValue),
  carts: {
    M: { reader: { M: { items: N("3"), value: S("29999999999999999999999999999.9999999997") } } },
  },
});

interface JsonReport {
  ok: boolean;
  differences: { aggregate: string; key: string; field: string; expected: unknown; actual: unknown }[];
  findings: { table: string; key: Record<string, unknown>; reason: string }[];
}

/**
 * The audit against items written straight into DynamoDB Local: it reads what it can, reports
 * what it cannot as findings with their keys, and recomputes with its own arithmetic.
 */
describe("npm run audit on items written around the API", () => {
  let db: TestDynamoDb;
  const put = (table: string, Item: Record<string, AttributeValue>) =>
    db.client.send(new PutItemCommand({ TableName: table, Item }));
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAudit(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      client: db.client,
      env: {},
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  beforeAll(async () => {
    db = await startTestDynamoDb();
    // Arrange (shared): a 38-digit pet price, a malformed pet, a malformed car park, a cart of
    // 38-digit prices, and aggregates that agree with them.
    await put(t("pets"), {
      id: N("1"),
      name: S("Precise"),
      type: S("axolotl"),
      price: N("12345678901234567890123456789012345678"),
    });
    await put(t("pets"), { id: N("2"), name: S("Broken"), type: S("dog"), price: S("cheap") });
    await put(t("parkingData"), { carParkId: S("CP-BAD"), name: S("No numbers"), capacity: S("lots") });
    await put(t("carts"), {
      userId: S("reader"),
      cartItems: {
        L: [
          {
            M: {
              bookId: S("b1"),
              title: S("Long"),
              price: N("9999999999999999999999999999.9999999999"),
              quantity: N("3"),
              addedAt: S("2025-12-01T10:00:00.000Z"),
            },
          },
        ],
      },
    });
    await put(t("aggregates"), {
      pk: S("store-stats#pets"),
      sk: S(shardOfStoreStats("1")),
      positions: { M: {} },
      petCount: N("1"),
      byType: { M: { axolotl: N("1") } },
      pets: { M: { "1": S("axolotl") } },
    });
    await put(t("aggregates"), cartsAggregate("29999999999999999999999999999.9999999997"));
  }, 60_000);

  afterAll(async () => {
    await db?.stop();
  });

  it("reports each unreadable item with its table and key, exits 1, and does not crash", async () => {
    // Act
    const { code, out } = await run(["--json"]);
    const report = JSON.parse(out) as JsonReport;

    // Assert
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          table: t("pets"),
          key: { id: "2" },
          reason: expect.stringContaining("price"),
        }),
        expect.objectContaining({
          table: t("parkingData"),
          key: { carParkId: "CP-BAD" },
          reason: expect.stringContaining("capacity"),
        }),
      ]),
    );
    expect(report.findings).toHaveLength(2);
  });

  it("agrees with a 38-digit pet price and cart totals past 38 digits, computed exactly", async () => {
    // Act
    const { out } = await run(["--json"]);
    const report = JSON.parse(out) as JsonReport;

    // Assert
    expect(report.differences.filter((d) => d.aggregate.startsWith("store-stats"))).toEqual([]);
  });

  it("names a stored total that differs from its exact recomputation by one in the last digit", async () => {
    // Arrange
    await put(t("aggregates"), cartsAggregate("29999999999999999999999999999.9999999998"));

    // Act
    const { code, out } = await run([]);

    // Assert
    expect(code).toBe(1);
    expect(out).toContain(
      'store-stats/carts carts totalValue: expected "29999999999999999999999999999.9999999997", found "29999999999999999999999999999.9999999998"',
    );
    expect(out).toContain(`unreadable item in ${t("pets")} {"id":"2"}`);
  });

  it("reads the declared tables unless told otherwise", () => {
    expect(auditTableNames(pipeline, {}).pets).toBe(t("pets"));
  });
});
