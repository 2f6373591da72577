import * as z from "zod";
import {
  AchievementSchema,
  CarbonEntryKeySchema,
  CarbonEntrySchema,
  GoalKeySchema,
  GoalSchema,
  UserProfileSchema,
} from "./carbon.ts";
import { CartImageSchema, CartKeySchema } from "./cart.ts";
import { IsoTimestampSchema } from "./common.ts";
import { CarParkKeySchema, CarParkSchema } from "./parking.ts";
import { PetKeySchema, PetSchema } from "./pets.ts";
import { StoredEventKeySchema, StoredEventSchema } from "./stored-events.ts";

/** The kinds of change a stream record can describe; `EXPIRE` is a REMOVE made by DynamoDB's TTL. */
export const ChangeKindSchema = z.enum(["INSERT", "MODIFY", "REMOVE", "EXPIRE"]);
export type ChangeKind = z.infer<typeof ChangeKindSchema>;

/**
 * What every domain event says about the change it came from, so consumers can deduplicate
 * (`eventId`) and order (`sequenceNumber` per item, `changedAt`).
 */
export const EventMetadataSchema = z.object({
  /** Deterministic: the same stream record always yields the same id. */
  eventId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  /** Version of this detail-type's schema. */
  version: z.number().int().positive(),
  /** Source table name as declared. */
  table: z.string(),
  change: ChangeKindSchema,
  /** DynamoDB stream sequence number: increases with every change of the same item. */
  sequenceNumber: z.string().regex(/^\d{1,40}$/),
  /** When DynamoDB made the change (the record's ApproximateCreationDateTime). */
  changedAt: IsoTimestampSchema,
  /** The item's primary key, as plain values. */
  keys: z.record(z.string(), z.union([z.string(), z.number()])),
  /** How many pipeline hops produced this change: 0 for a producer's write. */
  depth: z.number().int().min(0),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/** The envelope every detail extends. */
export const DomainEventDetailSchema = z.object({
  metadata: EventMetadataSchema,
  data: z.unknown(),
});

export interface DomainEvent<Data extends z.ZodType = z.ZodType> {
  readonly source: string;
  readonly detailType: string;
  readonly version: number;
  readonly description: string;
  /** Schema of `detail.data`. */
  readonly dataSchema: Data;
  /** Schema of the whole `detail`. */
  readonly detailSchema: z.ZodObject<{ metadata: typeof EventMetadataSchema; data: Data }>;
}

function defineEvent<Data extends z.ZodType>(
  source: string,
  detailType: string,
  version: number,
  description: string,
  dataSchema: Data,
): DomainEvent<Data> {
  const detailSchema = DomainEventDetailSchema.extend({
    metadata: EventMetadataSchema.extend({ version: z.literal(version) }),
    data: dataSchema,
  }) as unknown as DomainEvent<Data>["detailSchema"];
  return { source, detailType, version, description, dataSchema, detailSchema };
}

export const SOURCES = {
  parking: "ripple.parking",
  carbon: "ripple.carbon",
  petstore: "ripple.petstore",
  storedEvents: "ripple.stored-events",
  cart: "ripple.cart",
} as const;

/** Every domain event ripple publishes, by detail-type. */
export const DomainEvents = {
  CarParkOccupancyChanged: defineEvent(
    SOURCES.parking,
    "CarParkOccupancyChanged",
    1,
    "A car park's occupancy reading was written.",
    CarParkSchema,
  ),
  CarParkRemoved: defineEvent(
    SOURCES.parking,
    "CarParkRemoved",
    1,
    "A car park was removed.",
    CarParkKeySchema,
  ),
  UserRegistered: defineEvent(
    SOURCES.carbon,
    "UserRegistered",
    1,
    "A CarbonTrack user signed up.",
    UserProfileSchema,
  ),
  UserStatsAltered: defineEvent(
    SOURCES.carbon,
    "UserStatsAltered",
    1,
    "A CarbonTrack profile was rewritten around carbon-stats: its statistics are missing or not as carbon-stats sealed them.",
    UserProfileSchema,
  ),
  CarbonEntryRecorded: defineEvent(
    SOURCES.carbon,
    "CarbonEntryRecorded",
    1,
    "A footprint entry was recorded or corrected.",
    CarbonEntrySchema,
  ),
  CarbonEntryRemoved: defineEvent(
    SOURCES.carbon,
    "CarbonEntryRemoved",
    1,
    "A footprint entry was deleted or expired.",
    CarbonEntryKeySchema,
  ),
  GoalSet: defineEvent(SOURCES.carbon, "GoalSet", 1, "A reduction goal was set or changed.", GoalSchema),
  GoalRemoved: defineEvent(SOURCES.carbon, "GoalRemoved", 1, "A reduction goal was removed.", GoalKeySchema),
  AchievementUnlocked: defineEvent(
    SOURCES.carbon,
    "AchievementUnlocked",
    1,
    "A user unlocked an achievement (written once per user and achievement).",
    AchievementSchema.omit({ rippleOrigin: true }),
  ),
  PetListed: defineEvent(SOURCES.petstore, "PetListed", 1, "A pet was added to the store.", PetSchema),
  PetUpdated: defineEvent(SOURCES.petstore, "PetUpdated", 1, "A pet's details changed.", PetSchema),
  PetRemoved: defineEvent(SOURCES.petstore, "PetRemoved", 1, "A pet left the store.", PetKeySchema),
  StoredEventCreated: defineEvent(
    SOURCES.storedEvents,
    "StoredEventCreated",
    1,
    "An event was stored for a user.",
    StoredEventSchema,
  ),
  StoredEventUpdated: defineEvent(
    SOURCES.storedEvents,
    "StoredEventUpdated",
    1,
    "A stored event's status or retry count changed.",
    StoredEventSchema,
  ),
  StoredEventRemoved: defineEvent(
    SOURCES.storedEvents,
    "StoredEventRemoved",
    1,
    "A stored event was deleted or reached its 30-day TTL.",
    StoredEventKeySchema,
  ),
  CartUpdated: defineEvent(
    SOURCES.cart,
    "CartUpdated",
    1,
    "A cart was created or changed (as stored: a cart written around the API may lack its totals or a line's author).",
    CartImageSchema,
  ),
  CartRemoved: defineEvent(SOURCES.cart, "CartRemoved", 1, "A cart was cleared or expired.", CartKeySchema),
} as const satisfies Record<string, DomainEvent>;

export type DomainEventName = keyof typeof DomainEvents;
export type DetailOf<Name extends DomainEventName> = z.infer<(typeof DomainEvents)[Name]["detailSchema"]>;

/**
 * JSON Schema of each event's detail, generated from its zod schema: draft 2020-12 by default;
 * `"draft-04"` for the EventBridge schema registry, which accepts only JSONSchemaDraft4 and OpenApi3.
 */
export function detailJsonSchemas(
  target: "draft-2020-12" | "draft-04" = "draft-2020-12",
): Record<DomainEventName, object> {
  const out = {} as Record<DomainEventName, object>;
  for (const [name, event] of Object.entries(DomainEvents) as [DomainEventName, DomainEvent][]) {
    out[name] = {
      ...z.toJSONSchema(event.detailSchema, { io: "output", unrepresentable: "any", target }),
      title: `${event.source} ${event.detailType} v${event.version}`,
      description: event.description,
    };
  }
  return out;
}
