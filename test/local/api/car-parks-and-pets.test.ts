import { type AttributeValue, DeleteItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { SEED_PETS } from "#commons/seed-data.ts";
import { pipeline } from "#infra/pipeline.ts";
import { startedForSuite } from "../../helpers/suite.ts";
import { startApiHarness } from "./harness.ts";

const api = startedForSuite(() => startApiHarness());

describe("Smart Car Park routes", () => {
  it("installs the 4 car parks on the first status call and answers the seed's status shape", async () => {
    // Act
    const response = await api.request("GET", "/car-parks");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      success: true,
      totalCapacity: 1050,
      storage: "Amazon DynamoDB",
      note: expect.any(String),
      timestamp: expect.any(String),
    });
    expect(response.json.carParks.map((p: { id: string }) => p.id)).toEqual([
      "CP001",
      "CP002",
      "CP003",
      "CP004",
    ]);
    expect(response.json.carParks[0]).toMatchObject({
      id: "CP001",
      name: "Town Centre Multi-Storey",
      capacity: 450,
      hourlyRate: "£1.50",
      lastUpdated: expect.any(String),
    });
    const available = response.json.carParks.reduce(
      (s: number, p: { available: number }) => s + p.available,
      0,
    );
    expect(response.json.totalAvailable).toBe(available);
    expect(await api.items("parkingData")).toHaveLength(4);
  });

  it("lists each car park's occupied, available, percentFull and status as stored", async () => {
    // Arrange
    const readings = { CP001: 100, CP002: 210, CP003: 0, CP004: 100 };
    for (const [id, occupied] of Object.entries(readings)) {
      await api.request("PUT", `/car-parks/${id}/occupancy`, { body: { occupied } });
    }

    // Act
    const response = await api.request("GET", "/car-parks");

    // Assert
    expect(
      response.json.carParks.map((p: Record<string, unknown>) => [
        p.id,
        p.occupied,
        p.available,
        p.percentFull,
        p.status,
      ]),
    ).toEqual([
      ["CP001", 100, 350, 22.2, "green"],
      ["CP002", 210, 90, 70, "amber"],
      ["CP003", 0, 200, 0, "green"],
      ["CP004", 100, 0, 100, "red"],
    ]);
    expect(response.text).toContain('"percentFull":70.0');
    expect(response.json.totalAvailable).toBe(640);
  });

  it("records a sensor reading with percentFull to one decimal and the threshold colour", async () => {
    // Act
    const response = await api.request("PUT", "/car-parks/CP002/occupancy", { body: { occupied: 271 } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.text).toContain('"percentFull":90.3');
    expect(response.json).toMatchObject({ id: "CP002", occupied: 271, available: 29, status: "red" });
    const stored = await api.item("parkingData", { carParkId: { S: "CP002" } });
    expect(stored).toMatchObject({
      occupied: { N: "271" },
      percentFull: { N: "90.3" },
      status: { S: "red" },
    });
  });

  it("keeps a reading after the next status call (data persists)", async () => {
    // Act
    const response = await api.request("GET", "/car-parks");

    // Assert
    expect(response.json.carParks[1]).toMatchObject({ id: "CP002", occupied: 271 });
  });

  it("refuses a reading for a car park that does not exist with 404", async () => {
    // Act
    const response = await api.request("PUT", "/car-parks/CP999/occupancy", { body: { occupied: 1 } });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json.error.message).toContain("CP999");
    expect(await api.items("parkingData")).toHaveLength(4);
  });

  it("writes a simulated reading for every car park and answers the seed's simulate shape", async () => {
    // Arrange
    const before = (await api.items("parkingData")).map((i) => (i.lastUpdated as { S: string }).S);

    // Act
    const response = await api.request("POST", "/car-parks/simulate");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      success: true,
      message: "Simulated sensor data written to DynamoDB for 4 car parks",
      timestamp: expect.any(String),
      storage: "Amazon DynamoDB",
    });
    const after = await api.items("parkingData");
    expect(after.map((i) => (i.lastUpdated as { S: string }).S)).not.toContain(before[0]);
    for (const item of after) {
      expect((item.lastUpdated as { S: string }).S).toBe(response.json.timestamp);
    }
  });
});

describe("Smart Car Park readings never go back in time", () => {
  const setLastUpdated = (carParkId: string, lastUpdated: string, occupied: number) =>
    api.dynamo.client.send(
      new UpdateItemCommand({
        TableName: pipeline.tables.parkingData!.tableName,
        Key: { carParkId: { S: carParkId } },
        UpdateExpression: "SET lastUpdated = :at, occupied = :occupied",
        ExpressionAttributeValues: { ":at": { S: lastUpdated }, ":occupied": { N: String(occupied) } },
      }),
    );
  const stored = (carParkId: string) => api.item("parkingData", { carParkId: { S: carParkId } });

  it("keeps a newer reading through simulate and counts only the car parks it wrote", async () => {
    // Arrange
    await api.request("GET", "/car-parks");
    await setLastUpdated("CP003", "2999-01-01T00:00:00.000Z", 123);

    // Act
    const response = await api.request("POST", "/car-parks/simulate");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json.message).toBe("Simulated sensor data written to DynamoDB for 3 car parks");
    expect(await stored("CP003")).toMatchObject({
      lastUpdated: { S: "2999-01-01T00:00:00.000Z" },
      occupied: { N: "123" },
    });
    for (const id of ["CP001", "CP002", "CP004"]) {
      expect((await stored(id))?.lastUpdated).toEqual({ S: response.json.timestamp });
    }
  });

  it("refuses a sensor reading older than the stored one with 409, keeping the stored one", async () => {
    // Act
    const response = await api.request("PUT", "/car-parks/CP003/occupancy", { body: { occupied: 5 } });

    // Assert
    expect(response.status).toBe(409);
    expect(response.json.error.message).toContain("2999-01-01T00:00:00.000Z");
    expect((await stored("CP003"))?.occupied).toEqual({ N: "123" });
  });
});

describe("Smart Car Park on an emptied table", () => {
  it("installs the car parks again when the first call is a reading", async () => {
    // Arrange
    for (const item of await api.items("parkingData")) {
      await api.dynamo.client.send(
        new DeleteItemCommand({
          TableName: pipeline.tables.parkingData!.tableName,
          Key: { carParkId: item.carParkId as AttributeValue },
        }),
      );
    }

    // Act
    const response = await api.request("PUT", "/car-parks/CP004/occupancy", { body: { occupied: 95 } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ id: "CP004", occupied: 95, percentFull: 95, status: "red" });
    expect(await api.items("parkingData")).toHaveLength(4);
  });
});

describe("PetStore routes", () => {
  it("lists the 15 seed pets sorted by id with exact prices on a new installation", async () => {
    // Act
    const response = await api.request("GET", "/pets");

    // Assert
    expect(response.status).toBe(200);
    expect(response.json).toEqual(SEED_PETS.map((p) => ({ ...p, price: Number(p.price) })));
    expect(response.text).toContain('"price":249.99');
    expect(response.text).toContain('"price":0.99');
  });

  it("creates a pet with the next id from the counter and answers 201", async () => {
    // Act
    const response = await api.request("POST", "/pets", {
      body: { name: "Sweety", type: "frog", price: 20 },
    });

    // Assert
    expect(response.status).toBe(201);
    expect(response.json).toEqual({
      id: 16,
      name: "Sweety",
      type: "frog",
      price: 20,
      storage: "Amazon DynamoDB",
    });
    const counter = await api.item("counters", { name: { S: "pets" } });
    expect(counter?.value).toEqual({ N: "16" });
  });

  it("stores a price given as a string exactly and reads it back", async () => {
    // Act
    const created = await api.request("POST", "/pets", {
      body: { name: "Penny", type: "parrot", price: "1234.50" },
    });
    const read = await api.request("GET", `/pets/${created.json.id}`);

    // Assert
    expect(read.status).toBe(200);
    expect(read.text).toContain('"price":1234.5');
    const item = await api.item("pets", { id: { N: String(created.json.id) } });
    expect(item?.price).toEqual({ N: "1234.5" });
  });

  it("answers an unknown pet id with 404", async () => {
    // Act
    const response = await api.request("GET", "/pets/9999");

    // Assert
    expect(response.status).toBe(404);
    expect(response.json.error).toMatchObject({
      code: "not_found",
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("gives concurrent creations distinct ids, all of them stored", async () => {
    // Arrange
    const before = (await api.items("pets")).length;

    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.request("POST", "/pets", { body: { name: `Racer ${i}`, type: "snail", price: "3.10" } }),
      ),
    );

    // Assert
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = responses.map((r) => r.json.id as number);
    expect(new Set(ids).size).toBe(20);
    expect(await api.items("pets")).toHaveLength(before + 20);
  });
});
