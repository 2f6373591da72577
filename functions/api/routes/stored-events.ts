import { randomUUID } from "node:crypto";
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import {
  EventIdSchema,
  EventListQuerySchema,
  EventTypeSchema,
  PathIdSchema,
  PayloadSchema,
  STORAGE,
} from "#schemas/api.ts";
import {
  STORED_EVENT_TRANSITIONS,
  STORED_EVENT_TTL_SECONDS,
  type StoredEvent,
  StoredEventSchema,
  StoredEventStatusSchema,
} from "#schemas/stored-events.ts";
import {
  fromFreeForm,
  fromItem,
  type Item,
  isConditionFailed,
  listingResponse,
  putGenerated,
  queryItems,
  readListing,
  toAttr,
  toItem,
} from "../dynamo.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { ApiDeps } from "../route.ts";
import { defineRoute } from "../route.ts";
import { requireOrderedRange } from "../validation.ts";

const TAG = "Event storage";

/** A new event id for an instant: `<epoch milliseconds, 13 digits>-<32 hex>` (see {@link EventIdSchema}). */
export function newEventId(at: Date): string {
  return `${String(at.getTime()).padStart(13, "0")}-${randomUUID().replaceAll("-", "")}`;
}

/** Whole seconds since the epoch, as DynamoDB's TTL compares them. */
function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

const StoredEventWithoutPayloadSchema = StoredEventSchema.omit({ payload: true });

function eventView(item: Item) {
  const { payload, ...rest } = item;
  const event = fromItem(StoredEventWithoutPayloadSchema, rest);
  return { ...event, ...(payload === undefined ? {} : { payload: fromFreeForm(payload) }) };
}

async function getEvent(deps: ApiDeps, userId: string, sortKey: string): Promise<Item | undefined> {
  const got = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.storedEvents,
      Key: { user_id: { S: userId }, "timestamp#event_id": { S: sortKey } },
      ConsistentRead: true,
    }),
  );
  return got.Item;
}

const EventOutSchema = StoredEventSchema;
const UserParamsSchema = z.strictObject({ userId: PathIdSchema });

/** Event storage (seed 003): store, list through the GSIs, move between statuses. */
export const storedEventRoutes = [
  defineRoute({
    method: "POST",
    path: "/users/{userId}/events",
    operationId: "storeEvent",
    tag: TAG,
    summary: "Store an event for a user",
    description:
      "Starts pending with retry_count 0 and a ttl 30 days ahead. event_id is `<epoch ms>-<32 hex>`: it carries the creation instant, so the item's key (timestamp#event_id) is known from the id alone.",
    params: UserParamsSchema,
    body: z.strictObject({ event_type: EventTypeSchema, payload: PayloadSchema.optional() }),
    responses: {
      201: {
        description: "The stored event",
        schema: EventOutSchema.extend({ storage: z.literal(STORAGE) }),
      },
    },
    async handle({ deps, params, body, once }) {
      const now = deps.now();
      const timestamp = now.toISOString();
      // Kept with the Idempotency-Key: a resumed run writes (and finds) the same event.
      const eventId = await once.value("eventId", () => newEventId(now));
      const event: StoredEvent = {
        user_id: params.userId,
        "timestamp#event_id": `${timestamp}#${eventId}`,
        event_id: eventId,
        event_type: body.event_type,
        status: "pending",
        timestamp,
        "event_type#timestamp": `${body.event_type}#${timestamp}`,
        "status#timestamp": `pending#${timestamp}`,
        ...(body.payload === undefined ? {} : { payload: body.payload }),
        retry_count: 0,
        created_at: timestamp,
        updated_at: timestamp,
        ttl: epochSeconds(now) + STORED_EVENT_TTL_SECONDS,
      };
      const item = toItem({ ...event });
      await putGenerated(
        deps.client,
        {
          TableName: deps.tables.storedEvents,
          Item: item,
          ConditionExpression: "attribute_not_exists(user_id)",
        },
        once.resumed,
      );
      return { status: 201, body: { ...eventView(item), storage: STORAGE } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{userId}/events",
    operationId: "listEvents",
    tag: TAG,
    summary: "A user's events, latest first, by type and/or status",
    description:
      "type uses EventTypeIndex, status (alone) uses StatusIndex, type and status use EventTypeIndex with a status filter; from/to bound the creation instant; limit 1–100, default 20. Events past their ttl are left out, even before DynamoDB has deleted them.",
    params: UserParamsSchema,
    query: EventListQuerySchema,
    responses: {
      200: {
        description: "The events",
        schema: z.object({
          userId: z.string(),
          events: z.array(EventOutSchema),
          count: z.number().int(),
          storage: z.literal(STORAGE),
          skipped: z.number().int().optional().meta({
            description: "Events left out because they do not fit their schema (present only when some were)",
          }),
        }),
      },
    },
    async handle({ deps, params, query, rawQuery }) {
      requireOrderedRange(query, rawQuery);
      const [indexName, sortKey, prefix] =
        query.type !== undefined
          ? ["EventTypeIndex", "event_type#timestamp", `${query.type}#`]
          : query.status !== undefined
            ? ["StatusIndex", "status#timestamp", `${query.status}#`]
            : [undefined, "timestamp#event_id", ""];
      // "~" sorts after every character of an instant and an event id, so it closes the range.
      const low = `${prefix}${query.from ?? "0000"}`;
      const high = `${prefix}${query.to ?? "9999"}${indexName === undefined ? "#~" : "~"}`;
      const filterStatus = query.type !== undefined && query.status !== undefined;
      const items = await queryItems(
        deps.client,
        {
          TableName: deps.tables.storedEvents,
          ...(indexName === undefined ? { ConsistentRead: true } : { IndexName: indexName }),
          KeyConditionExpression: "user_id = :userId AND #sk BETWEEN :low AND :high",
          // DynamoDB deletes expired items up to 48 h late; until then they are still returned.
          FilterExpression: `#ttl > :now${filterStatus ? " AND #status = :status" : ""}`,
          ExpressionAttributeNames: {
            "#sk": sortKey,
            "#ttl": "ttl",
            ...(filterStatus ? { "#status": "status" } : {}),
          },
          ExpressionAttributeValues: {
            ":userId": toAttr(params.userId),
            ":low": toAttr(low),
            ":high": toAttr(high),
            ":now": toAttr(epochSeconds(deps.now())),
            ...(filterStatus ? { ":status": toAttr(query.status) } : {}),
          },
          ScanIndexForward: false,
        },
        query.limit,
      );
      const { items: events, skipped } = readListing(
        deps.logger,
        { table: deps.tables.storedEvents, keyNames: ["user_id", "timestamp#event_id"] },
        items,
        eventView,
      );
      return listingResponse(
        { userId: params.userId, events, count: events.length, storage: STORAGE },
        skipped,
      );
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/users/{userId}/events/{eventId}",
    operationId: "updateEventStatus",
    tag: TAG,
    summary: "Move an event to another status",
    description:
      "Allowed: pending → processing|failed, processing → delivered|failed|pending, failed → pending; delivered is final. Moving back to pending is a retry and adds 1 to retry_count. The write is conditional on the status read, so concurrent transitions never both apply. An event past its ttl answers 404, even before DynamoDB has deleted it.",
    params: z.strictObject({ userId: PathIdSchema, eventId: EventIdSchema }),
    body: z.strictObject({ status: StoredEventStatusSchema }),
    responses: {
      200: {
        description: "The event after the change",
        schema: EventOutSchema.extend({ storage: z.literal(STORAGE) }),
      },
    },
    async handle({ deps, params, body }) {
      const { eventId, timestamp } = params.eventId;
      const sortKey = `${timestamp}#${eventId}`;
      for (let attempt = 0; attempt < 5; attempt++) {
        const item = await getEvent(deps, params.userId, sortKey);
        const now = epochSeconds(deps.now());
        if (item === undefined || !(Number(item.ttl?.N) > now)) {
          throw new NotFoundError(`user ${params.userId} has no event ${eventId} (it may have expired)`);
        }
        const current = StoredEventStatusSchema.parse(item.status?.S);
        const allowed = STORED_EVENT_TRANSITIONS[current];
        if (!allowed.includes(body.status)) {
          throw new ConflictError(
            `event ${eventId} is ${current} and cannot move to ${body.status}; from ${current} it may move to ${allowed.length === 0 ? "nothing (final)" : allowed.join(" or ")}`,
          );
        }
        const at = deps.now().toISOString();
        try {
          const result = await deps.client.send(
            new UpdateItemCommand({
              TableName: deps.tables.storedEvents,
              Key: { user_id: { S: params.userId }, "timestamp#event_id": { S: sortKey } },
              UpdateExpression:
                "SET #status = :next, #statusTs = :statusTs, updated_at = :at, retry_count = retry_count + :retry",
              ConditionExpression: "#status = :current AND #ttl > :now",
              ExpressionAttributeNames: {
                "#status": "status",
                "#statusTs": "status#timestamp",
                "#ttl": "ttl",
              },
              ExpressionAttributeValues: {
                ":next": toAttr(body.status),
                ":statusTs": toAttr(`${body.status}#${timestamp}`),
                ":at": toAttr(at),
                ":retry": toAttr(body.status === "pending" ? 1 : 0),
                ":current": toAttr(current),
                ":now": toAttr(now),
              },
              ReturnValues: "ALL_NEW",
            }),
          );
          return { status: 200, body: { ...eventView(result.Attributes ?? {}), storage: STORAGE } };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      throw new ConflictError(`event ${eventId} kept changing while it was updated; read it and retry`);
    },
  }),
];
