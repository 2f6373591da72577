import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSetAside } from "#commons/set-aside.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { startTestRuntime } from "../../helpers/runtime.ts";

describe("the local runtime's fault switch", () => {
  let runtime: Runtime;
  const control = (method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${runtime.endpoints.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token ?? runtime.apiToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const occupancy = async (id: string, occupied: number) => {
    const response = await control("PUT", `/car-parks/${id}/occupancy`, { occupied });
    expect(response.status).toBe(200);
  };
  const totals = async () =>
    (await (await control("GET", "/car-parks")).json()) as { carParks: { id: string; occupied: number }[] };

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it("keeps every reading while PutEvents fails entries and throttles requests, and says so when asked", async () => {
    // Arrange
    const set = await control("PUT", "/local/faults", { putEventsEntryFailure: 0.5, putEventsThrottle: 0.3 });
    const readings = [101, 202, 150, 44];

    // Act
    for (const [i, occupied] of readings.entries()) await occupancy(`CP00${i + 1}`, occupied);
    const inForce = (await (await control("GET", "/local/faults")).json()) as Record<string, unknown>;
    await control("DELETE", "/local/faults");
    const settled = await control("POST", "/local/settled?timeoutMs=60000");

    // Assert
    expect(set.status).toBe(200);
    expect(inForce).toMatchObject({ putEventsEntryFailure: 0.5, putEventsThrottle: 0.3 });
    expect(settled.status).toBe(200);
    const parks = (await totals()).carParks;
    expect(readings.map((_, i) => parks.find((p) => p.id === `CP00${i + 1}`)?.occupied)).toEqual(readings);
    expect(await readSetAside(runtime.dynamodb, "ripple-set-aside")).toEqual([]);
  });

  it("makes a consumer fail until the fault is cleared, its events kept as dead letters naming the fault", async () => {
    // Arrange
    await control("PUT", "/local/faults", { consumerError: { "parking-totals": 1 } });

    // Act
    await occupancy("CP001", 7);
    await control("POST", "/local/settled?timeoutMs=60000");
    await control("DELETE", "/local/faults");

    // Assert
    const deadLetters = (await readSetAside(runtime.dynamodb, "ripple-set-aside")).filter(
      (i) => i.kind === "dead-letter",
    );
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.reason).toMatch(/parking-totals failed: consumerError is set/);
  });

  it.each([
    {
      description: "an unknown fault",
      body: { meteor: 1 },
      says: /unknown fault "meteor"; the faults are putEventsEntryFailure/,
    },
    {
      description: "a chance above 1",
      body: { putEventsThrottle: 2 },
      says: /putEventsThrottle must be a chance between 0 and 1, e.g. 0.2 \(given 2\)/,
    },
    {
      description: "an undeclared consumer",
      body: { consumerError: { nope: 1 } },
      says: /no consumer "nope" \(consumers: parking-totals/,
    },
    { description: "a body that is not JSON", body: "{", says: /the body must be a JSON object of faults/ },
    {
      description: "a delay that is not whole milliseconds",
      body: { reorderMaxDelayMs: 1.5 },
      says: /reorderMaxDelayMs must be whole milliseconds/,
    },
  ])("refuses $description with 400 and changes nothing", async ({ body, says }) => {
    // Act
    const response = await control("PUT", "/local/faults", body);
    const inForce = await (await control("GET", "/local/faults")).json();

    // Assert
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(says);
    expect(inForce).toMatchObject({ putEventsEntryFailure: 0, consumerError: {} });
  });

  it("answers 401 without the token", async () => {
    // Act
    const response = await control("PUT", "/local/faults", { duplicate: true }, "wrong");

    // Assert
    expect(response.status).toBe(401);
    expect(await (await control("GET", "/local/faults")).json()).toMatchObject({ duplicate: false });
  });
});
