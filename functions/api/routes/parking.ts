import { GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { occupancyOf } from "#commons/occupancy.ts";
import { SEED_CAR_PARKS } from "#commons/seed-data.ts";
import {
  CarParkSimulateQuerySchema,
  CarParkStatusQuerySchema,
  OccupancyReadingSchema,
  PathIdSchema,
  STORAGE,
} from "#schemas/api.ts";
import {
  CAR_PARK_STATUS_THRESHOLDS,
  type CarPark,
  CarParkSchema,
  CarParkStatusSchema,
} from "#schemas/parking.ts";
import {
  fromItem,
  type Item,
  isConditionFailed,
  type Listing,
  num,
  readListing,
  scanAll,
  skippedField,
  skippedHeaders,
  toAttr,
  toItem,
} from "../dynamo.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { exact, fixedDecimal } from "../json.ts";
import type { ApiDeps } from "../route.ts";
import { defineRoute } from "../route.ts";

const NOTE = "Data persists in DynamoDB; every reading flows through DynamoDB Streams to EventBridge";

/** "1.5" → "£1.50", as the seed's status response shows the hourly rate; never cut ("0.0000001" stays). */
export function displayRate(rate: string): string {
  const fraction = rate.split(".")[1] ?? "";
  return `£${fraction.length > 2 ? rate : fixedDecimal(rate, 2)}`;
}

/** A car park as the status response lists it (seed 000). */
export function carParkView(park: CarPark) {
  return {
    id: park.carParkId,
    name: park.name,
    capacity: park.capacity,
    occupied: park.occupied,
    available: park.available,
    percentFull: exact(fixedDecimal(park.percentFull, 1)),
    status: park.status,
    hourlyRate: displayRate(park.hourlyRate),
    lastUpdated: park.lastUpdated,
  };
}

const CarParkViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  capacity: z.number().int(),
  occupied: z.number().int(),
  available: z.number().int(),
  percentFull: z.number().meta({ description: "Exact, one decimal (54.7)" }),
  status: CarParkStatusSchema,
  hourlyRate: z.string().meta({ description: 'Display form, e.g. "£1.50"' }),
  lastUpdated: z.string(),
});

function readingItem(
  park: { carParkId: string; name: string; capacity: number; hourlyRate: string },
  occupied: number,
  at: string,
): Item {
  const o = occupancyOf(park.capacity, occupied, CAR_PARK_STATUS_THRESHOLDS);
  return toItem({
    carParkId: park.carParkId,
    name: park.name,
    capacity: park.capacity,
    occupied,
    available: o.available,
    percentFull: num(o.percentFull),
    status: o.status,
    hourlyRate: num(park.hourlyRate),
    lastUpdated: at,
  });
}

/**
 * Every car park, sorted by id; installs the 4 seed car parks when the table is empty. Each seed
 * put is conditional, so concurrent first calls never overwrite a reading.
 */
export async function loadCarParks(deps: ApiDeps): Promise<CarPark[]> {
  return (await loadCarParkListing(deps)).items;
}

/** {@link loadCarParks}, with the count of car park items left out because they do not fit the schema. */
export async function loadCarParkListing(deps: ApiDeps): Promise<Listing<CarPark>> {
  let items = await scanAll(deps.client, deps.tables.parkingData);
  if (items.length === 0) {
    const at = deps.now().toISOString();
    await Promise.all(
      SEED_CAR_PARKS.map(async (seed) => {
        try {
          await deps.client.send(
            new PutItemCommand({
              TableName: deps.tables.parkingData,
              Item: readingItem(seed, seed.initialOccupied, at),
              ConditionExpression: "attribute_not_exists(carParkId)",
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }),
    );
    items = await scanAll(deps.client, deps.tables.parkingData);
  }
  const listing = readListing(
    deps.logger,
    { table: deps.tables.parkingData, keyNames: ["carParkId"] },
    items,
    (item) => fromItem(CarParkSchema, item),
  );
  listing.items.sort((a, b) => (a.carParkId < b.carParkId ? -1 : a.carParkId > b.carParkId ? 1 : 0));
  return listing;
}

/**
 * Writes one reading, guarded so that a car park that vanished or changed capacity is not
 * overwritten and a reading never replaces a newer one (`lastUpdated` only moves forward). With
 * `basedOn`, the write also requires the stored reading to still be that one (a simulated drift
 * from it), so a sensor reading that landed meanwhile is kept.
 */
async function writeReading(
  deps: ApiDeps,
  park: CarPark,
  occupied: number,
  at: string,
  basedOn?: { readonly lastUpdated: string },
): Promise<CarPark> {
  const o = occupancyOf(park.capacity, occupied, CAR_PARK_STATUS_THRESHOLDS);
  const result = await deps.client.send(
    new UpdateItemCommand({
      TableName: deps.tables.parkingData,
      Key: { carParkId: { S: park.carParkId } },
      UpdateExpression:
        "SET #occupied = :occupied, #available = :available, #percentFull = :percentFull, #status = :status, #lastUpdated = :at",
      ConditionExpression: `attribute_exists(#carParkId) AND #capacity = :capacity AND (attribute_not_exists(#lastUpdated) OR #lastUpdated <= :at)${basedOn === undefined ? "" : " AND #lastUpdated = :seen"}`,
      ExpressionAttributeNames: {
        "#carParkId": "carParkId",
        "#occupied": "occupied",
        "#available": "available",
        "#percentFull": "percentFull",
        "#status": "status",
        "#lastUpdated": "lastUpdated",
        "#capacity": "capacity",
      },
      ExpressionAttributeValues: {
        ":occupied": toAttr(occupied),
        ":available": toAttr(o.available),
        ":percentFull": toAttr(num(o.percentFull)),
        ":status": toAttr(o.status),
        ":at": toAttr(at),
        ":capacity": toAttr(park.capacity),
        ...(basedOn === undefined ? {} : { ":seen": toAttr(basedOn.lastUpdated) }),
      },
      ReturnValues: "ALL_NEW",
    }),
  );
  return fromItem(CarParkSchema, result.Attributes ?? {});
}

const CarParkOutSchema = CarParkViewSchema.extend({ storage: z.literal(STORAGE) });

const StatusResponseSchema = z.object({
  success: z.literal(true),
  timestamp: z.string(),
  carParks: z.array(CarParkViewSchema),
  totalCapacity: z.number().int(),
  totalAvailable: z.number().int(),
  storage: z.literal(STORAGE),
  note: z.string(),
  skipped: z.number().int().optional().meta({
    description: "Car park items left out because they do not fit the schema (present only when some were)",
  }),
});

/** Seed 000's status answer: every car park with the totals. */
async function statusOf(deps: ApiDeps) {
  const { items: parks, skipped } = await loadCarParkListing(deps);
  return {
    success: true,
    timestamp: deps.now().toISOString(),
    carParks: parks.map(carParkView),
    totalCapacity: parks.reduce((sum, p) => sum + p.capacity, 0),
    totalAvailable: parks.reduce((sum, p) => sum + p.available, 0),
    storage: STORAGE,
    note: NOTE,
    ...skippedField(skipped),
  };
}

/** Seed 000's simulate answer, after one drifted reading per car park. */
async function simulate(deps: ApiDeps) {
  const parks = await loadCarParks(deps);
  const at = deps.now().toISOString();
  const written = await Promise.all(
    parks.map(async (park) => {
      // Drift by up to ±15% of capacity from the last reading, as a busy day would.
      const swing = Math.round((Math.random() * 2 - 1) * 0.15 * park.capacity);
      const occupied = Math.min(park.capacity, Math.max(0, park.occupied + swing));
      try {
        await writeReading(deps, park, occupied, at, { lastUpdated: park.lastUpdated });
        return true;
      } catch (error) {
        // Removed, re-sized or given a newer reading meanwhile: that newer state is kept.
        if (!isConditionFailed(error)) throw error;
        return false;
      }
    }),
  );
  const count = written.filter(Boolean).length;
  return {
    success: true,
    message: `Simulated sensor data written to DynamoDB for ${count} car park${count === 1 ? "" : "s"}`,
    timestamp: at,
    storage: STORAGE,
  };
}

const SimulateResponseSchema = z.object({
  success: z.literal(true),
  message: z.string(),
  timestamp: z.string(),
  storage: z.literal(STORAGE),
});

const SIMULATE_DESCRIPTION =
  "Each car park drifts from its last reading. A car park that got a newer reading (or was removed or re-sized) meanwhile keeps it; the message counts the car parks actually written.";

/** What both paths of simulate share: the request they take and what they do. */
const SIMULATE_ROUTE = {
  method: "POST",
  tag: "Smart Car Park",
  body: z.strictObject({}),
  bodyOptional: true,
  responses: { 200: { description: "Readings written", schema: SimulateResponseSchema } },
  async handle({ deps }: { deps: ApiDeps }) {
    return { status: 200, body: await simulate(deps) } as const;
  },
} as const;

/** Smart Car Park (seed 000): status, simulate, one sensor reading. */
export const parkingRoutes = [
  defineRoute({
    method: "GET",
    path: "/car-parks",
    operationId: "getCarParkStatus",
    tag: "Smart Car Park",
    summary: "Status of every car park, with totals",
    description:
      "Installs the 4 car parks on first use when the table is empty. Seed 000's form, GET /car-parks?action=status, answers the same.",
    query: CarParkStatusQuerySchema,
    responses: { 200: { description: "Car park status", schema: StatusResponseSchema } },
    async handle({ deps }) {
      const body = await statusOf(deps);
      return { status: 200, headers: skippedHeaders(body.skipped ?? 0), body };
    },
  }),
  defineRoute({
    ...SIMULATE_ROUTE,
    path: "/car-parks/simulate",
    operationId: "simulateSensors",
    summary: "Write a simulated sensor reading for every car park",
    description: SIMULATE_DESCRIPTION,
  }),
  defineRoute({
    ...SIMULATE_ROUTE,
    path: "/car-parks",
    operationId: "simulateSensorsSeedForm",
    summary: "Seed 000's form of simulate: POST /car-parks?action=simulate",
    description: `The same as POST /car-parks/simulate, for clients written against seed 000's one endpoint. ${SIMULATE_DESCRIPTION}`,
    query: CarParkSimulateQuerySchema,
  }),
  defineRoute({
    method: "GET",
    path: "/car-parks/{carParkId}",
    operationId: "getCarPark",
    tag: "Smart Car Park",
    summary: "One car park",
    description: "Installs the 4 car parks on first use when the table is empty; an unknown id answers 404.",
    params: z.strictObject({ carParkId: PathIdSchema }),
    responses: { 200: { description: "The car park", schema: CarParkOutSchema } },
    async handle({ deps, params }) {
      const got = await deps.client.send(
        new GetItemCommand({
          TableName: deps.tables.parkingData,
          Key: { carParkId: { S: params.carParkId } },
          ConsistentRead: true,
        }),
      );
      const park =
        got.Item === undefined
          ? // Not there: perhaps a new installation, whose first call installs the car parks.
            (await loadCarParks(deps)).find((p) => p.carParkId === params.carParkId)
          : fromItem(CarParkSchema, got.Item);
      if (park === undefined) {
        throw new NotFoundError(
          `car park ${params.carParkId} does not exist; GET /car-parks lists them (CP001 to CP004 on a new installation)`,
        );
      }
      return { status: 200, body: { ...carParkView(park), storage: STORAGE } };
    },
  }),
  defineRoute({
    method: "PUT",
    path: "/car-parks/{carParkId}/occupancy",
    operationId: "putOccupancy",
    tag: "Smart Car Park",
    summary: "Record one sensor reading",
    description:
      "percentFull is computed to one decimal; the colour follows seed 000 thresholds (amber from 70, red from 90).",
    params: z.strictObject({ carParkId: PathIdSchema }),
    body: OccupancyReadingSchema,
    responses: {
      200: {
        description: "The car park after the reading",
        schema: CarParkOutSchema,
      },
    },
    async handle({ deps, params, body }) {
      const read = () =>
        deps.client.send(
          new GetItemCommand({
            TableName: deps.tables.parkingData,
            Key: { carParkId: { S: params.carParkId } },
            ConsistentRead: true,
          }),
        );
      for (let attempt = 0; attempt < 3; attempt++) {
        let got = await read();
        if (got.Item === undefined && attempt === 0) {
          // The first reading on a new installation finds the car parks installed.
          await loadCarParks(deps);
          got = await read();
        }
        if (got.Item === undefined) {
          throw new NotFoundError(`car park ${params.carParkId} does not exist; GET /car-parks lists them`);
        }
        const park = fromItem(CarParkSchema, got.Item);
        if (body.occupied > park.capacity) {
          throw new ValidationError(
            `body.occupied (given ${body.occupied}) exceeds car park ${park.carParkId}'s capacity of ${park.capacity}; send 0 to ${park.capacity}`,
            [
              {
                path: "body.occupied",
                value: body.occupied,
                expected: `a whole number from 0 to ${park.capacity}`,
              },
            ],
          );
        }
        const at = deps.now().toISOString();
        if (park.lastUpdated > at) {
          throw new ConflictError(
            `car park ${park.carParkId} already has a newer reading (lastUpdated ${park.lastUpdated}) than this one (${at}); it is kept`,
          );
        }
        try {
          const written = await writeReading(deps, park, body.occupied, at);
          return { status: 200, body: { ...carParkView(written), storage: STORAGE } };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      throw new ConflictError(
        `car park ${params.carParkId} changed while the reading was written; retry the request`,
      );
    },
  }),
];
