import { describe, expect, it } from "vitest";
import { InvalidLimitsError } from "#commons/errors.ts";
import { AWS_LIMITS, billedChunks, resolveLimits } from "#commons/limits.ts";
import { resolveFanOutConfig } from "#infra/function-config.ts";
import { pipeline } from "#infra/pipeline.ts";

describe("resolveLimits", () => {
  it("fills in AWS's current values: 1 MB payloads, 64 KB billing chunks", () => {
    // Act
    const limits = resolveLimits();

    // Assert
    expect(limits).toEqual({
      putEventsEntryBytes: 1_048_576,
      putEventsRequestBytes: 1_048_576,
      asyncInvokePayloadBytes: 1_048_576,
      sqsMessageBytes: 1_048_576,
      billingChunkBytes: 65_536,
    });
  });

  it("keeps what the declaration sets and fills in the rest", () => {
    // Act
    const limits = resolveLimits({ putEventsEntryBytes: 262_144 });

    // Assert
    expect(limits.putEventsEntryBytes).toBe(262_144);
    expect(limits.putEventsRequestBytes).toBe(AWS_LIMITS.putEventsRequestBytes);
  });

  it.each([
    {
      description: "zero",
      limits: { sqsMessageBytes: 0 },
      message: /limits.sqsMessageBytes must be at least 1 byte.*\(given 0\)/,
    },
    {
      description: "a fraction",
      limits: { billingChunkBytes: 1.5 },
      message: /limits.billingChunkBytes must be a whole number of bytes.*\(given 1.5\)/,
    },
    {
      description: "a string",
      limits: { asyncInvokePayloadBytes: "1MB" as unknown as number },
      message: /limits.asyncInvokePayloadBytes must be a number of bytes.*\(given "1MB"\)/,
    },
    {
      description: "an unknown limit",
      limits: { eventBytes: 1 } as never,
      message: /eventBytes/,
    },
    {
      description: "a request smaller than an entry",
      limits: { putEventsEntryBytes: 2_000, putEventsRequestBytes: 1_000 },
      message: /putEventsRequestBytes \(1000\) is smaller than limits.putEventsEntryBytes \(2000\)/,
    },
  ])("refuses $description, naming the value and the fix", ({ limits, message }) => {
    // Act
    const act = () => resolveLimits(limits);

    // Assert
    expect(act).toThrow(InvalidLimitsError);
    expect(act).toThrow(message);
  });

  it("reaches the fan-out through its configuration", () => {
    // Act
    const config = resolveFanOutConfig({
      busName: "ripple",
      pipeline: { ...pipeline, limits: { putEventsEntryBytes: 262_144, putEventsRequestBytes: 262_144 } },
    });

    // Assert
    expect(config.limits.putEventsEntryBytes).toBe(262_144);
    expect(config.limits.asyncInvokePayloadBytes).toBe(1_048_576);
  });
});

describe("billedChunks", () => {
  it.each([
    { bytes: 0, chunks: 1 },
    { bytes: 65_536, chunks: 1 },
    { bytes: 65_537, chunks: 2 },
    { bytes: 1_048_576, chunks: 16 },
  ])("bills $bytes bytes as $chunks request(s)", ({ bytes, chunks }) => {
    // Act + Assert
    expect(billedChunks(bytes)).toBe(chunks);
  });
});
