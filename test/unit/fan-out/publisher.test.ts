import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { deliveredEventSize, entrySize, packBySize, publishEntries } from "#commons/publisher.ts";
import { itReturns } from "../../helpers/tables.ts";
import { stubEventBridge } from "./stubs.ts";

const entry = (n: number, detailBytes = 10): PutEventsRequestEntry => ({
  Source: "ripple.test",
  DetailType: `T${n}`,
  Detail: JSON.stringify({ n, pad: "x".repeat(Math.max(0, detailBytes - 15 - String(n).length)) }),
  EventBusName: "a-very-long-bus-name-that-is-not-counted",
});

/** An entry whose size, counted as EventBridge counts it, is exactly `bytes`. */
const sizedEntry = (n: number, bytes: number): PutEventsRequestEntry => {
  const base = entry(n, 0);
  const fixed = entrySize({ ...base, Detail: '{"pad":""}' });
  return { ...base, Detail: JSON.stringify({ pad: "x".repeat(bytes - fixed) }) };
};

const fastRetry = { sleep: async () => {}, random: () => 0.5, remainingTimeMs: () => 60_000 };

describe("entrySize", () => {
  itReturns("$description", entrySize, [
    {
      description: "counts Source, DetailType and Detail as UTF-8 bytes, not EventBusName",
      input: { Source: "src", DetailType: "dt", Detail: "{}", EventBusName: "bus-name" },
      expected: 3 + 2 + 2,
    },
    {
      description: "counts Time as 14 bytes when set",
      input: { Time: new Date(0), Source: "src", DetailType: "dt", Detail: "{}" },
      expected: 14 + 7,
    },
    {
      description: "counts multi-byte characters by their UTF-8 length",
      input: { Source: "s", DetailType: "d", Detail: '{"v":"€😀"}' },
      expected: 1 + 1 + 8 + 3 + 4,
    },
    {
      description: "counts each Resources string",
      input: { Source: "s", DetailType: "d", Resources: ["arn:a", "arn:bb"] },
      expected: 1 + 1 + 5 + 6,
    },
  ]);
});

describe("deliveredEventSize", () => {
  /** The event as EventBridge hands it to a Lambda target, with the longest values it fills in. */
  const delivered = (entry: PutEventsRequestEntry) =>
    Buffer.byteLength(
      JSON.stringify({
        version: "0",
        id: "00000000-0000-0000-0000-000000000000",
        "detail-type": entry.DetailType,
        source: entry.Source,
        account: "000000000000",
        time: "2000-01-01T00:00:00Z",
        region: "x".repeat(20),
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail ?? "{}"),
      }),
    );
  const entry = (Source: string, DetailType: string, Detail: string, Resources?: string[]) =>
    Resources === undefined ? { Source, DetailType, Detail } : { Source, DetailType, Detail, Resources };
  const entries: PutEventsRequestEntry[] = [
    entry("ripple.parking", "CarParkOccupancyChanged", '{"a":1}'),
    // Same source and detail-type, another detail: its own size, not the first one's.
    entry("ripple.parking", "CarParkOccupancyChanged", '{"a":"é","b":[1,2,3]}'),
    entry("ripple.parking", "CarParkRemoved", '{"a":1}'),
    entry("ripple.café", "Zähler", '{"x":"🌍"}'),
    // Resources after the same pair without them: they are counted.
    entry("ripple.parking", "CarParkOccupancyChanged", '{"a":1}', [
      "arn:aws:dynamodb:eu-west-2:123456789012:table/parking-data",
    ]),
  ];

  it.each(entries.map((entry) => ({ entry, expected: delivered(entry) })))(
    "counts $entry.DetailType from $entry.Source with detail $entry.Detail as $expected bytes",
    ({ entry, expected }) => {
      // Act, twice: the second answer comes from what the first one learnt of the envelope
      const sizes = [deliveredEventSize(entry), deliveredEventSize(entry)];
      // Assert
      expect(sizes).toEqual([expected, expected]);
    },
  );
});

describe("packBySize", () => {
  it("fills requests with 10 entries each, keeping order", () => {
    // Arrange
    const items = Array.from({ length: 23 }, (_, i) => i);

    // Act
    const requests = packBySize(items, () => 100);

    // Assert
    expect(requests.map((r) => r.length)).toEqual([10, 10, 3]);
    expect(requests.flat()).toEqual(items);
  });

  it.each([
    {
      description: "keeps a request of exactly 1 MB together",
      sizes: [500_000, 500_000, 48_576, 1],
      expected: [[500_000, 500_000, 48_576], [1]],
    },
    {
      description: "starts a new request when the next entry would take it past 1 MB",
      sizes: [500_000, 500_000, 48_577, 5],
      expected: [
        [500_000, 500_000],
        [48_577, 5],
      ],
    },
    {
      description: "gives an entry of 1 MB a request of its own",
      sizes: [1, 1_048_576, 5],
      expected: [[1], [1_048_576], [5]],
    },
  ])("$description", ({ sizes, expected }) => {
    // Act
    const requests = packBySize(sizes, (s) => s);

    // Assert
    expect(requests).toEqual(expected);
    for (const request of requests) expect(request.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1_048_576);
  });

  it("packs by declared limits when given them", () => {
    // Arrange
    const limits = { putEventsEntryBytes: 262_144, putEventsRequestBytes: 262_144 };

    // Act
    const requests = packBySize([200_000, 62_144, 1], (s) => s, limits);

    // Assert
    expect(requests).toEqual([[200_000, 62_144], [1]]);
  });
});

describe("publishEntries", () => {
  it("retries only the entries that failed, in the next request", async () => {
    // Arrange
    const eventBridge = stubEventBridge((entries, call) =>
      call === 1
        ? entries.map((e, i) =>
            i === 1 || i === 3
              ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
              : { EventId: `ok-${e.DetailType}` },
          )
        : undefined,
    );
    const entries = [0, 1, 2, 3, 4].map((n) => entry(n));

    // Act
    const outcome = await publishEntries(eventBridge.client, entries, fastRetry);

    // Assert
    expect(eventBridge.requests.map((r) => r.map((e) => e.DetailType))).toEqual([
      ["T0", "T1", "T2", "T3", "T4"],
      ["T1", "T3"],
    ]);
    expect(outcome.delivered).toEqual([true, true, true, true, true]);
    expect(outcome.failedEntries).toBe(2);
  });

  it("retries a request that throws", async () => {
    // Arrange
    const eventBridge = stubEventBridge((_, call) => (call === 1 ? new Error("socket hang up") : undefined));

    // Act
    const outcome = await publishEntries(eventBridge.client, [entry(0), entry(1)], fastRetry);

    // Assert
    expect(eventBridge.requests).toHaveLength(2);
    expect(outcome.delivered).toEqual([true, true]);
  });

  it.each([
    {
      description: "stops retrying when the remaining time, less the safety margin, is used up",
      remainingMs: 8_000,
      options: { safetyMarginMs: 5_000, baseDelayMs: 1_000, maxDelayMs: 10_000, random: () => 0.99 },
      waits: [990, 1980],
    },
    {
      description: "caps the backoff delay and jitters it",
      remainingMs: 600_000,
      options: { baseDelayMs: 100, maxDelayMs: 500, maxAttempts: 6, random: () => 0.5 },
      waits: [50, 100, 200, 250, 250],
    },
  ])("$description", async ({ remainingMs, options, waits }) => {
    // Arrange: a clock that each wait moves on
    const eventBridge = stubEventBridge(() => new Error("ServiceUnavailable"));
    let remaining = remainingMs;
    const waited: number[] = [];
    const sleep = async (ms: number) => {
      waited.push(ms);
      remaining -= ms;
    };

    // Act
    const outcome = await publishEntries(eventBridge.client, [entry(0)], {
      ...options,
      remainingTimeMs: () => remaining,
      sleep,
    });

    // Assert
    expect(waited).toEqual(waits);
    expect(eventBridge.requests).toHaveLength(waits.length + 1);
    expect(outcome.delivered).toEqual([false]);
    expect(outcome.lastError[0]).toBe("Error: ServiceUnavailable");
  });

  it.each([
    { description: "one byte over 1 MB", bytes: 1_048_577 },
    { description: "of 2 MB", bytes: 2_097_152 },
  ])("never sends an entry $description and reports it undelivered", async ({ bytes }) => {
    // Arrange
    const eventBridge = stubEventBridge();
    const big = sizedEntry(1, bytes);

    // Act
    const outcome = await publishEntries(eventBridge.client, [entry(0), big], fastRetry);

    // Assert
    expect(entrySize(big)).toBe(bytes);
    expect(eventBridge.requests.map((r) => r.map((e) => e.DetailType))).toEqual([["T0"]]);
    expect(outcome.delivered).toEqual([true, false]);
    expect(outcome.lastError[1]).toBe(
      `entry is ${bytes} bytes; a PutEvents entry may be at most 1048576 bytes`,
    );
  });

  it.each([
    {
      description: "an entry of exactly 1 MB in a request of its own",
      bytes: 1_048_576,
      requests: [["T0"], ["T1"], ["T2"]],
    },
    {
      description: "an entry of 900 KB in one request with small ones",
      bytes: 900 * 1024,
      requests: [["T0", "T1", "T2"]],
    },
  ])("sends $description", async ({ bytes, requests }) => {
    // Arrange
    const eventBridge = stubEventBridge();
    const big = sizedEntry(1, bytes);

    // Act
    const outcome = await publishEntries(eventBridge.client, [entry(0), big, entry(2)], fastRetry);

    // Assert
    expect(entrySize(big)).toBe(bytes);
    expect(eventBridge.requests.map((r) => r.map((e) => e.DetailType))).toEqual(requests);
    expect(outcome.delivered).toEqual([true, true, true]);
  });
});
