import { type AttributeValue, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPetStats } from "#commons/aggregates.ts";
import { deterministicEventId } from "#commons/event-id.ts";
import { LOCAL_PUBLISHER_ACCESS_KEY_IDS } from "#commons/publisher.ts";
import { readSetAside } from "#commons/set-aside.ts";
import type { Runtime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { runRedrive } from "#infra/redrive/cli.ts";
import { startTestRuntime } from "../helpers/runtime.ts";

const t = (name: keyof typeof pipeline.tables) => pipeline.tables[name]!.tableName;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: string): AttributeValue => ({ N: value });

/** A PetUpdated event as the fan-out would publish it, claiming a change far in the future. */
function forgedPetUpdated(busName: string) {
  const sequenceNumber = "9".repeat(40);
  return {
    EventBusName: busName,
    Source: "ripple.petstore",
    DetailType: "PetUpdated",
    Detail: JSON.stringify({
      metadata: {
        eventId: deterministicEventId("PetStore", sequenceNumber, "PetUpdated"),
        version: 1,
        table: "PetStore",
        change: "MODIFY",
        sequenceNumber,
        changedAt: "2099-01-01T00:00:00.000Z",
        keys: { id: "1" },
        depth: 0,
      },
      data: { id: 1, name: "Smaug", type: "dragon", price: "1" },
    }),
  };
}

describe("the bus admits ripple's events only from the fan-out and redrive", () => {
  let runtime: Runtime;
  const busWith = (accessKeyId: string) =>
    new EventBridgeClient({
      endpoint: runtime.endpoints.eventbridge,
      region: "us-east-1",
      credentials: { accessKeyId, secretAccessKey: "local" },
    });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.settled({ timeoutMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("refuses a forged PetUpdated from other credentials with AWS's error, and the real later update applies", async () => {
    // Arrange
    const forger = busWith("local");

    // Act
    const forged = await forger.send(new PutEventsCommand({ Entries: [forgedPetUpdated(runtime.busName)] }));
    await runtime.dynamodb.send(
      new UpdateItemCommand({
        TableName: t("pets"),
        Key: { id: N("1") },
        UpdateExpression: "SET #type = :type",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":type": S("hamster") },
      }),
    );
    await runtime.settled({ timeoutMs: 60_000 });
    const stats = await readPetStats(runtime.dynamodb, t("aggregates"));
    forger.destroy();

    // Assert
    expect(forged.FailedEntryCount).toBe(1);
    expect(forged.Entries?.[0]).toMatchObject({
      ErrorCode: "NotAuthorizedForSourceException",
      ErrorMessage: "You do not have permissions to publish events with this source onto this event bus.",
    });
    expect(stats.pets["1"]).toBe("hamster");
    expect(stats.byType.dragon).toBeUndefined();
  });

  it("still admits any other source from any credentials", async () => {
    // Arrange
    const other = busWith("local");

    // Act
    const result = await other.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: runtime.busName, Source: "shop.orders", DetailType: "OrderPlaced", Detail: "{}" },
        ],
      }),
    );
    other.destroy();

    // Assert
    expect(result.FailedEntryCount).toBe(0);
  });

  it("clears a pet fixed after it was set aside, publishing it afresh with redrive's credentials", async () => {
    // Arrange: a pet written with the SDK whose price is not a number, set aside; then corrected.
    await runtime.dynamodb.send(
      new PutItemCommand({
        TableName: t("pets"),
        Item: { id: N("60"), name: S("Fixed"), type: S("ferret"), price: S("cheap") },
      }),
    );
    await runtime.settled({ timeoutMs: 60_000 });
    const before = (await readSetAside(runtime.dynamodb, t("setAside"))).items;
    await runtime.dynamodb.send(
      new PutItemCommand({
        TableName: t("pets"),
        Item: { id: N("60"), name: S("Fixed"), type: S("ferret"), price: N("12.5") },
      }),
    );
    await runtime.settled({ timeoutMs: 60_000 });
    const out: string[] = [];
    const eventBridge = busWith(LOCAL_PUBLISHER_ACCESS_KEY_IDS.redrive);

    // Act
    const code = await runRedrive(["--only", "records"], {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
      dynamodb: runtime.dynamodb,
      eventBridge,
      env: {},
    });
    await runtime.settled({ timeoutMs: 60_000 });
    const after = (await readSetAside(runtime.dynamodb, t("setAside"))).items;
    const stats = await readPetStats(runtime.dynamodb, t("aggregates"));
    eventBridge.destroy();

    // Assert
    expect(before.map((i) => i.reason).join("\n")).toMatch(/\(item \{"id":"60"\}\) does not fit PetListed/);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/redriven records: PetStore#/);
    expect(after).toEqual([]);
    expect(stats.pets["60"]).toBe("ferret");
  });
});
