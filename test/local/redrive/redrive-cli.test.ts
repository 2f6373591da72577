import { CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSetAside, setAsideItem } from "#commons/set-aside.ts";
import {
  type EventBridgeEvent,
  type LocalEventBridge,
  startLocalEventBridge,
} from "#infra/local/eventbridge/server.ts";
import { createTableInput } from "#infra/local/tables.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runRedrive } from "#infra/redrive/cli.ts";
import { LOCAL_CLIENT_CONFIG, startTestDynamoDb, type TestDynamoDb } from "../../helpers/dynamodb.ts";
import { loadStreamRecord } from "../../helpers/events.ts";

const SET_ASIDE = "ripple-set-aside";

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
    eventBridge = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: bus.endpoint });
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
      message: '--only must be one of records, rejected, dead-letters, on-failure (given "everything")',
    },
    {
      description: "an unknown stage",
      argv: ["--stage", "qa"],
      message: '--stage must be one of dev, prod (given "qa")',
    },
    {
      description: "a bucket name S3 would refuse",
      argv: ["--bucket", "My_Bucket"],
      message:
        '--bucket must be an S3 bucket name, 3-63 lowercase letters, digits, dots and hyphens (given "My_Bucket"), e.g. --bucket "$(out FanOutOnFailureBucketName)"',
    },
    {
      description: "a bucket with a kind that does not read it",
      argv: ["--bucket", "ripple-on-failure", "--only", "records"],
      message:
        "--bucket is read by the on-failure kind only; leave out --only records or give --only on-failure",
    },
  ])("exits 2 on $description, saying what is allowed", async ({ argv, message }) => {
    // Act
    const code = await run(argv);
    // Assert
    expect(code).toBe(2);
    expect(lines.err.join("\n")).toContain(message);
  });

  /** A PetStore stream record of `image` (as the schema-violation recording, with another id). */
  const petRecord = (id: string, image: Record<string, unknown>, sequenceNumber: string) => {
    const record = structuredClone(loadStreamRecord("PetStore/schema-violation.json"));
    record.dynamodb!.Keys = { id: { N: id } };
    record.dynamodb!.NewImage = image as never;
    record.dynamodb!.SequenceNumber = sequenceNumber;
    return record;
  };
  const putPet = (item: Record<string, unknown>) =>
    dynamo.client.send(new PutItemCommand({ TableName: "PetStore", Item: item as never }));
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

  it("says on --dry-run which items would be published afresh, stay, or be cleared, changing nothing", async () => {
    // Arrange: four records set aside, and the items as they are now — one that mapped all along
    // (42), one still bad (43), one fixed since (44: a price of "cheap" corrected to 12.5), one
    // deleted since (45) — and an event a consumer rejected.
    const put = (item: Record<string, unknown>) =>
      dynamo.client.send(new PutItemCommand({ TableName: SET_ASIDE, Item: item as never }));
    const entry = (id: string, reason: string, record: unknown) =>
      setAsideItem({
        id,
        reasonCode: "SchemaViolationError",
        reason,
        table: "PetStore",
        sequenceNumber: id.split("#")[1]!,
        record,
      });
    const badPrice = { id: { N: "44" }, name: { S: "Fixed" }, type: { S: "cat" }, price: { S: "cheap" } };
    await put(entry("PetStore#1", "was broken", loadStreamRecord("PetStore/insert.json")));
    await put(entry("PetStore#2", "bad", loadStreamRecord("PetStore/schema-violation.json")));
    await put(
      entry("PetStore#3", "price is cheap", petRecord("44", badPrice, "4421584500000000017450460000")),
    );
    await put(
      entry(
        "PetStore#4",
        "price is cheap",
        petRecord("45", { ...badPrice, id: { N: "45" } }, "4421584500000000017450470000"),
      ),
    );
    await put({
      ...setAsideItem({
        id: "consumer-rejected#parking-totals#1",
        reasonCode: "ConsumerRejectedEvent",
        reason: "old schema",
        table: "parking-data",
        sequenceNumber: "3",
        record: rejectedEvent,
      }),
      kind: { S: "consumer-rejected" },
      consumer: { S: "parking-totals" },
    });
    const record42 = loadStreamRecord("PetStore/insert.json").dynamodb!.NewImage;
    const record43 = loadStreamRecord("PetStore/schema-violation.json").dynamodb!.NewImage;
    await putPet(record42 as never);
    await putPet(record43 as never);
    await putPet({ ...badPrice, price: { N: "12.5" } });

    // Act
    const code = await run(["--dry-run"]);
    const left = (await readSetAside(dynamo.client, SET_ASIDE)).items;

    // Assert
    expect(code).toBe(0);
    expect(left).toHaveLength(5);
    expect(lines.out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^records: would publish afresh: PetStore#1 \(item \{"id":"42"\} of PetStore as it is now fits/,
        ),
        expect.stringMatching(/^records: would stay set aside: PetStore#2 \(.*price/),
        expect.stringMatching(/^records: would publish afresh: PetStore#3 \(item \{"id":"44"\} of PetStore/),
        expect.stringMatching(
          /^records: would clear: PetStore#4 \(item \{"id":"45"\} of PetStore has been deleted since/,
        ),
        "would redrive rejected: consumer-rejected#parking-totals#1 (ConsumerRejectedEvent: old schema)",
      ]),
    );
  });

  it("republishes fixed items afresh, clears deleted ones, re-puts a rejected event, and keeps one still bad with its current reason", async () => {
    // Act
    const code = await run([]);
    await bus.drained();
    const left = (await readSetAside(dynamo.client, SET_ASIDE)).items;

    // Assert
    expect(code).toBe(1);
    expect(left.map((item) => item.id)).toEqual(["PetStore#2"]);
    expect(left[0]?.reason).toMatch(/record 4421584500000000017450458000 of PetStore .*price/);
    expect(lines.err.join("\n")).toMatch(/still set aside \(records\): PetStore#2: .*price/);
    expect(lines.out.join("\n")).toMatch(
      /cleared records: PetStore#4: item \{"id":"45"\} of PetStore has been deleted since/,
    );
    expect(received.map((e) => e["detail-type"]).sort()).toEqual([
      "CarParkOccupancyChanged",
      "PetListed",
      "PetListed",
    ]);
    const fixed = received.find((e) => (e.detail as { data: { id: number } }).data.id === 44);
    expect((fixed?.detail as { data?: { price?: string } } | undefined)?.data?.price).toBe("12.5");
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
        Item: setAsideItem({
          id: "PetStore#9",
          reasonCode: "SchemaViolationError",
          reason: "in prod",
          table: "prod-PetStore",
          sequenceNumber: "9",
          record: loadStreamRecord("PetStore/schema-violation.json"),
        }),
      }),
    );

    // Act
    const code = await run(["--stage", "prod", "--dry-run"]);

    // Assert
    expect(code).toBe(0);
    expect(lines.out.join("\n")).toMatch(
      /records: would stay set aside: PetStore#9 \(.*not a declared stream source/,
    );
  });
});
