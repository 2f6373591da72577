import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { type Runtime, startRuntime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";
import { dataDirForSuite } from "../helpers/data-dir.ts";

describe("npm start --data DIR", () => {
  const data = dataDirForSuite<Runtime>("ripple-data-");

  it("keeps tables and stream positions across a restart, so nothing is lost or fanned out twice", async () => {
    // Arrange: one run writes a pet and lets it go through the pipeline.
    const ports = await freeRuntimePorts();
    const start = () =>
      data.start((dataDir) =>
        startRuntime({
          pipeline,
          ...ports,
          dataDir,
          pollIntervalMs: 50,
          logger: { info: () => {}, warn: () => {}, error: console.error },
        }),
      );
    const first = await start();
    await first.dynamodb.send(
      new PutItemCommand({
        TableName: "PetStore",
        Item: { id: { N: "950" }, name: { S: "Kept" }, type: { S: "tortoise" }, price: { N: "75" } },
      }),
    );
    await first.settled();
    await first.stop();

    // Act
    const runtime = await start();
    await runtime.settled();
    const pet = await runtime.dynamodb.send(
      new GetItemCommand({ TableName: "PetStore", Key: { id: { N: "950" } } }),
    );
    const petStream = runtime.stats().rows.find((r) => r.name === "PetStore: records delivered to fan-out");

    // Assert
    expect(pet.Item?.name).toEqual({ S: "Kept" });
    expect(petStream?.value).toBe(0);
  });
});
