import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApiHarness } from "./harness.ts";

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.stop();
});

describe("CarbonTrack profile statistics", () => {
  it.each([
    { description: "statistics", field: "stats", value: { totalKgCO2e: "0", entryCount: 0 } },
    { description: "the statistics' version", field: "statsVersion", value: 7 },
    { description: "the statistics' seal", field: "statsSeal", value: "0".repeat(64) },
    {
      description: "the pipeline's origin stamp",
      field: "rippleOrigin",
      value: { consumer: "carbon-stats", eventId: "x", depth: 0 },
    },
  ])("refuses a profile that sets $description, writing nothing", async ({ field, value }) => {
    // Act
    const response = await api.request("POST", "/users", {
      body: { userId: `forger-${field}`, name: "Forger", [field]: value },
    });

    // Assert
    expect(response.status).toBe(400);
    expect(response.text).toContain(field);
    expect((await api.items("carbonUsers")).filter((u) => u.userId === `forger-${field}`)).toEqual([]);
  });
});
