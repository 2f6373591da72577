import { AchievementSchema, CarbonEntrySchema, GoalSchema, UserSchema } from "#schemas/carbon.ts";
import { CartImageSchema } from "#schemas/cart.ts";
import { DomainEvents as E } from "#schemas/domain-events.ts";
import { CarParkSchema } from "#schemas/parking.ts";
import { PetSchema } from "#schemas/pets.ts";
import { StoredEventSchema } from "#schemas/stored-events.ts";
import type { PipelineDeclaration } from "./declaration.ts";
import { validatePipeline } from "./validate.ts";

/** Settings every stream source shares unless it says otherwise. */
const streamDefaults = {
  batchSize: 100,
  // Lambda polls each shard 4 times a second anyway, so a window would only add latency.
  maximumBatchingWindowInSeconds: 0,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 100,
  maximumRecordAgeInSeconds: 21_600,
  parallelizationFactor: 1,
  startingPosition: "TRIM_HORIZON",
} as const;

/**
 * ripple's pipeline: every table, stream source, domain event mapping, rule, consumer and alarm
 * threshold. The CDK app (`infra/cdk`) and the local runtime (`infra/local`) are built from this
 * value alone.
 */
export const pipeline: PipelineDeclaration = validatePipeline({
  name: "ripple",
  tables: {
    parkingData: {
      tableName: "parking-data",
      purpose: "Smart Car Park (seed 000): one item per car park with its latest occupancy",
      partitionKey: { name: "carParkId", type: "S" },
      stream: "NEW_IMAGE",
    },
    carbonUsers: {
      tableName: "carbontrack-users",
      purpose: "CarbonTrack (seed 001): user profiles and aggregated statistics",
      partitionKey: { name: "userId", type: "S" },
      stream: "NEW_IMAGE",
    },
    carbonEntries: {
      tableName: "carbontrack-entries",
      purpose: "CarbonTrack (seed 001): individual carbon footprint entries",
      partitionKey: { name: "userId", type: "S" },
      sortKey: { name: "timestamp", type: "S" },
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    carbonGoals: {
      tableName: "carbontrack-goals",
      purpose: "CarbonTrack (seed 001): user carbon reduction goals",
      partitionKey: { name: "userId", type: "S" },
      sortKey: { name: "goalId", type: "S" },
      stream: "NEW_IMAGE",
    },
    carbonAchievements: {
      tableName: "carbontrack-achievements",
      purpose: "CarbonTrack (seed 001): user achievements and badges",
      partitionKey: { name: "userId", type: "S" },
      sortKey: { name: "achievementId", type: "S" },
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
      partitionKey: { name: "user_id", type: "S" },
      sortKey: { name: "timestamp#event_id", type: "S" },
      globalSecondaryIndexes: [
        {
          indexName: "EventTypeIndex",
          partitionKey: { name: "user_id", type: "S" },
          sortKey: { name: "event_type#timestamp", type: "S" },
        },
        {
          indexName: "StatusIndex",
          partitionKey: { name: "user_id", type: "S" },
          sortKey: { name: "status#timestamp", type: "S" },
        },
      ],
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    carts: {
      tableName: "cloudshelf-shopping-cart",
      purpose: "CloudShelf (seed 004): one shopping cart per user",
      partitionKey: { name: "userId", type: "S" },
      timeToLiveAttribute: "ttl",
      stream: "NEW_IMAGE",
    },
    aggregates: {
      tableName: "ripple-aggregates",
      purpose: "Consumers' aggregates (totals, counts) and the per-item positions that keep them exact",
      partitionKey: { name: "pk", type: "S" },
      sortKey: { name: "sk", type: "S" },
    },
    setAside: {
      tableName: "ripple-set-aside",
      purpose:
        "Stream records and events the pipeline could not deliver, with the reason, for an operator to redrive",
      partitionKey: { name: "id", type: "S" },
    },
    counters: {
      tableName: "ripple-counters",
      purpose: "Atomic counters (pet ids)",
      partitionKey: { name: "name", type: "S" },
    },
    idempotency: {
      tableName: "ripple-idempotency",
      purpose: "API Idempotency-Key records: a retried POST returns the first result",
      partitionKey: { name: "id", type: "S" },
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
  },
  sources: [
    {
      ...streamDefaults,
      table: "parkingData",
      itemSchema: CarParkSchema,
      changes: [
        { on: ["INSERT", "MODIFY"], event: E.CarParkOccupancyChanged },
        { on: ["REMOVE"], event: E.CarParkRemoved },
      ],
    },
    {
      ...streamDefaults,
      table: "carbonUsers",
      itemSchema: UserSchema,
      changes: [{ on: ["INSERT"], event: E.UserRegistered }],
      // Statistics written back to the profile are MODIFYs: filtering them out here saves an
      // invocation per statistics update and keeps them from ever re-entering the bus.
      filterPatterns: [{ eventName: ["INSERT"] }],
    },
    {
      ...streamDefaults,
      table: "carbonEntries",
      itemSchema: CarbonEntrySchema,
      changes: [
        { on: ["INSERT", "MODIFY"], event: E.CarbonEntryRecorded },
        { on: ["REMOVE", "EXPIRE"], event: E.CarbonEntryRemoved },
      ],
    },
    {
      ...streamDefaults,
      table: "carbonGoals",
      itemSchema: GoalSchema,
      changes: [
        { on: ["INSERT", "MODIFY"], event: E.GoalSet },
        { on: ["REMOVE"], event: E.GoalRemoved },
      ],
    },
    {
      ...streamDefaults,
      table: "carbonAchievements",
      itemSchema: AchievementSchema,
      changes: [{ on: ["INSERT"], event: E.AchievementUnlocked }],
      filterPatterns: [{ eventName: ["INSERT"] }],
    },
    {
      ...streamDefaults,
      table: "pets",
      itemSchema: PetSchema,
      changes: [
        { on: ["INSERT"], event: E.PetListed },
        { on: ["MODIFY"], event: E.PetUpdated },
        { on: ["REMOVE"], event: E.PetRemoved },
      ],
    },
    {
      ...streamDefaults,
      table: "storedEvents",
      itemSchema: StoredEventSchema,
      changes: [
        { on: ["INSERT"], event: E.StoredEventCreated },
        { on: ["MODIFY"], event: E.StoredEventUpdated },
        { on: ["REMOVE", "EXPIRE"], event: E.StoredEventRemoved },
      ],
    },
    {
      ...streamDefaults,
      table: "carts",
      itemSchema: CartImageSchema,
      changes: [
        { on: ["INSERT", "MODIFY"], event: E.CartUpdated },
        { on: ["REMOVE", "EXPIRE"], event: E.CartRemoved },
      ],
    },
  ],
  consumers: [
    {
      name: "parking-totals",
      description: "Keeps per-car-park occupancy and the totals across car parks",
      handler: "functions/parking-totals/handler.ts",
      events: [E.CarParkOccupancyChanged, E.CarParkRemoved],
      reads: ["aggregates"],
      writes: ["aggregates"],
      // Every car park shares one totals item: a few writers at a time rarely lose a race, a
      // burst of them would lose race after race.
      reservedConcurrency: 4,
      retry: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    },
    {
      name: "carbon-stats",
      description:
        "Keeps each CarbonTrack user's totals, categories, days, months, streaks and goal progress",
      handler: "functions/carbon-stats/handler.ts",
      // UserRegistered: statistics kept for a user with no profile yet move onto the new profile.
      events: [E.CarbonEntryRecorded, E.CarbonEntryRemoved, E.GoalSet, E.GoalRemoved, E.UserRegistered],
      reads: ["aggregates", "carbonEntries", "carbonGoals"],
      writes: ["aggregates", "carbonUsers"],
      // It only updates profiles that exist: MODIFYs, which become no event.
      writeChanges: { carbonUsers: ["MODIFY"] },
      retry: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    },
    {
      name: "achievements",
      description: "Unlocks each declared achievement once per user",
      handler: "functions/achievements/handler.ts",
      events: [E.CarbonEntryRecorded, E.CarbonEntryRemoved, E.GoalSet],
      reads: ["aggregates", "carbonEntries", "carbonGoals"],
      writes: ["aggregates", "carbonAchievements"],
      retry: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
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
      retry: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    },
  ],
  // A week: longer than any automatic redelivery (6 h on the stream + 24 h on the bus + 6 h in
  // Lambda's queue), and time for an operator to redrive dead letters.
  tombstoneRetentionSeconds: 7 * 24 * 60 * 60,
  api: {
    handler: "functions/api/handler.ts",
    tables: [
      "parkingData",
      "carbonUsers",
      "carbonEntries",
      "carbonGoals",
      "carbonAchievements",
      "pets",
      "storedEvents",
      "carts",
      "aggregates",
      "counters",
      "idempotency",
    ],
    maxBodyBytes: 64 * 1024,
    throttling: { rateLimit: 100, burstLimit: 200 },
    idempotencyTtlSeconds: 24 * 60 * 60,
    timeoutSeconds: 10,
    memorySize: 256,
  },
  parking: { amberAtPercent: 70, redAtPercent: 90 },
  alarms: {
    writeLatencyP99Ms: 20,
    readLatencyP95Ms: 50,
    iteratorAgeMs: 60_000,
    evaluationPeriods: 3,
    periodSeconds: 300,
  },
});
