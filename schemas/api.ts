import * as z from "zod";
import {
  CarbonEntrySchema,
  EmissionCategorySchema,
  GoalPeriodSchema,
  GoalStatusSchema,
  USER_STATS_SEAL,
  UserSchema,
  UserStatsSchema,
} from "./carbon.ts";
import { IsoDateSchema, IsoTimestampSchema, NonNegativeDecimalSchema } from "./common.ts";
import { StoredEventStatusSchema } from "./stored-events.ts";

/**
 * What the producer API accepts in paths, query strings and bodies, beyond the item schemas the
 * tables are described with. The API validates every request against these and its OpenAPI
 * document is generated from them, so the two never disagree.
 */

/** What every response that touches a table says it was stored in (seed 000's indicator). */
export const STORAGE = "Amazon DynamoDB";

/**
 * An id that travels in a URL path: letters, digits and `_ . : @ -`, starting with a letter or
 * digit. Narrower than the tables' `KeyStringSchema` so no id needs escaping, and no unicode
 * look-alike or injection string becomes a key.
 */
export const PathIdSchema = z
  .string()
  .min(1, "an id of at least 1 character")
  .max(128, "an id of at most 128 characters")
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/,
    "an id of letters, digits and _ . : @ - (starting with a letter or digit, at most 128 characters)",
  );

/** A pet id in a path (seed 002's numeric ids): a whole number from 1. */
export const PetIdParamSchema = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, "a pet id: a whole number from 1")
  .transform(Number);

/**
 * How far in the future a client's instant may lie (its clock may run ahead of ours): 5 minutes.
 * An entry dated later would become the user's latest entry before it happened.
 */
export const MAX_FUTURE_SKEW_SECONDS = 300;

/** An instant, stored in one form (UTC, milliseconds, `Z`) so string order is time order. */
export const InstantSchema = IsoTimestampSchema.transform((text) => new Date(text).toISOString());

/** A range bound: a calendar day (the whole day) or an instant. */
function boundSchema(edge: "start" | "end") {
  return z
    .union([IsoDateSchema, IsoTimestampSchema], {
      error: 'expected a date such as "2025-11-30" or an instant such as "2025-11-30T16:05:12Z"',
    })
    .transform((text) =>
      text.length === 10
        ? `${text}T${edge === "start" ? "00:00:00.000" : "23:59:59.999"}Z`
        : new Date(text).toISOString(),
    )
    .meta({ description: 'A date ("2025-11-30", the whole day) or an instant ("2025-11-30T16:05:12Z")' });
}
/** `from` query parameter: a day (from its start) or an instant, as a UTC instant string. */
export const FromBoundSchema = boundSchema("start");
/** `to` query parameter: a day (to its last millisecond) or an instant, as a UTC instant string. */
export const ToBoundSchema = boundSchema("end");

/** `limit` query parameter: 1–100, default 20. */
export const LimitSchema = z
  .string()
  .regex(/^\d{1,4}$/, "a whole number from 1 to 100")
  .transform(Number)
  .pipe(z.number().int().min(1, "a whole number from 1 to 100").max(100, "a whole number from 1 to 100"))
  .default(20)
  .meta({ description: "How many to answer: 1 to 100, default 20" });

/** Number of digits after the point of a canonical decimal. */
function fractionDigits(value: string): number {
  const point = value.indexOf(".");
  return point === -1 ? 0 : value.length - point - 1;
}

/** Whether canonical non-negative decimal `a` is at most `b`. */
function atMost(a: string, b: string): boolean {
  const [aWhole = "", aFraction = ""] = a.split(".");
  const [bWhole = "", bFraction = ""] = b.split(".");
  if (aWhole.length !== bWhole.length) return aWhole.length < bWhole.length;
  if (aWhole !== bWhole) return aWhole < bWhole;
  const width = Math.max(aFraction.length, bFraction.length);
  return aFraction.padEnd(width, "0") <= bFraction.padEnd(width, "0");
}

/** A bounded exact decimal: 0 to `max`, at most `digits` fraction digits. */
export function boundedDecimal(digits: number, max: string) {
  return NonNegativeDecimalSchema.pipe(
    z
      .string()
      .refine((v) => fractionDigits(v) <= digits, `at most ${digits} digits after the decimal point`)
      .refine((v) => atMost(v, max), `at most ${max}`),
  ).meta({
    description: `Exact decimal from 0 to ${max} with at most ${digits} digits after the point, as a JSON number or a string`,
  });
}

/** A price: 0 to 1,000,000 with at most 2 decimals (exact as a JSON number or a string). */
export const PriceSchema = boundedDecimal(2, "1000000");

/** kgCO2e of one CarbonTrack entry: 0 to 100,000 with at most 3 decimals. */
export const KgCO2eSchema = boundedDecimal(3, "100000");

/** A goal's budget per period: 0 to 1,000,000 kgCO2e with at most 3 decimals. */
export const TargetKgCO2eSchema = boundedDecimal(3, "1000000");

/** Highest quantity of one book in a cart. */
export const MAX_CART_QUANTITY = 999;

/** Quantity of a book in a cart: a whole number from 1 to 999. */
export const QuantitySchema = z.number().int().min(1).max(MAX_CART_QUANTITY);

/** One sensor reading (`PUT /car-parks/{carParkId}/occupancy`); the car park's capacity bounds it further. */
export const OccupancyReadingSchema = z.strictObject({
  occupied: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .meta({ description: "Spaces taken: a whole number from 0 to the car park's capacity" }),
});

/**
 * An event id carries its creation instant: `<epoch milliseconds, 13 digits>-<32 hex>`. The sort
 * key is `timestamp#event_id`, so a PATCH by event id rebuilds the full key from the id alone and
 * reads the item with one GetItem, no query.
 */
export const EVENT_ID = /^(\d{13})-[0-9a-f]{32}$/;

/** The creation instant an event id carries. */
export function instantOfEventId(eventId: string): string | undefined {
  const match = EVENT_ID.exec(eventId);
  return match === null ? undefined : new Date(Number(match[1])).toISOString();
}

/** An event id in a path, with the instant it carries. */
export const EventIdSchema = z
  .string()
  .regex(EVENT_ID, "an event id as returned by POST /users/{userId}/events (13 digits, '-', 32 hex digits)")
  .transform((eventId) => ({ eventId, timestamp: instantOfEventId(eventId)! }));

/** Event types end up in GSI sort keys (`event_type#timestamp`), so '#' and the like are refused. */
export const EventTypeSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, "an event type of letters, digits and _ . : - (at most 100)");

/** Deepest nesting a stored event's payload may have. */
export const MAX_PAYLOAD_DEPTH = 16;

/**
 * Keys refused in a payload: JavaScript objects treat them specially, so a JSON parser or the
 * DynamoDB marshaller may drop them or change an object's prototype instead of keeping the data.
 */
export const RESERVED_PAYLOAD_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Smallest magnitude other than 0 that a DynamoDB number can have. */
const DYNAMODB_MIN_MAGNITUDE = 1e-130;

const PAYLOAD_NUMBER = `a number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, and 0 or at least 1e-130 away from 0 (what DynamoDB stores from a JSON number); send other numbers as strings`;

type PayloadIssue = { path: (string | number)[]; input: unknown; message: string };

/** Every place a payload breaks what DynamoDB can store and give back unchanged. */
function payloadIssues(value: unknown, path: (string | number)[], issues: PayloadIssue[]): void {
  if (issues.length >= 20) return;
  if (path.length > MAX_PAYLOAD_DEPTH) {
    issues.push({ path, input: value, message: `at most ${MAX_PAYLOAD_DEPTH} levels of nesting` });
    return;
  }
  if (typeof value === "number") {
    const magnitude = Math.abs(value);
    if (magnitude > Number.MAX_SAFE_INTEGER || (magnitude !== 0 && magnitude < DYNAMODB_MIN_MAGNITUDE)) {
      issues.push({ path, input: value, message: PAYLOAD_NUMBER });
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) payloadIssues(v, [...path, i], issues);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const key of Object.keys(value)) {
    const at = [...path, key];
    const v = (value as Record<string, unknown>)[key];
    if (key === "")
      issues.push({ path: at, input: v, message: "a non-empty key; DynamoDB refuses empty keys" });
    else if (RESERVED_PAYLOAD_KEYS.has(key)) {
      issues.push({
        path: at,
        input: v,
        message: `no key named ${key} (__proto__, constructor and prototype are refused: they would not be stored as sent); rename it`,
      });
    } else payloadIssues(v, at, issues);
  }
}

/**
 * A stored event's free-form payload: a JSON object DynamoDB stores and gives back unchanged —
 * keys non-empty and none of {@link RESERVED_PAYLOAD_KEYS}, numbers within what DynamoDB stores,
 * at most {@link MAX_PAYLOAD_DEPTH} levels. The check runs on the body as parsed, before zod
 * copies the object, so a `__proto__` key is seen rather than silently dropped.
 */
export const PayloadSchema = z
  .preprocess(
    (value, ctx) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
      const issues: PayloadIssue[] = [];
      payloadIssues(value, [], issues);
      for (const issue of issues) ctx.addIssue({ code: "custom", ...issue });
      return value;
    },
    z.record(z.string(), z.unknown()),
  )
  .meta({
    description: `A JSON object, stored as sent: keys non-empty and not __proto__, constructor or prototype; numbers ${PAYLOAD_NUMBER.replace(/^a number /, "")}; at most ${MAX_PAYLOAD_DEPTH} levels`,
  });

/** `GET /users/{userId}/events` query. */
export const EventListQuerySchema = z.strictObject({
  type: EventTypeSchema.optional(),
  status: StoredEventStatusSchema.optional(),
  from: FromBoundSchema.optional(),
  to: ToBoundSchema.optional(),
  limit: LimitSchema,
});

/** `GET /users/{userId}/entries` query. */
export const EntryListQuerySchema = z.strictObject({
  limit: LimitSchema,
  from: FromBoundSchema.optional(),
  to: ToBoundSchema.optional(),
  nextToken: z
    .string()
    .min(1, "the nextToken of a previous page")
    .max(4096, "the nextToken of a previous page")
    .optional()
    .meta({ description: "Where the previous page ended: its nextToken, unchanged; same from and to" }),
});

/**
 * `GET /car-parks` query: seed 000's Lambda answers `?action=status` on its one endpoint, so a
 * client written against the seed keeps working when pointed at `/car-parks`.
 */
export const CarParkStatusQuerySchema = z.strictObject({
  action: z
    .literal("status", {
      error:
        '"status" on GET (GET /car-parks?action=status); simulate writes, so send it as POST /car-parks?action=simulate',
    })
    .optional()
    .meta({ description: 'Seed 000\'s query form: "status" (the same as leaving it out)' }),
});

/** `POST /car-parks` query: seed 000's `?action=simulate`, the same as `POST /car-parks/simulate`. */
export const CarParkSimulateQuerySchema = z.strictObject({
  action: z
    .literal("simulate", {
      error: '"simulate" on POST (POST /car-parks?action=simulate); to read, GET /car-parks?action=status',
    })
    .meta({ description: 'Seed 000\'s query form: "simulate"' }),
});

/**
 * A change (PATCH body): the fields that may change, each optional, at least one given; `null`
 * removes an optional field where its schema allows null. `fixed` names fields the item has but
 * this change may not set, each with the reason and the way to do it instead: they are refused
 * with that reason, not as unknown fields.
 */
export function changeSchema<Shape extends z.ZodRawShape>(
  shape: Shape,
  fixed: Readonly<Record<string, string>>,
  example: string,
) {
  const names = Object.keys(shape);
  const object = z
    .strictObject(shape)
    .refine((change) => Object.keys(change).length > 0, {
      message: `at least one field to change: ${names.join(", ")} (e.g. ${example})`,
    })
    .meta({
      description: `At least one of ${names.join(", ")}, e.g. ${example}. Refused with the reason: ${Object.keys(fixed).join(", ")}.`,
      minProperties: 1,
    });
  return z.preprocess((value, ctx) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const rest: Record<string, unknown> = { ...value };
    for (const [key, reason] of Object.entries(fixed)) {
      if (!Object.hasOwn(rest, key)) continue;
      ctx.addIssue({ code: "custom", path: [key], input: rest[key], message: reason });
      delete rest[key];
    }
    return rest;
  }, object);
}

const keyField = (what: string, instead: string) =>
  `nothing: ${what} is part of the key and cannot change; remove it (${instead})`;

const STATISTICS_REFUSED = `nothing: statistics are computed by the pipeline from the user's entries and goals and cannot be set; remove it, and record, correct (PATCH /users/{userId}/entries/{timestamp}) or delete entries to change them`;

/**
 * `PATCH /users/{userId}`: the profile's own fields. Statistics (`stats` and each of its fields,
 * which the carbon-stats consumer keeps) and the key are refused with their reason.
 */
export const UserChangeSchema = changeSchema(
  {
    name: UserSchema.shape.name.optional(),
    email: UserSchema.shape.email
      .unwrap()
      .nullable()
      .optional()
      .meta({ description: "An email address; null removes it" }),
  },
  {
    userId: keyField("userId", "to use another id, create a user with POST /users"),
    createdAt: "nothing: createdAt is set when the user is created and cannot change; remove it",
    ...Object.fromEntries(
      [
        "stats",
        ...USER_STATS_SEAL.covers,
        USER_STATS_SEAL.attribute,
        "rippleOrigin",
        ...Object.keys(UserStatsSchema.shape),
      ].map((key) => [key, STATISTICS_REFUSED]),
    ),
  },
  '{"name":"Alice Smith"}',
);

/** `PATCH /users/{userId}/entries/{timestamp}`: a correction of one entry; its statistics follow. */
export const EntryChangeSchema = changeSchema(
  {
    category: CarbonEntrySchema.shape.category.optional(),
    activity: CarbonEntrySchema.shape.activity.optional(),
    kgCO2e: KgCO2eSchema.optional(),
    note: z.string().max(1000).nullable().optional().meta({ description: "A note; null removes it" }),
  },
  {
    userId: keyField("userId", "an entry stays with its user"),
    timestamp: keyField(
      "timestamp",
      "to move an entry in time, DELETE it and POST it again with the new timestamp",
    ),
  },
  '{"kgCO2e":"2.4"}',
);

/** `PATCH /users/{userId}/goals/{goalId}`: a change of one goal; its progress follows. */
export const GoalChangeSchema = changeSchema(
  {
    title: z.string().min(1).max(200).optional(),
    period: GoalPeriodSchema.optional(),
    targetKgCO2e: TargetKgCO2eSchema.optional(),
    category: EmissionCategorySchema.nullable()
      .optional()
      .meta({ description: "The one category the goal counts; null makes it count every category" }),
    status: GoalStatusSchema.optional(),
  },
  {
    userId: keyField("userId", "a goal stays with its user"),
    goalId: keyField("goalId", "to start another goal, POST /users/{userId}/goals"),
    createdAt: "nothing: createdAt is set when the goal is created and cannot change; remove it",
  },
  '{"targetKgCO2e":"8.5"}',
);
