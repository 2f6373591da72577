import { USER_STATS_SEAL } from "#schemas/carbon.ts";
import { DomainEvents as E } from "#schemas/domain-events.ts";
import type { ItemSchemaName } from "#schemas/items.ts";
import type {
  ChangeMapping,
  KeyAttribute,
  PipelineDeclaration,
  StreamSourceDeclaration,
} from "./declaration.ts";
import { resolvePipeline } from "./model.ts";

/**
 * Where every source departs from the mapping defaults (`resolveMappingSettings`): more retries
 * and a longer record age than Lambda's, so a failing batch has hours to recover before it is
 * given up to the on-failure queue.
 */
const streamRetries = { maximumRetryAttempts: 100, maximumRecordAgeInSeconds: 21_600 } as const;

/**
 * A stream source with {@link streamRetries}: the records of `table` (a key of `tables`), read
 * through the item schema `itemSchema`, become the events of `changes`; `more` sets the rest
 * (filter patterns, other mapping settings).
 */
function streamSource(
  table: string,
  itemSchema: ItemSchemaName,
  changes: readonly ChangeMapping[],
  more: Partial<StreamSourceDeclaration> = {},
): StreamSourceDeclaration {
  return { ...streamRetries, table, itemSchema, changes, ...more };
}

/** A key attribute of type string: every table's keys are, but the pets' numeric `id`. */
function stringKey(name: string): KeyAttribute {
  return { name, type: "S" };
}

/**
 * Reserved concurrency of carbon-stats and achievements: every event of one user rewrites that
 * user's summary, so at most this many of them race on it, however large the burst; the rest
 * wait in Lambda's asynchronous queue. Raising it buys throughput across users at the price of
 * more lost races for one busy user.
 */
const CARBON_CONSUMER_CONCURRENCY = 2;

/**
 * ripple's pipeline as declared: every table, stream source, domain event mapping, rule, consumer
 * and alarm threshold. Read it through {@link model}: the CDK app (`infra/cdk`) and the local
 * runtime (`infra/local`) are built from the resolved model alone.
 */
export const pipeline: PipelineDeclaration = {
  name: "ripple",
  tables: {
    parkingData: {
      tableName: "parking-data",
      purpose: "Smart Car Park (seed 000): one item per car park with its latest occupancy",
      partitionKey: stringKey("carParkId"),
      stream: "NEW_IMAGE",
    },
    carbonUsers: {
      tableName: "carbontrack-users",
      purpose: "CarbonTrack (seed 001): user profiles and aggregated statistics",
      partitionKey: stringKey("userId"),
      stream: "NEW_IMAGE",
    },
    carbonEntries: {
      tableName: "carbontrack-entries",
      purpose: "CarbonTrack (seed 001): individual carbon footprint entries",
      partitionKey: stringKey("userId"),
      sortKey: stringKey("timestamp"),
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    carbonGoals: {
      tableName: "carbontrack-goals",
      purpose: "CarbonTrack (seed 001): user carbon reduction goals",
      partitionKey: stringKey("userId"),
      sortKey: stringKey("goalId"),
      stream: "NEW_IMAGE",
    },
    carbonAchievements: {
      tableName: "carbontrack-achievements",
      purpose: "CarbonTrack (seed 001): user achievements and badges",
      partitionKey: stringKey("userId"),
      sortKey: stringKey("achievementId"),
      stream: "NEW_IMAGE",
    },
    pets: {
      tableName: "PetStore",
      purpose: "PetStore (seed 002): pets with numeric ids and exact prices",
      partitionKey: { name: "id", type: "N" },
      stream: "NEW_IMAGE",
    },
    storedEvents: {
      tableName: "events",
      purpose: "Event storage (seed 003): user events with a 30-day TTL",
      partitionKey: stringKey("user_id"),
      sortKey: stringKey("timestamp#event_id"),
      globalSecondaryIndexes: [
        {
          indexName: "EventTypeIndex",
          partitionKey: stringKey("user_id"),
          sortKey: stringKey("event_type#timestamp"),
        },
        {
          indexName: "StatusIndex",
          partitionKey: stringKey("user_id"),
          sortKey: stringKey("status#timestamp"),
        },
      ],
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    carts: {
      tableName: "cloudshelf-shopping-cart",
      purpose: "CloudShelf (seed 004): one shopping cart per user",
      partitionKey: stringKey("userId"),
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    aggregates: {
      tableName: "ripple-aggregates",
      purpose: "Consumers' aggregates (totals, counts) and the per-item positions that keep them exact",
      partitionKey: stringKey("pk"),
      sortKey: stringKey("sk"),
    },
    setAside: {
      tableName: "ripple-set-aside",
      purpose:
        "Stream records and events the pipeline could not deliver, with the reason, for an operator to redrive",
      partitionKey: stringKey("id"),
    },
    counters: {
      tableName: "ripple-counters",
      purpose: "Atomic counters (pet ids)",
      partitionKey: stringKey("name"),
    },
    idempotency: {
      tableName: "ripple-idempotency",
      purpose: "API Idempotency-Key records: a retried POST returns the first result",
      partitionKey: stringKey("id"),
      timeToLiveAttribute: "expiresAt",
    },
  },
  bus: { name: "ripple", archiveRetentionDays: 30 },
  fanOut: {
    handler: "functions/fan-out/handler.ts",
    setAsideTable: "setAside",
    maxDepth: 3,
    timeoutSeconds: 60,
    memorySize: 512,
    onFailureRetentionDays: 14,
  },
  sources: [
    streamSource("parkingData", "CarPark", [
      { on: ["INSERT", "MODIFY"], event: E.CarParkOccupancyChanged },
      { on: ["REMOVE"], event: E.CarParkRemoved },
    ]),
    streamSource(
      "carbonUsers",
      "User",
      [
        { on: ["INSERT"], event: E.UserRegistered },
        // A profile rewritten around the API with its statistics erased or altered is repaired
        // by carbon-stats; carbon-stats' own writes carry the seal and become no event.
        {
          on: ["MODIFY"],
          event: E.UserStatsAltered,
          unlessSealed: { consumer: "carbon-stats", ...USER_STATS_SEAL },
        },
      ],
      // A removed profile becomes no event: no record of it needs the fan-out.
      { filterPatterns: [{ eventName: ["INSERT", "MODIFY"] }] },
    ),
    streamSource("carbonEntries", "CarbonEntry", [
      { on: ["INSERT", "MODIFY"], event: E.CarbonEntryRecorded },
      { on: ["REMOVE", "EXPIRE"], event: E.CarbonEntryRemoved },
    ]),
    streamSource("carbonGoals", "Goal", [
      { on: ["INSERT", "MODIFY"], event: E.GoalSet },
      { on: ["REMOVE"], event: E.GoalRemoved },
    ]),
    streamSource("carbonAchievements", "Achievement", [{ on: ["INSERT"], event: E.AchievementUnlocked }], {
      filterPatterns: [{ eventName: ["INSERT"] }],
    }),
    streamSource("pets", "Pet", [
      { on: ["INSERT"], event: E.PetListed },
      { on: ["MODIFY"], event: E.PetUpdated },
      { on: ["REMOVE"], event: E.PetRemoved },
    ]),
    streamSource("storedEvents", "StoredEvent", [
      { on: ["INSERT"], event: E.StoredEventCreated },
      { on: ["MODIFY"], event: E.StoredEventUpdated },
      { on: ["REMOVE", "EXPIRE"], event: E.StoredEventRemoved },
    ]),
    streamSource("carts", "CartImage", [
      { on: ["INSERT", "MODIFY"], event: E.CartUpdated },
      { on: ["REMOVE", "EXPIRE"], event: E.CartRemoved },
    ]),
  ],
  consumers: [
    {
      name: "parking-totals",
      description: "Keeps per-car-park occupancy and the totals across car parks",
      handler: "functions/parking-totals/handler.ts",
      events: [E.CarParkOccupancyChanged, E.CarParkRemoved],
      reads: ["aggregates"],
      writes: ["aggregates"],
      // The totals are spread over 16 shard items (aggregateShards' default), so writers of
      // different car parks rarely meet; a few at a time also keeps a busy car park's readings,
      // which serialise on its shard anyway, from racing each other.
      reservedConcurrency: 4,
    },
    {
      name: "carbon-stats",
      description:
        "Keeps each CarbonTrack user's totals, categories, days, months, streaks and goal progress",
      handler: "functions/carbon-stats/handler.ts",
      // UserRegistered: statistics kept for a user with no profile yet move onto the new profile.
      // UserStatsAltered: statistics erased or altered on a profile written around the API are
      // written back.
      events: [
        E.CarbonEntryRecorded,
        E.CarbonEntryRemoved,
        E.GoalSet,
        E.GoalRemoved,
        E.UserRegistered,
        E.UserStatsAltered,
      ],
      reads: ["aggregates", "carbonEntries", "carbonGoals"],
      writes: ["aggregates", "carbonUsers"],
      // It only updates profiles that exist: MODIFYs, sealed, which become no event.
      writeChanges: { carbonUsers: ["MODIFY"] },
      // All of one user's events write that user's summary: a busy user's burst must meet a
      // couple of writers at a time, not hundreds (docs/consumers.md, "Limits and hot keys").
      reservedConcurrency: CARBON_CONSUMER_CONCURRENCY,
    },
    {
      name: "achievements",
      description: "Unlocks each declared achievement once per user",
      handler: "functions/achievements/handler.ts",
      events: [E.CarbonEntryRecorded, E.CarbonEntryRemoved, E.GoalSet],
      reads: ["aggregates", "carbonEntries", "carbonGoals"],
      writes: ["aggregates", "carbonAchievements"],
      reservedConcurrency: CARBON_CONSUMER_CONCURRENCY,
    },
    {
      name: "store-stats",
      description: "Counts pets by type, stored events by status and open carts with their value",
      handler: "functions/store-stats/handler.ts",
      events: [
        E.PetListed,
        E.PetUpdated,
        E.PetRemoved,
        E.StoredEventCreated,
        E.StoredEventUpdated,
        E.StoredEventRemoved,
        E.CartUpdated,
        E.CartRemoved,
      ],
      reads: ["aggregates"],
      writes: ["aggregates"],
      // About one writer per pet or cart shard (16): a burst waits in Lambda's queue instead of
      // racing on the shards or, locally, outrunning DynamoDB Local into timeouts (measured:
      // docs/consumers.md, "Hot aggregates").
      reservedConcurrency: 16,
    },
  ],
  // A week: longer than any automatic redelivery (6 h on the stream + 24 h on the bus + 6 h in
  // Lambda's queue), and time for an operator to redrive dead letters.
  tombstoneRetentionSeconds: 7 * 24 * 60 * 60,
  api: {
    handler: "functions/api/handler.ts",
    // What its routes do (functions/api/routes): listings scan car parks and pets; the store
    // statistics (GET /store/stats) read store-stats' items of the aggregates table.
    tables: {
      aggregates: ["read"],
      parkingData: ["read", "scan", "write"],
      carbonUsers: ["read", "write"],
      carbonEntries: ["read", "write"],
      carbonGoals: ["read", "write"],
      carbonAchievements: ["read", "write"],
      pets: ["read", "scan", "write"],
      storedEvents: ["read", "write"],
      carts: ["read", "write"],
      counters: ["read", "write"],
      idempotency: ["read", "write"],
    },
    maxBodyBytes: 64 * 1024,
    throttling: { rateLimit: 100, burstLimit: 200 },
    idempotencyTtlSeconds: 24 * 60 * 60,
    timeoutSeconds: 10,
    memorySize: 256,
  },
  alarms: {
    writeLatencyP99Ms: 20,
    readLatencyP95Ms: 50,
    iteratorAgeMs: 60_000,
    evaluationPeriods: 3,
    periodSeconds: 300,
  },
};

/** The resolved model of ripple's pipeline: checked, defaults filled in, every contract named. */
export const model = resolvePipeline(pipeline);
