import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeSetAside, encodeSetAside, SET_ASIDE_INLINE_LIMIT_BYTES } from "#commons/set-aside.ts";
import type { SetAsideItem } from "#schemas/set-aside.ts";

const AT = "2025-11-30T16:05:13.000Z";
const base = { table: "pets", sequenceNumber: "100", setAsideAt: AT, reason: "what, the value, the fix" };
const event = {
  id: "ev-1",
  source: "ripple.parking",
  "detail-type": "CarParkOccupancyChanged",
  time: "2025-11-30T16:05:13Z",
  resources: [],
  detail: { metadata: { eventId: "e1" }, data: { carParkId: "CP001" } },
};
const record = { eventID: "1", eventName: "INSERT", dynamodb: { SequenceNumber: "100" } };

const items: { description: string; item: SetAsideItem }[] = [
  {
    description: "a stream record",
    item: { ...base, kind: "stream-record", id: "pets#100", reasonCode: "SchemaViolationError", record },
  },
  {
    description: "a rejected event",
    item: {
      ...base,
      kind: "consumer-rejected",
      id: "consumer-rejected#store-stats#ev-1",
      reasonCode: "ConsumerRejectedEvent",
      consumer: "store-stats",
      eventId: "e1",
      detailType: "PetListed",
      record: event,
    },
  },
  {
    description: "a dead letter",
    item: {
      ...base,
      kind: "dead-letter",
      id: "dead-letter#1",
      reasonCode: "DeadLetter",
      eventId: "ev-1",
      rule: "parking",
      target: "parking-totals",
      eventBusName: "ripple",
      deadLetterArn: "arn:aws:sqs:us-east-1:000000000000:dlq",
      event,
      error: "boom",
      attempts: 3,
      time: AT,
      attributes: {
        RULE_ARN: "arn:aws:events:us-east-1:000000000000:rule/ripple/parking",
        RETRY_ATTEMPTS: 2,
      },
    },
  },
  {
    description: "a given-up stream batch",
    item: {
      ...base,
      kind: "stream-batch-failure",
      id: "stream-batch-failure#pets#shard-1#100-105",
      reasonCode: "RetryAttemptsExhausted",
      condition: "RetryAttemptsExhausted",
      streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/pets/stream/x",
      shardId: "shard-1",
      endSequenceNumber: "105",
      batchSize: 6,
      record: { version: "1.0" },
    },
  },
];

describe("encodeSetAside and decodeSetAside", () => {
  it.each(items)("read back $description as it was written", ({ item }) => {
    // Act
    const decoded = decodeSetAside(encodeSetAside(item));

    // Assert
    expect(decoded).toEqual({ success: true, data: item });
  });

  it("stores a stream record without a kind, as redrive has always read it", () => {
    // Act
    const stored = encodeSetAside(items[0]!.item);

    // Assert
    expect(stored.kind).toBeUndefined();
    expect(stored.record).toEqual({ S: JSON.stringify(record) });
  });

  it("stores a dead letter's event as JSON text and its message attributes at the top level", () => {
    // Act
    const stored = encodeSetAside(items[2]!.item);

    // Assert
    expect(stored).toMatchObject({
      kind: { S: "dead-letter" },
      event: { S: JSON.stringify(event) },
      RULE_ARN: { S: "arn:aws:events:us-east-1:000000000000:rule/ripple/parking" },
      RETRY_ATTEMPTS: { N: "2" },
    });
    expect(stored.attributes).toBeUndefined();
  });

  it.each([
    {
      description: "gzipped past the inline limit",
      bytes: SET_ASIDE_INLINE_LIMIT_BYTES + 1,
      attribute: "recordGzip",
    },
    {
      description: "described instead of kept when too large even gzipped",
      bytes: 600 * 1024,
      attribute: "recordOmitted",
    },
  ])("keeps a large record $description", ({ bytes, attribute }) => {
    // Arrange: random base64 compresses to about three quarters of its size.
    const large = { ...record, blob: randomBytes(Math.ceil((bytes * 3) / 4)).toString("base64") };
    const item: SetAsideItem = {
      ...base,
      kind: "stream-record",
      id: "pets#1",
      reasonCode: "OversizedEventError",
      record: large,
    };

    // Act
    const stored = encodeSetAside(item);
    const decoded = decodeSetAside(stored);

    // Assert
    expect(Object.keys(stored)).toContain(attribute);
    expect(stored.record).toBeUndefined();
    if (attribute === "recordGzip") expect(decoded).toEqual({ success: true, data: item });
    else
      expect(decoded).toMatchObject({
        success: true,
        data: { record: undefined, recordOmitted: expect.stringMatching(/too large to keep/) },
      });
  });

  it.each([
    {
      description: "an unknown kind",
      stored: { ...encodeSetAside(items[0]!.item), kind: { S: "mystery" } },
      kind: "mystery",
      reason: /does not fit the set-aside schema: kind/,
    },
    {
      description: "a reason code no writer uses",
      stored: { ...encodeSetAside(items[0]!.item), reasonCode: { S: "X" } },
      kind: "stream-record",
      reason: /reasonCode/,
    },
    {
      description: "a rejected event without its consumer",
      stored: (({ consumer: _, ...rest }) => rest)(encodeSetAside(items[1]!.item)),
      kind: "consumer-rejected",
      reason: /consumer/,
    },
    {
      description: "a dead letter whose event is not JSON",
      stored: { ...encodeSetAside(items[2]!.item), event: { S: "{not json" } },
      kind: "dead-letter",
      reason: /is not JSON/,
    },
  ])("reports $description as unreadable, naming the item and why", ({ stored, kind, reason }) => {
    // Act
    const decoded = decodeSetAside(stored);

    // Assert
    expect(decoded.success).toBe(false);
    if (decoded.success) return;
    expect(decoded.error).toMatchObject({ id: stored.id?.S, kind });
    expect(decoded.error.reason).toMatch(reason);
  });
});
