import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

/**
 * Seed 000's client talks to one endpoint with `?action=status` (GET) and `?action=simulate`
 * (POST). Pointed at the runtime's `/car-parks`, it must get the seed's own response shapes.
 */

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startTestRuntime();
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
async function call(method: string, path: string): Promise<{ status: number; json: any; type: string }> {
  const response = await fetch(`${runtime.endpoints.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  return {
    status: response.status,
    json: await response.json(),
    type: response.headers.get("content-type") ?? "",
  };
}

// The field names of the seed's "API Response Example" and "Simulate Response", in its order.
const STATUS_FIELDS = [
  "success",
  "timestamp",
  "carParks",
  "totalCapacity",
  "totalAvailable",
  "storage",
  "note",
];
const CAR_PARK_FIELDS = [
  "id",
  "name",
  "capacity",
  "occupied",
  "available",
  "percentFull",
  "status",
  "hourlyRate",
  "lastUpdated",
];
const SIMULATE_FIELDS = ["success", "message", "timestamp", "storage"];

interface SeedCarPark {
  id: string;
  capacity: number;
  occupied: number;
  available: number;
  percentFull: number;
  status: string;
  lastUpdated: string;
}

describe("seed 000's query form on /car-parks", () => {
  it("answers GET ?action=status with the seed's status response, field for field", async () => {
    // Act
    const response = await call("GET", "/car-parks?action=status");

    // Assert
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^application\/json/);
    expect(Object.keys(response.json)).toEqual(STATUS_FIELDS);
    expect(response.json).toMatchObject({ success: true, storage: "Amazon DynamoDB", totalCapacity: 1050 });
    const parks = response.json.carParks as SeedCarPark[];
    expect(parks.map((p) => p.id)).toEqual(["CP001", "CP002", "CP003", "CP004"]);
    for (const park of parks) expect(Object.keys(park)).toEqual(CAR_PARK_FIELDS);
    expect(response.json.carParks[0]).toMatchObject({
      id: "CP001",
      name: "Town Centre Multi-Storey",
      capacity: 450,
      hourlyRate: "£1.50",
    });
    // My own arithmetic: available and the totals from capacity and occupied.
    for (const park of parks) expect(park.available).toBe(park.capacity - park.occupied);
    expect(response.json.totalAvailable).toBe(parks.reduce((s, p) => s + p.capacity - p.occupied, 0));
  });

  it("answers the same car parks with and without ?action=status", async () => {
    // Act
    const seedForm = await call("GET", "/car-parks?action=status");
    const plain = await call("GET", "/car-parks");

    // Assert
    expect({ ...seedForm.json, timestamp: "" }).toEqual({ ...plain.json, timestamp: "" });
  });

  it("answers POST ?action=simulate with the seed's simulate response, and the next status shows it", async () => {
    // Arrange
    const before = Date.now();

    // Act
    const response = await call("POST", "/car-parks?action=simulate");
    const status = await call("GET", "/car-parks?action=status");

    // Assert
    expect(response.status).toBe(200);
    expect(Object.keys(response.json)).toEqual(SIMULATE_FIELDS);
    expect(response.json).toEqual({
      success: true,
      message: "Simulated sensor data written to DynamoDB for 4 car parks",
      timestamp: expect.any(String),
      storage: "Amazon DynamoDB",
    });
    expect(Date.parse(response.json.timestamp)).toBeGreaterThanOrEqual(before);
    for (const park of status.json.carParks as SeedCarPark[]) {
      expect(park.lastUpdated).toBe(response.json.timestamp);
      expect(park.available).toBe(park.capacity - park.occupied);
      // percentFull to one decimal, half up, computed here from the reading.
      expect(park.percentFull).toBe(Math.round((park.occupied * 1000) / park.capacity) / 10);
    }
  });

  it.each([
    {
      description: "GET ?action=simulate (simulate writes: POST it)",
      method: "GET",
      path: "/car-parks?action=simulate",
      value: "simulate",
      hint: "POST /car-parks?action=simulate",
    },
    {
      description: "GET with an unknown action",
      method: "GET",
      path: "/car-parks?action=refresh",
      value: "refresh",
      hint: "GET /car-parks?action=status",
    },
    {
      description: "POST ?action=status (status reads: GET it)",
      method: "POST",
      path: "/car-parks?action=status",
      value: "status",
      hint: "GET /car-parks?action=status",
    },
    {
      description: "POST without an action",
      method: "POST",
      path: "/car-parks",
      value: null,
      hint: "POST /car-parks?action=simulate",
    },
  ])(
    "refuses $description with 400 naming query.action, the value and the fix; nothing is written",
    async ({ method, path, value, hint }) => {
      // Arrange
      const before = (await call("GET", "/car-parks")).json.carParks as SeedCarPark[];

      // Act
      const response = await call(method, path);

      // Assert
      expect(response.status).toBe(400);
      expect(response.json.error.fields).toEqual([
        expect.objectContaining({ path: "query.action", value, expected: expect.stringContaining(hint) }),
      ]);
      expect(response.json.error.message).toContain("query.action");
      const after = (await call("GET", "/car-parks")).json.carParks as SeedCarPark[];
      expect(after.map((p) => p.lastUpdated)).toEqual(before.map((p) => p.lastUpdated));
    },
  );
});

describe("GET /car-parks/{carParkId}", () => {
  it("answers one car park as the status lists it", async () => {
    // Arrange
    const listed = (await call("GET", "/car-parks")).json.carParks as SeedCarPark[];

    // Act
    const response = await call("GET", "/car-parks/CP002");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ...listed.find((p) => p.id === "CP002"), storage: "Amazon DynamoDB" });
  });

  it("shows a sensor reading written just before", async () => {
    // Arrange
    await fetch(`${runtime.endpoints.api}/car-parks/CP003/occupancy`, {
      method: "PUT",
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ occupied: 150 }),
    });

    // Act
    const response = await call("GET", "/car-parks/CP003");

    // Assert
    expect(response.json).toMatchObject({
      id: "CP003",
      occupied: 150,
      available: response.json.capacity - 150,
    });
  });

  it.each([
    {
      description: "an unknown id",
      path: "/car-parks/CP999",
      status: 404,
      text: "car park CP999 does not exist",
    },
    {
      description: "an id that is not an id",
      path: "/car-parks/%20CP001",
      status: 400,
      text: "path.carParkId",
    },
  ])("answers $description with $status and a message saying so", async ({ path, status, text }) => {
    // Act
    const response = await call("GET", path);

    // Assert
    expect(response.status).toBe(status);
    expect(response.json.error.message).toContain(text);
  });

  it("needs the bearer token like every data route", async () => {
    // Act
    const response = await fetch(`${runtime.endpoints.api}/car-parks/CP001`);

    // Assert
    expect(response.status).toBe(401);
  });

  it("installs the 4 car parks when it is the first call on an empty table, as the seed's first call does", async () => {
    // Arrange
    for (const carParkId of ["CP001", "CP002", "CP003", "CP004"]) {
      await runtime.dynamodb.send(
        new DeleteItemCommand({
          TableName: pipeline.tables.parkingData!.tableName,
          Key: { carParkId: { S: carParkId } },
        }),
      );
    }

    // Act
    const response = await call("GET", "/car-parks/CP004");
    const status = await call("GET", "/car-parks?action=status");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ id: "CP004", storage: "Amazon DynamoDB" });
    expect(status.json.carParks).toHaveLength(4);
  });
});
