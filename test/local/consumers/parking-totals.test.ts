import { spawnSync } from "node:child_process";
import { DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AggregateKeys, ParkingTotalsSchema, readParkingTotals, shardOf } from "#commons/aggregates.ts";
import { auditAll } from "#infra/audit/audit.ts";
import { model } from "#infra/pipeline.ts";
import type { CarPark } from "#schemas/parking.ts";
import type { EventBridgeTargetEvent } from "../../helpers/domain-events.ts";
import { deliveryOrders, domainEvent, seededShuffle, sequenceNumbers } from "../../helpers/domain-events.ts";
import { type ConsumerRuntime, putItems, scanItems, startConsumerRuntime } from "./runtime.ts";

let runtime: ConsumerRuntime;
let handler: (event: unknown) => Promise<string>;

const capacities = { CP001: 450, CP002: 300, CP003: 200, CP004: 100 } as const;
type CarParkId = keyof typeof capacities;

function reading(carParkId: CarParkId, occupied: number, minute: number): CarPark {
  const capacity = capacities[carParkId];
  return {
    carParkId,
    name: `Car park ${carParkId}`,
    capacity,
    occupied,
    available: capacity - occupied,
    percentFull: "0",
    status: "green",
    hourlyRate: "1.50",
    lastUpdated: `2025-11-30T16:${String(minute).padStart(2, "0")}:00.000Z`,
  };
}

/** Each car park's readings in write order (with its stream sequence numbers); CP004 is removed last. */
function history() {
  const events: EventBridgeTargetEvent[] = [];
  const finals: CarPark[] = [];
  (Object.keys(capacities) as CarParkId[]).forEach((id, parkIndex) => {
    const seqs = sequenceNumbers(6, 99_999_999_999_999_999_990n + BigInt(parkIndex) * 1000n);
    let last: CarPark | undefined;
    for (let i = 0; i < 5; i++) {
      last = reading(id, Math.min(capacities[id], 40 * (i + 1) + parkIndex * 7), i);
      events.push(
        domainEvent("CarParkOccupancyChanged", last, {
          sequenceNumber: seqs[i]!,
          change: i === 0 ? "INSERT" : "MODIFY",
        }),
      );
    }
    if (id === "CP004")
      events.push(domainEvent("CarParkRemoved", { carParkId: id }, { sequenceNumber: seqs[5]! }));
    else finals.push(last!);
  });
  return { events, finals };
}

beforeAll(async () => {
  runtime = await startConsumerRuntime();
  ({ handler } = await import("../../../functions/parking-totals/handler.ts"));
  await putItems(runtime.client, runtime.tables.parkingData, history().finals);
});

afterAll(async () => {
  await runtime?.stop();
});

const shards = model.consumers.find((c) => c.name === "parking-totals")!.aggregateShards;

/** The shard items of the totals, as stored. */
const shardItems = async () =>
  (await scanItems(runtime.client, runtime.tables.aggregates)).filter(
    (item) => item.pk === AggregateKeys.parkingTotalsPartition,
  );

beforeEach(async () => {
  for (const item of await shardItems()) {
    await runtime.client.send(
      new DeleteItemCommand({
        TableName: runtime.tables.aggregates,
        Key: marshall({ pk: item.pk, sk: item.sk }),
      }),
    );
  }
});

describe.each(deliveryOrders(7))("parking-totals with $description", ({ deliveries }) => {
  it("keeps each car park's latest reading and exact totals, and the audit finds no difference", async () => {
    // Arrange
    const { events, finals } = history();

    // Act
    for (const event of deliveries(events)) await handler(event);

    // Assert
    const totals = await readParkingTotals(runtime.client, runtime.tables.aggregates);
    expect(Object.keys(totals?.carParks ?? {}).sort()).toEqual(["CP001", "CP002", "CP003"]);
    expect(totals).toMatchObject({
      totalCapacity: 950,
      totalOccupied: finals.reduce((sum, p) => sum + p.occupied, 0),
      totalAvailable: finals.reduce((sum, p) => sum + p.available, 0),
      carParkCount: 3,
    });
    expect(totals?.carParks.CP003).toMatchObject({ occupied: 200, percentFull: "100", status: "red" });
    expect(totals?.carParks.CP001).toMatchObject({ occupied: 200, percentFull: "44.4", status: "green" });
    expect(await auditAll(runtime.client, runtime.tables)).toEqual([]);
  });
});

describe("parking-totals under concurrent deliveries", () => {
  it("loses no update when invocations race on the totals item", async () => {
    // Arrange
    const { events, finals } = history();
    const deliveries = seededShuffle([...events, ...events], 99);

    // Act
    let pending = deliveries;
    while (pending.length > 0) {
      // What lost every race is delivered again, as EventBridge's target retry would.
      const results = await Promise.allSettled(pending.map((event) => handler(event)));
      pending = pending.filter((_, i) => results[i]?.status === "rejected");
    }

    // Assert
    const totals = await readParkingTotals(runtime.client, runtime.tables.aggregates);
    expect(totals?.totalOccupied).toBe(finals.reduce((sum, p) => sum + p.occupied, 0));
    expect(await auditAll(runtime.client, runtime.tables)).toEqual([]);
  });
});

describe("parking-totals costs", () => {
  it("writes nothing for a duplicate or a stale event", async () => {
    // Arrange
    const { events } = history();
    for (const event of events) await handler(event);

    // Act
    const outcomes = await Promise.all([events[4], events[0]].map((e) => handler(e)));

    // Assert
    expect(outcomes).toEqual(["unchanged", "unchanged"]);
  });
});

describe("parking-totals' shards", () => {
  it("keeps each car park in the shard its id hashes to, and the audit names one found elsewhere", async () => {
    // Arrange
    for (const event of history().events) await handler(event);
    const home = AggregateKeys.parkingTotals("CP001", shards);
    const stored = ParkingTotalsSchema.parse((await shardItems()).find((item) => item.sk === home.sk));
    const elsewhere = `shard-${(shardOf("CP001", shards) + 1) % shards}`;

    // Act: the car park's entry moved to another shard, as a change of aggregateShards would leave it.
    const placedBefore = (await shardItems()).flatMap((item) =>
      Object.keys(item.carParks as object).map((id) => [id, item.sk]),
    );
    await runtime.client.send(
      new PutItemCommand({
        TableName: runtime.tables.aggregates,
        Item: marshall({ ...stored, pk: home.pk, sk: elsewhere, version: 1 }),
      }),
    );
    await runtime.client.send(
      new DeleteItemCommand({ TableName: runtime.tables.aggregates, Key: marshall(home) }),
    );
    const differences = await auditAll(runtime.client, runtime.tables);

    // Assert
    expect(placedBefore.sort()).toEqual(
      ["CP001", "CP002", "CP003"].map((id) => [id, AggregateKeys.parkingTotals(id, shards).sk]),
    );
    expect(differences).toContainEqual({
      aggregate: "parking-totals",
      key: "CP001",
      field: "shard",
      expected: home.sk,
      actual: elsewhere,
    });
  });
});

describe("npm run audit against DynamoDB Local", () => {
  const runCli = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "infra/audit/main.ts", ...args], {
      env: { ...process.env, ...runtime.env },
      encoding: "utf8",
    });

  it("exits 0 with a one-line summary when the aggregates match", async () => {
    // Arrange
    for (const event of history().events) await handler(event);

    // Act
    const result = runCli();

    // Assert
    expect(result.stdout.trim()).toMatch(/^audit: no differences/);
    expect(result.status).toBe(0);
  });

  it("prints the difference and exits 1 when an aggregate drifted", async () => {
    // Arrange
    for (const event of history().events) await handler(event);
    const { totalOccupied } = (await readParkingTotals(runtime.client, runtime.tables.aggregates))!;
    const shard = ParkingTotalsSchema.parse(
      (await shardItems()).find((item) => item.sk === AggregateKeys.parkingTotals("CP001", shards).sk),
    );
    await runtime.client.send(
      new PutItemCommand({
        TableName: runtime.tables.aggregates,
        Item: marshall({
          ...shard,
          ...AggregateKeys.parkingTotals("CP001", shards),
          totalOccupied: shard.totalOccupied + 1,
        }),
      }),
    );

    // Act
    const result = runCli();

    // Assert
    expect(result.stdout).toContain(
      `parking-totals summary totalOccupied: expected ${totalOccupied}, found ${totalOccupied + 1}`,
    );
    expect(result.status).toBe(1);
  });

  it("exits 2 with the usage on an unknown flag", () => {
    // Arrange, Act
    const result = runCli("--repair");

    // Assert
    expect(result.stderr).toMatch(/Unknown option '--repair'/);
    expect(result.status).toBe(2);
  });
});
