import { GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { compareDecimals } from "#commons/decimal.ts";
import { PET_ID_COUNTER, SEED_PETS } from "#commons/seed-data.ts";
import { PetIdParamSchema, PriceSchema, STORAGE } from "#schemas/api.ts";
import { type Pet, PetSchema } from "#schemas/pets.ts";
import {
  fromItem,
  isConditionFailed,
  itemInTheWay,
  num,
  putUnlessTaken,
  readListing,
  scanAll,
  skippedHeaders,
  toItem,
} from "../dynamo.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { exact } from "../json.ts";
import type { ApiDeps } from "../route.ts";
import { defineRoute } from "../route.ts";

const TAG = "PetStore";

function petView(pet: Pet) {
  return { ...pet, price: exact(pet.price) };
}

const PetOutSchema = PetSchema.extend({
  price: z.number().meta({ description: "Exact decimal, written digit for digit (249.99)" }),
});

/** Handler instances that have seen the seed pets and the counter in place. */
const seeded = new WeakSet<ApiDeps>();

/**
 * Puts the 15 seed pets and the id counter (at 15) on a new installation. Idempotent and
 * race-free: every put is conditional, and the counter is created only after the pets, so no id
 * is allocated before the seed ids are taken.
 */
export async function ensurePets(deps: ApiDeps): Promise<void> {
  if (seeded.has(deps)) return;
  const counter = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.counters,
      Key: { name: { S: PET_ID_COUNTER } },
      ConsistentRead: true,
    }),
  );
  if (counter.Item === undefined) {
    const ignoreTaken = (error: unknown) => {
      if (!isConditionFailed(error)) throw error;
    };
    await Promise.all(
      SEED_PETS.map((pet) =>
        deps.client
          .send(
            new PutItemCommand({
              TableName: deps.tables.pets,
              Item: toItem({ ...pet, price: num(pet.price) }),
              ConditionExpression: "attribute_not_exists(id)",
            }),
          )
          .catch(ignoreTaken),
      ),
    );
    await deps.client
      .send(
        new PutItemCommand({
          TableName: deps.tables.counters,
          Item: toItem({ name: PET_ID_COUNTER, value: SEED_PETS.length }),
          ConditionExpression: "attribute_not_exists(#name)",
          ExpressionAttributeNames: { "#name": "name" },
        }),
      )
      .catch(ignoreTaken);
  }
  seeded.add(deps);
}

/** The next pet id: one atomic ADD on the counter, so concurrent creations never share an id. */
async function allocatePetId(deps: ApiDeps): Promise<number> {
  const result = await deps.client.send(
    new UpdateItemCommand({
      TableName: deps.tables.counters,
      Key: { name: { S: PET_ID_COUNTER } },
      UpdateExpression: "ADD #value :one",
      ExpressionAttributeNames: { "#value": "value" },
      ExpressionAttributeValues: { ":one": { N: "1" } },
      ReturnValues: "UPDATED_NEW",
    }),
  );
  return Number(result.Attributes?.value?.N);
}

/** Whether the stored item is this pet, its price compared as an exact decimal. */
function isSamePet(stored: Record<string, unknown> | undefined, pet: Pet): boolean {
  return (
    stored?.name === pet.name &&
    stored.type === pet.type &&
    typeof stored.price === "string" &&
    compareDecimals(stored.price, pet.price) === 0
  );
}

/** PetStore (seed 002): list, get, create with atomically allocated ids. */
export const petRoutes = [
  defineRoute({
    method: "GET",
    path: "/pets",
    operationId: "listPets",
    tag: TAG,
    summary: "Every pet, sorted by id",
    description:
      "A JSON array, as the PetStore always answered; the 15 seed pets are present on a new installation. A pet item that does not fit the pet schema (written around the API) is left out, logged, and counted in the x-ripple-skipped-items header.",
    responses: { 200: { description: "The pets", schema: z.array(PetOutSchema) } },
    async handle({ deps }) {
      await ensurePets(deps);
      const listing = readListing(
        deps.logger,
        { table: deps.tables.pets, keyNames: ["id"] },
        await scanAll(deps.client, deps.tables.pets),
        (item) => fromItem(PetSchema, item),
      );
      const pets = listing.items.sort((a, b) => a.id - b.id);
      // The body stays the bare array seed 002 answers; the count of left-out pets is a header.
      return { status: 200, body: pets.map(petView), headers: skippedHeaders(listing.skipped) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/pets/{id}",
    operationId: "getPet",
    tag: TAG,
    summary: "One pet",
    params: z.strictObject({ id: PetIdParamSchema }),
    responses: {
      200: { description: "The pet", schema: PetOutSchema.extend({ storage: z.literal(STORAGE) }) },
    },
    async handle({ deps, params }) {
      await ensurePets(deps);
      const got = await deps.client.send(
        new GetItemCommand({
          TableName: deps.tables.pets,
          Key: { id: { N: String(params.id) } },
          // A GET right after the caller's POST must find the pet.
          ConsistentRead: true,
        }),
      );
      if (got.Item === undefined)
        throw new NotFoundError(`pet ${params.id} does not exist; GET /pets lists them`);
      return { status: 200, body: { ...petView(fromItem(PetSchema, got.Item)), storage: STORAGE } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/pets",
    operationId: "createPet",
    tag: TAG,
    summary: "Add a pet",
    description:
      "The id is allocated atomically from the counters table. price is an exact decimal (0–1,000,000, at most 2 decimals), sent as a JSON number or a string, and answered as a JSON number written digit for digit.",
    body: PetSchema.pick({ name: true, type: true }).extend({ price: PriceSchema }).strict(),
    responses: {
      201: { description: "The new pet", schema: PetOutSchema.extend({ storage: z.literal(STORAGE) }) },
    },
    async handle({ deps, body, once }) {
      await ensurePets(deps);
      // An id already taken (a pet written around the API) is skipped, never overwritten.
      for (let attempt = 0; attempt < 5; attempt++) {
        // Each id allocated is kept with the Idempotency-Key: a resumed run tries the same ids.
        const id = await once.value(`id#${attempt}`, async () => String(await allocatePetId(deps)));
        const pet: Pet = {
          id: Number(id),
          name: body.name,
          type: body.type,
          price: body.price,
        };
        const taken = await putUnlessTaken(deps.client, {
          TableName: deps.tables.pets,
          Item: toItem({ ...pet, price: num(pet.price) }),
          ConditionExpression: "attribute_not_exists(id)",
        });
        // Taken by this request's first run, which added the pet and stopped before answering.
        if (
          taken === undefined ||
          (once.resumed &&
            isSamePet(await itemInTheWay(deps.client, deps.tables.pets, { id: { N: id } }), pet))
        ) {
          return { status: 201, body: { ...petView(pet), storage: STORAGE } };
        }
      }
      throw new ConflictError("could not allocate a free pet id after 5 attempts; retry the request");
    },
  }),
];
