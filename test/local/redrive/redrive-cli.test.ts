import { CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSetAside, readSetAside } from "#commons/set-aside.ts";
import {
  type EventBridgeEvent,
  type LocalEventBridge,
  startLocalEventBridge,
} from "#infra/local/eventbridge/server.ts";
import { createTableInput } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runRedrive } from "#infra/redrive/cli.ts";
import { startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { loadStreamRecord } from "../../helpers/events.ts";

const SET_ASIDE = "ripple-set-aside";
/** When the items below were set aside. */
const AT = "2025-11-30T16:05:13.000Z";

describe("npm run redrive", () => {
  let dynamo: TestDynamoDb;
  let bus: LocalEventBridge;
  let eventBridge: EventBridgeClient;
  const received: EventBridgeEvent[] = [];
  const lines: { out: string[]; err: string[] } = { out: [], err: [] };
  const run = (argv: string[]) =>
    runRedrive(argv, {
      out: (line) => lines.out.push(line),
      err: (line) => lines.err.push(line),
      dynamodb: dynamo.client,
      eventBridge,
      env: { EVENT_BUS_NAME: "default" },
    });

  beforeAll(async () => {
    dynamo = await startTestDynamoDb();
    bus = await startLocalEventBridge({
      port: 0,
      retryBaseDelayMs: 10,
      logger: { info() {}, warn() {}, error() {} },
    });
    eventBridge = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await eventBridge.send(
      new PutRuleCommand({
        Name: "all",
        EventPattern: JSON.stringify({ source: [{ prefix: "" }] }),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: "all",
        Targets: [{ Id: "capture", Arn: "arn:aws:lambda:us-east-1:000000000000:function:capture" }],
      }),
    );
    bus.registerFunctionTarget("all", "capture", async (event) => {
      received.push(event);
    });
  });

  afterAll(async () => {
    eventBridge?.destroy();
    await bus?.stop();
    await dynamo?.stop();
  });

  it.each([
    { description: "an unknown flag", argv: ["--force"], message: "Unknown option '--force'" },
    {
      description: "an unknown kind",
      argv: ["--only", "everything"],
      message: '--only must be one of records, rejected, dead-letters (given "everything")',
    },
    {
      description: "an unknown stage",
      argv: ["--stage", "qa"],
      message: '--stage must be one of dev, prod (given "qa")',
    },
  ])("exits 2 on $description, saying what is allowed", async ({ argv, message }) => {
    // Act
    const code = await run(argv);
    // Assert
    expect(code).toBe(2);
    expect(lines.err.join("\n")).toContain(message);
  });

  it("republishes a set-aside record that now maps and a rejected event, deleting both items, and keeps one that still fails", async () => {
    // Arrange: a record set aside while something was broken (it maps now), a record that still
    // breaks its schema, and an event a consumer rejected.
    const mapsNow = loadStreamRecord("PetStore/insert.json");
    const stillBad = loadStreamRecord("PetStore/schema-violation.json");
    const rejectedEvent = {
      version: "0",
      id: "0d7a4c5e-0000-4000-8000-000000000001",
      source: "ripple.parking",
      "detail-type": "CarParkOccupancyChanged",
      account: "000000000000",
      time: "2025-11-30T16:05:13Z",
      region: "us-east-1",
      resources: [],
      detail: { metadata: { eventId: "e1" }, data: { carParkId: "CP001" } },
    };
    const put = (item: Record<string, unknown>) =>
      dynamo.client.send(new PutItemCommand({ TableName: SET_ASIDE, Item: item as never }));
    await put(
      encodeSetAside({
        kind: "stream-record",
        id: "PetStore#1",
        reasonCode: "UnknownSourceTableError",
        reason: "was broken",
        table: "PetStore",
        sequenceNumber: "1",
        setAsideAt: AT,
        record: mapsNow,
      }),
    );
    await put(
      encodeSetAside({
        kind: "stream-record",
        id: "PetStore#2",
        reasonCode: "SchemaViolationError",
        reason: "bad",
        table: "PetStore",
        sequenceNumber: "2",
        setAsideAt: AT,
        record: stillBad,
      }),
    );
    await put(
      encodeSetAside({
        kind: "consumer-rejected",
        id: "consumer-rejected#parking-totals#1",
        reasonCode: "ConsumerRejectedEvent",
        reason: "old schema",
        table: "parking-data",
        sequenceNumber: "3",
        setAsideAt: AT,
        consumer: "parking-totals",
        record: rejectedEvent,
      }),
    );

    // Act
    const code = await run([]);
    await bus.drained();
    const left = (await readSetAside(dynamo.client, SET_ASIDE)).items;

    // Assert
    expect(code).toBe(1);
    expect(left.map((item) => item.id)).toEqual(["PetStore#2"]);
    expect(lines.err.join("\n")).toMatch(/still set aside \(records\): PetStore#2: .*price/);
    expect(received.map((e) => e["detail-type"]).sort()).toEqual(["CarParkOccupancyChanged", "PetListed"]);
    expect(received.find((e) => e["detail-type"] === "CarParkOccupancyChanged")?.detail).toEqual(
      rejectedEvent.detail,
    );
  });

  it("reads a deployed stage's set-aside table with --stage", async () => {
    // Arrange
    const declared = pipeline.tables[pipeline.fanOut.setAsideTable]!;
    await dynamo.client.send(
      new CreateTableCommand(createTableInput({ ...declared, tableName: `prod-${declared.tableName}` })),
    );
    await dynamo.client.send(
      new PutItemCommand({
        TableName: `prod-${declared.tableName}`,
        Item: encodeSetAside({
          kind: "stream-record",
          id: "PetStore#9",
          reasonCode: "SchemaViolationError",
          reason: "in prod",
          table: "prod-PetStore",
          sequenceNumber: "9",
          setAsideAt: AT,
          record: loadStreamRecord("PetStore/schema-violation.json"),
        }),
      }),
    );

    // Act
    const code = await run(["--stage", "prod", "--dry-run"]);

    // Assert
    expect(code).toBe(0);
    expect(lines.out).toContain("would redrive records: PetStore#9 (SchemaViolationError: in prod)");
  });

  it("lists without changing anything on --dry-run", async () => {
    // Act
    const code = await run(["--dry-run"]);
    const left = (await readSetAside(dynamo.client, SET_ASIDE)).items;
    // Assert
    expect(code).toBe(0);
    expect(lines.out).toContain("would redrive records: PetStore#2 (SchemaViolationError: bad)");
    expect(left).toHaveLength(1);
  });
});
