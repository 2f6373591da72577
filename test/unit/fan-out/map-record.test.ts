import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { deterministicEventId } from "#commons/event-id.ts";
import { AWS_LIMITS } from "#commons/limits.ts";
import { sealOf } from "#commons/seal.ts";
import { USER_STATS_SEAL } from "#schemas/carbon.ts";
import { type ChangeKind, type DomainEventName, DomainEvents } from "#schemas/domain-events.ts";
import { changeKindOf, planRecord } from "../../../functions/fan-out/map-record.ts";
import { loadStreamRecord } from "../../helpers/events.ts";
import { detailOf, testConfig } from "./stubs.ts";

describe("planRecord", () => {
  describe.each([
    { file: "parking-data/insert.json", event: "CarParkOccupancyChanged", change: "INSERT" },
    { file: "parking-data/modify.json", event: "CarParkOccupancyChanged", change: "MODIFY" },
    { file: "parking-data/remove.json", event: "CarParkRemoved", change: "REMOVE" },
    { file: "carbontrack-entries/insert.json", event: "CarbonEntryRecorded", change: "INSERT" },
    { file: "carbontrack-entries/modify.json", event: "CarbonEntryRecorded", change: "MODIFY" },
    { file: "carbontrack-entries/remove.json", event: "CarbonEntryRemoved", change: "REMOVE" },
    { file: "carbontrack-entries/ttl-expire.json", event: "CarbonEntryRemoved", change: "EXPIRE" },
    { file: "carbontrack-users/insert.json", event: "UserRegistered", change: "INSERT" },
    { file: "carbontrack-goals/insert.json", event: "GoalSet", change: "INSERT" },
    { file: "carbontrack-goals/remove.json", event: "GoalRemoved", change: "REMOVE" },
    {
      file: "carbontrack-achievements/insert.json",
      event: "AchievementUnlocked",
      change: "INSERT",
      depth: 1,
    },
    { file: "PetStore/insert.json", event: "PetListed", change: "INSERT" },
    { file: "PetStore/modify.json", event: "PetUpdated", change: "MODIFY" },
    { file: "PetStore/remove.json", event: "PetRemoved", change: "REMOVE" },
    { file: "events/insert-all-types.json", event: "StoredEventCreated", change: "INSERT" },
    { file: "events/modify.json", event: "StoredEventUpdated", change: "MODIFY" },
    { file: "events/remove.json", event: "StoredEventRemoved", change: "REMOVE" },
    { file: "events/ttl-expire.json", event: "StoredEventRemoved", change: "EXPIRE" },
    { file: "events/large-under-limit.json", event: "StoredEventCreated", change: "INSERT" },
    { file: "events/large-at-limit.json", event: "StoredEventCreated", change: "INSERT" },
    { file: "cloudshelf-shopping-cart/insert.json", event: "CartUpdated", change: "INSERT" },
    { file: "cloudshelf-shopping-cart/modify.json", event: "CartUpdated", change: "MODIFY" },
    { file: "cloudshelf-shopping-cart/insert-seed-shape.json", event: "CartUpdated", change: "INSERT" },
    { file: "cloudshelf-shopping-cart/remove.json", event: "CartRemoved", change: "REMOVE" },
    { file: "cloudshelf-shopping-cart/ttl-expire.json", event: "CartRemoved", change: "EXPIRE" },
  ] as { file: string; event: DomainEventName; change: ChangeKind; depth?: number }[])(
    "$file",
    // A record written by a consumer carries its depth; one written by a user is depth 0.
    ({ file, event, change, depth = 0 }) => {
      it(`becomes one ${event} whose detail fits its schema`, () => {
        // Arrange
        const record = loadStreamRecord(file);
        const domainEvent = DomainEvents[event];

        // Act
        const plan = planRecord(record, testConfig);

        // Assert
        expect(plan.setAside).toEqual([]);
        expect(plan.events).toHaveLength(1);
        const [prepared] = plan.events;
        const detail = detailOf(prepared!.entry);
        expect(domainEvent.detailSchema.safeParse(detail).success).toBe(true);
        expect(prepared!.entry).toMatchObject({
          Source: domainEvent.source,
          DetailType: domainEvent.detailType,
          EventBusName: "ripple-test",
          Time: new Date(record.dynamodb!.ApproximateCreationDateTime! * 1000),
        });
        expect(prepared!.size).toBeLessThanOrEqual(AWS_LIMITS.putEventsEntryBytes);
      });

      it(`carries metadata: change ${change}, depth ${depth}, keys and a deterministic id`, () => {
        // Arrange
        const record = loadStreamRecord(file);
        const table = file.split("/")[0]!;
        const sequenceNumber = record.dynamodb!.SequenceNumber!;

        // Act
        const detail = detailOf(planRecord(record, testConfig).events[0]!.entry);

        // Assert
        expect(detail.metadata).toEqual({
          eventId: deterministicEventId(table, sequenceNumber, event),
          version: 1,
          table,
          change,
          sequenceNumber,
          changedAt: new Date(record.dynamodb!.ApproximateCreationDateTime! * 1000).toISOString(),
          keys: Object.fromEntries(Object.entries(record.dynamodb!.Keys!).map(([k, v]) => [k, v.S ?? v.N])),
          depth,
        });
      });
    },
  );

  it("publishes exact values: decimals as strings, every attribute type converted", () => {
    // Arrange
    const record = loadStreamRecord("events/insert-all-types.json");

    // Act
    const detail = detailOf(planRecord(record, testConfig).events[0]!.entry);

    // Assert
    expect((detail.data as { payload: unknown }).payload).toStrictEqual({
      orderId: "ord-1001",
      total: "12345678901234567890.123456789012345678",
      small: "0.1",
      signature: "3q2+7w==",
      tags: ["gift", "priority"],
      quantities: ["1", "2.5", "-3"],
      blobs: ["AAE=", "/w=="],
      shipping: { city: "Cambridge", zip: "CB2 1TN", geo: { lat: "52.2053", lon: "0.1218" } },
      lines: [{ sku: "BK-1", qty: "2" }, "note", "7", null, false, []],
      coupon: null,
      express: true,
    });
  });

  it("publishes map keys named __proto__ as data in the event's Detail", () => {
    // Arrange
    const record = loadStreamRecord("events/insert-proto-keys.json");

    // Act
    const plan = planRecord(record, testConfig);

    // Assert
    expect(plan.setAside).toEqual([]);
    const detail = plan.events[0]!.entry.Detail!;
    expect(detail).toContain(
      '"payload":{"__proto__":{"polluted":true},"order":{"__proto__":"kept as data","id":"ord-1002"},"lines":[{"__proto__":"2"}]}',
    );
    expect(detail).not.toContain("top-level attribute");
    expect(detail).not.toContain("\\u0000");
  });

  it("publishes the data its schema yields: integers as numbers, prices as exact strings", () => {
    // Arrange
    const record = loadStreamRecord("PetStore/insert.json");

    // Act
    const [prepared] = planRecord(record, testConfig).events;

    // Assert
    expect(detailOf(prepared!.entry).data).toStrictEqual({
      id: 42,
      name: "Biscuit",
      type: "dog",
      price: "249.99",
    });
    expect(prepared!.entry.Detail).toContain('"price":"249.99"');
  });

  it("publishes the keys alone as the data of a removal", () => {
    // Arrange
    const record = loadStreamRecord("carbontrack-entries/ttl-expire.json");

    // Act
    const detail = detailOf(planRecord(record, testConfig).events[0]!.entry);

    // Assert
    expect(detail.data).toStrictEqual({ userId: "user-ada", timestamp: "2025-11-30T08:15:00.000Z" });
  });

  it.each([
    { description: "publishes a change exactly fanOut.maxDepth hops deep", originDepth: "2", published: 1 },
    {
      description: "sets aside a change one hop deeper than fanOut.maxDepth",
      originDepth: "3",
      published: 0,
    },
  ])("$description", ({ originDepth, published }) => {
    // Arrange
    const record = loadStreamRecord("carbontrack-achievements/insert-loop.json");
    record.dynamodb!.NewImage!.rippleOrigin!.M!.depth = { N: originDepth };

    // Act
    const plan = planRecord(record, testConfig);

    // Assert
    expect(plan.events).toHaveLength(published);
    expect(plan.setAside).toHaveLength(1 - published);
    if (published === 1) expect(detailOf(plan.events[0]!.entry).metadata.depth).toBe(testConfig.maxDepth);
  });

  it("publishes nothing for a change kind with no declared mapping", () => {
    // Arrange: a profile removed (the users table maps INSERT and MODIFY only)
    const modify = loadStreamRecord("carbontrack-users/modify.json");
    const { NewImage: _image, ...dynamodb } = modify.dynamodb!;
    const record: DynamoDBRecord = { ...modify, eventName: "REMOVE", dynamodb };

    // Act
    const plan = planRecord(record, testConfig);

    // Assert
    expect(plan).toEqual({ events: [], setAside: [] });
  });

  describe("a profile rewritten around carbon-stats (MODIFY, unlessSealed)", () => {
    const sealed = (): DynamoDBRecord => {
      const record = loadStreamRecord("carbontrack-users/modify.json");
      const image = record.dynamodb!.NewImage as Record<string, Record<string, unknown>>;
      image.statsVersion = { N: "3" };
      image[USER_STATS_SEAL.attribute] = { S: sealOf(image, USER_STATS_SEAL.covers) };
      return record;
    };
    const imageOf = (record: DynamoDBRecord) =>
      record.dynamodb!.NewImage as Record<string, Record<string, unknown>>;

    it("publishes nothing when the statistics are as carbon-stats sealed them (its own write)", () => {
      // Arrange
      const record = sealed();

      // Act
      const plan = planRecord(record, testConfig);

      // Assert
      expect(plan).toEqual({ events: [], setAside: [] });
    });

    it("publishes nothing when only profile fields changed beside sealed statistics", () => {
      // Arrange
      const record = sealed();
      imageOf(record).name = { S: "Ada King" };

      // Act
      const plan = planRecord(record, testConfig);

      // Assert
      expect(plan).toEqual({ events: [], setAside: [] });
    });

    it.each([
      {
        description: "the statistics erased",
        alter: (image: Record<string, unknown>) => delete image.stats,
      },
      {
        description: "the total altered",
        alter: (image: Record<string, unknown>) => {
          const stats = image.stats as { M: Record<string, unknown> };
          stats.M.totalKgCO2e = { N: "999" };
        },
      },
      {
        description: "the statistics version altered",
        alter: (image: Record<string, unknown>) => {
          image.statsVersion = { N: "2" };
        },
      },
      {
        description: "no seal at all (a profile put with statistics copied from elsewhere)",
        alter: (image: Record<string, unknown>) => delete image[USER_STATS_SEAL.attribute],
      },
    ])("publishes one UserStatsAltered with the profile when $description", ({ alter }) => {
      // Arrange
      const record = sealed();
      alter(imageOf(record));

      // Act
      const plan = planRecord(record, testConfig);

      // Assert
      expect(plan.setAside).toEqual([]);
      expect(plan.events.map((e) => e.detailType)).toEqual(["UserStatsAltered"]);
      const detail = detailOf(plan.events[0]!.entry);
      expect(detail.data).toEqual({
        userId: "user-ada",
        name: "Ada Lovelace",
        email: "ada@example.com",
        createdAt: "2025-11-01T09:00:00.000Z",
      });
      expect(detail.metadata.change).toBe("MODIFY");
    });
  });

  it.each([
    {
      description: "a schema violation",
      file: "parking-data/schema-violation.json",
      reasonCode: "SchemaViolationError",
      reason:
        /does not fit CarParkOccupancyChanged v1: occupied \(given "300"\): expected .*occupied must not exceed capacity/,
      detailType: "CarParkOccupancyChanged",
    },
    {
      description: "a missing required attribute",
      file: "PetStore/schema-violation.json",
      reasonCode: "SchemaViolationError",
      reason: /does not fit PetListed v1: name \(given missing\): expected a value \(required\)/,
      detailType: "PetListed",
    },
    {
      description: "an INSERT without NewImage",
      file: "parking-data/malformed-no-image.json",
      reasonCode: "MalformedRecordError",
      reason: /NewImage is missing on this INSERT record; set the table's stream view type to NEW_IMAGE/,
      detailType: undefined,
    },
    {
      description: "a table that is no declared source",
      file: "undeclared-table/insert.json",
      reasonCode: "UnknownSourceTableError",
      reason: /table "orders" .* is not a declared stream source; declare it under sources/,
      detailType: undefined,
    },
    {
      description: "an image written too many pipeline hops deep",
      file: "carbontrack-achievements/insert-loop.json",
      reasonCode: "LoopDepthExceededError",
      reason: /written 4 pipeline hops deep, over fanOut.maxDepth 3/,
      detailType: undefined,
    },
    {
      description: "an event one byte over 1 MB",
      file: "events/large-over-limit.json",
      reasonCode: "OversizedEventError",
      reason:
        /is 1048577 bytes; a PutEvents entry may be at most 1048576 bytes \(limits.putEventsEntryBytes\)/,
      detailType: "StoredEventCreated",
    },
    {
      description: "an event within PutEvents' 1 MB that no consumer's 1 MB invocation could take",
      file: "events/large-undeliverable.json",
      reasonCode: "OversizedEventError",
      reason:
        /is 1048391 bytes, within PutEvents' 1048576, but 1048577 bytes as EventBridge delivers it to a consumer, whose asynchronous invocation takes at most 1048576 bytes \(limits.asyncInvokePayloadBytes\)/,
      detailType: "StoredEventCreated",
    },
  ])(
    "sets aside $description with its reason instead of publishing",
    ({ file, reasonCode, reason, detailType }) => {
      // Arrange
      const record = loadStreamRecord(file);
      const table = file.startsWith("undeclared-table") ? "orders" : file.split("/")[0]!;
      const sequenceNumber = record.dynamodb!.SequenceNumber!;

      // Act
      const plan = planRecord(record, testConfig);

      // Assert
      expect(plan.events).toEqual([]);
      expect(plan.setAside).toHaveLength(1);
      const [entry] = plan.setAside;
      expect(entry).toMatchObject({
        id:
          detailType === undefined
            ? `${table}#${sequenceNumber}`
            : `${table}#${sequenceNumber}#${detailType}`,
        reasonCode,
        table,
        sequenceNumber,
        record,
      });
      expect(entry!.reason).toMatch(reason);
    },
  );

  it.each([
    {
      description: "no SequenceNumber",
      change: (r: DynamoDBRecord) => delete r.dynamodb!.SequenceNumber,
      reason: /has no valid dynamodb.SequenceNumber \(given undefined\)/,
    },
    {
      description: "an unknown eventName",
      change: (r: DynamoDBRecord) => Object.assign(r, { eventName: "UPSERT" }),
      reason: /has eventName "UPSERT"; expected INSERT, MODIFY or REMOVE/,
    },
    {
      description: "no ApproximateCreationDateTime",
      change: (r: DynamoDBRecord) => delete r.dynamodb!.ApproximateCreationDateTime,
      reason: /has no valid dynamodb.ApproximateCreationDateTime \(given undefined\)/,
    },
    {
      description: "ApproximateCreationDateTime in milliseconds",
      change: (r: DynamoDBRecord) =>
        Object.assign(r.dynamodb!, { ApproximateCreationDateTime: 1764518712000 }),
      reason: /\(given 1764518712000\); expected epoch seconds such as 1764518712/,
    },
    {
      description: "no Keys",
      change: (r: DynamoDBRecord) => delete r.dynamodb!.Keys,
      reason: /cannot be read: dynamodb.Keys is missing/,
    },
    {
      description: "an attribute value without a type",
      change: (r: DynamoDBRecord) => Object.assign(r.dynamodb!.NewImage!, { name: { Z: "?" } }),
      reason: /cannot be read: attribute \$.name has no DynamoDB type/,
    },
  ])("sets aside a record with $description as malformed", ({ change, reason }) => {
    // Arrange
    const record = loadStreamRecord("parking-data/insert.json");
    change(record);

    // Act
    const plan = planRecord(record, testConfig);

    // Assert
    expect(plan.events).toEqual([]);
    expect(plan.setAside[0]).toMatchObject({ reasonCode: "MalformedRecordError" });
    expect(plan.setAside[0]!.reason).toMatch(reason);
  });
});

describe("changeKindOf", () => {
  it.each([
    {
      description: "a REMOVE by DynamoDB's TTL is EXPIRE",
      file: "events/ttl-expire.json",
      expected: "EXPIRE",
    },
    { description: "a REMOVE by a user is REMOVE", file: "events/remove.json", expected: "REMOVE" },
    { description: "an INSERT is INSERT", file: "events/insert-all-types.json", expected: "INSERT" },
  ])("$description", ({ file, expected }) => {
    // Act
    const kind = changeKindOf(loadStreamRecord(file));

    // Assert
    expect(kind).toBe(expected);
  });

  it("treats a REMOVE by another service principal as a REMOVE", () => {
    // Arrange
    const record = loadStreamRecord("events/ttl-expire.json");
    record.userIdentity = { type: "Service", principalId: "lambda.amazonaws.com" };

    // Act
    const kind = changeKindOf(record);

    // Assert
    expect(kind).toBe("REMOVE");
  });
});
