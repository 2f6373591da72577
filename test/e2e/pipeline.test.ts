import { PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "#infra/local/runtime.ts";
import { eventually } from "../helpers/eventually.ts";
import { addRule, type HttpSubscriber, startHttpSubscriber, startTestRuntime } from "../helpers/runtime.ts";

interface ReceivedEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly detail: { metadata: Record<string, unknown>; data: Record<string, unknown> };
}

describe("the local pipeline, from a DynamoDB write to a rule target", () => {
  let runtime: Runtime;
  let subscriber: HttpSubscriber<ReceivedEvent>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    subscriber = await startHttpSubscriber<ReceivedEvent>();
    await addRule(runtime, {
      name: "e2e-subscriber",
      pattern: { source: [{ prefix: "ripple." }] },
      target: { Id: "http", Arn: subscriber.url },
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await subscriber?.stop();
  });

  it("delivers a pet put with the SDK as PetListed, its price exact", async () => {
    // Act
    await runtime.dynamodb.send(
      new PutItemCommand({
        TableName: "PetStore",
        Item: { id: { N: "901" }, name: { S: "Sweety" }, type: { S: "frog" }, price: { N: "20.10" } },
      }),
    );
    const event = await eventually(() =>
      subscriber.events.find((e) => e["detail-type"] === "PetListed" && e.detail.data.id === 901),
    );

    // Assert
    expect(event.source).toBe("ripple.petstore");
    expect(event.detail.data).toEqual({ id: 901, name: "Sweety", type: "frog", price: "20.1" });
    expect(event.detail.metadata).toMatchObject({
      table: "PetStore",
      change: "INSERT",
      keys: { id: "901" },
      depth: 0,
    });
  });

  it("sets aside a record that breaks its table's schema and still delivers the one after it", async () => {
    // Arrange
    const bad = { id: { N: "902" }, name: { S: "Nobody" }, type: { S: "ghost" }, price: { S: "free" } };
    const good = { id: { N: "903" }, name: { S: "Rex" }, type: { S: "dog" }, price: { N: "199.99" } };

    // Act
    await runtime.dynamodb.send(new PutItemCommand({ TableName: "PetStore", Item: bad }));
    await runtime.dynamodb.send(new PutItemCommand({ TableName: "PetStore", Item: good }));
    await eventually(() => subscriber.events.find((e) => e.detail.data.id === 903));
    const setAside = await runtime.dynamodb.send(new ScanCommand({ TableName: "ripple-set-aside" }));

    // Assert
    const items = (setAside.Items ?? []).map((item) => unmarshall(item));
    expect(items).toContainEqual(
      expect.objectContaining({
        table: "PetStore",
        reasonCode: "SchemaViolationError",
        reason: expect.stringContaining("price"),
      }),
    );
    expect(subscriber.events.some((e) => e.detail.data.id === 902)).toBe(false);
  });

  it("publishes a car park's occupancy written through the API", async () => {
    // Act
    const response = await fetch(`${runtime.endpoints.api}/car-parks/CP002/occupancy`, {
      method: "PUT",
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ occupied: 299 }),
    });
    const event = await eventually(() =>
      subscriber.events.find(
        (e) => e["detail-type"] === "CarParkOccupancyChanged" && e.detail.data.occupied === 299,
      ),
    );

    // Assert
    expect(response.status).toBe(200);
    expect(event.detail.data).toMatchObject({ carParkId: "CP002", status: "red" });
  });

  it("serves the dashboard with the storage banner, the simulate button and live pipeline counters", async () => {
    // Act
    const page = await fetch(`${runtime.endpoints.dashboard}`);
    const html = await page.text();
    const withoutToken = await fetch(`${runtime.endpoints.api}/local/stats`);
    const stats = await fetch(`${runtime.endpoints.api}/local/stats`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    const body = (await stats.json()) as { rows: { name: string; value: number }[] };

    // Assert
    expect(page.status).toBe(200);
    expect(html).toContain("Powered by Amazon DynamoDB");
    expect(html).toContain("Loading car park data from DynamoDB");
    expect(html).toContain("Writing to DynamoDB");
    expect(withoutToken.status).toBe(401);
    expect(body.rows.find((r) => r.name === "PetStore: records delivered to fan-out")?.value).toBeGreaterThan(
      0,
    );
  });
});
