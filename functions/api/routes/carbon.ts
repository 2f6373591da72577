import { randomUUID } from "node:crypto";
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { compareDecimals } from "#commons/decimal.ts";
import {
  EntryChangeSchema,
  EntryListQuerySchema,
  GoalChangeSchema,
  InstantSchema,
  KgCO2eSchema,
  PathIdSchema,
  STORAGE,
  TargetKgCO2eSchema,
  UserChangeSchema,
} from "#schemas/api.ts";
import {
  type Achievement,
  AchievementSchema,
  type CarbonEntry,
  CarbonEntrySchema,
  type Goal,
  GoalSchema,
  type User,
  UserSchema,
  type UserStats,
  UserStatsSchema,
} from "#schemas/carbon.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import {
  fromItem,
  type Item,
  isConditionFailed,
  itemInTheWay,
  listingResponse,
  num,
  putGenerated,
  putUnlessTaken,
  queryItems,
  readListing,
  toAttr,
  toItem,
} from "../dynamo.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { type ExactNumber, exact } from "../json.ts";
import type { ApiDeps, RouteResponse, RouteResult } from "../route.ts";
import { defineRoute } from "../route.ts";
import { requireNotInFuture, requireOrderedRange } from "../validation.ts";

const TAG = "CarbonTrack";
const UserParamsSchema = z.strictObject({ userId: PathIdSchema });
const EntryParamsSchema = z.strictObject({ userId: PathIdSchema, timestamp: InstantSchema });
const GoalParamsSchema = z.strictObject({ userId: PathIdSchema, goalId: PathIdSchema });

function exactRecord(record: Record<string, string>): Record<string, ExactNumber> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, exact(v)]));
}

function statsView(stats: UserStats) {
  return {
    ...stats,
    totalKgCO2e: exact(stats.totalKgCO2e),
    byCategory: exactRecord(stats.byCategory),
    byDay: exactRecord(stats.byDay),
    byMonth: exactRecord(stats.byMonth),
    goals: stats.goals?.map((goal) => ({
      ...goal,
      targetKgCO2e: exact(goal.targetKgCO2e),
      usedKgCO2e: exact(goal.usedKgCO2e),
      remainingKgCO2e: exact(goal.remainingKgCO2e),
    })),
  };
}

const ProfileSchema = UserSchema.omit({ stats: true, rippleOrigin: true });
const StatsHolderSchema = z.object({ stats: UserStatsSchema });

function userView(user: z.output<typeof ProfileSchema>, stats: UserStats | undefined) {
  return { ...user, ...(stats === undefined ? {} : { stats: statsView(stats) }) };
}

function entryView(entry: CarbonEntry) {
  const { ttl: _ttl, ...rest } = entry;
  return { ...rest, kgCO2e: exact(entry.kgCO2e) };
}

/** Whether the entry at `entry`'s key is `entry` itself, written by an earlier run of the request. */
async function isOwnEntry(deps: ApiDeps, entry: CarbonEntry): Promise<boolean> {
  const stored = await itemInTheWay(deps.client, deps.tables.carbonEntries, {
    userId: { S: entry.userId },
    timestamp: { S: entry.timestamp },
  });
  return (
    stored !== undefined &&
    stored.category === entry.category &&
    stored.activity === entry.activity &&
    stored.note === entry.note &&
    typeof stored.kgCO2e === "string" &&
    compareDecimals(stored.kgCO2e, entry.kgCO2e) === 0
  );
}

/**
 * A user's items of one table (goals, achievements: a handful each), read in full; an item that
 * does not fit its schema is left out, logged and counted.
 */
async function userListing(
  deps: ApiDeps,
  userId: string,
  of: { table: "carbonGoals" | "carbonAchievements"; sortKey: string; field: string },
  view: (item: Item) => unknown,
): Promise<RouteResult> {
  const table = deps.tables[of.table];
  const [items] = await Promise.all([
    queryItems(deps.client, {
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "userId = :userId",
      ExpressionAttributeValues: { ":userId": toAttr(userId) },
    }),
    requireUser(deps, userId),
  ]);
  const { items: views, skipped } = readListing(
    deps.logger,
    { table, keyNames: ["userId", of.sortKey] },
    items,
    view,
  );
  return listingResponse({ userId, [of.field]: views, count: views.length, storage: STORAGE }, skipped);
}

function goalView(goal: Goal) {
  return { ...goal, targetKgCO2e: exact(goal.targetKgCO2e) };
}

function achievementView(achievement: Achievement) {
  const { rippleOrigin: _origin, ...rest } = achievement;
  return rest;
}

async function requireUser(deps: ApiDeps, userId: string): Promise<void> {
  const got = await deps.client.send(
    new GetItemCommand({
      TableName: deps.tables.carbonUsers,
      Key: { userId: { S: userId } },
      ProjectionExpression: "userId",
      ConsistentRead: true,
    }),
  );
  if (got.Item === undefined) {
    throw new NotFoundError(`user ${userId} does not exist; create it with POST /users first`);
  }
}

/** A user item as the API answers it: the profile, its statistics when they read well, the storage. */
function userBody(deps: ApiDeps, item: Item, requestId: string) {
  const { stats: rawStats, ...profileItem } = item;
  const profile = fromItem(ProfileSchema, profileItem);
  let stats: UserStats | undefined;
  if (rawStats !== undefined) {
    try {
      stats = fromItem(StatsHolderSchema, { stats: rawStats }).stats;
    } catch (error) {
      deps.logger.warn("user statistics do not match UserStatsSchema; left out of the response", {
        userId: profile.userId,
        requestId,
        error,
      });
    }
  }
  return { ...userView(profile, stats), storage: STORAGE };
}

/**
 * Applies a change (a validated PATCH body) to an existing item in one conditional UpdateItem:
 * each given field is set, each `null` removed, `decimals` written as exact numbers. The same
 * change sent twice leaves the same item (and DynamoDB writes no stream record for a write that
 * changes nothing). Answers the item after the change.
 * @throws NotFoundError with `missing` when there is no such item
 */
async function applyChange(
  deps: ApiDeps,
  table: string,
  key: Record<string, string>,
  change: Record<string, unknown>,
  decimals: readonly string[],
  missing: string,
): Promise<Item> {
  const names: Record<string, string> = { "#key": Object.keys(key)[0]! };
  const values: Item = {};
  const set: string[] = [];
  const remove: string[] = [];
  for (const [i, [field, value]] of Object.entries(change).entries()) {
    if (value === undefined) continue;
    names[`#f${i}`] = field;
    if (value === null) remove.push(`#f${i}`);
    else {
      set.push(`#f${i} = :v${i}`);
      values[`:v${i}`] = toAttr(decimals.includes(field) ? num(value as string) : value);
    }
  }
  try {
    const result = await deps.client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: toItem(key),
        UpdateExpression: [
          set.length > 0 ? `SET ${set.join(", ")}` : "",
          remove.length > 0 ? `REMOVE ${remove.join(", ")}` : "",
        ]
          .join(" ")
          .trim(),
        ConditionExpression: "attribute_exists(#key)",
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: "ALL_NEW",
      }),
    );
    return result.Attributes ?? {};
  } catch (error) {
    if (isConditionFailed(error)) throw new NotFoundError(missing, { cause: error });
    throw error;
  }
}

/**
 * Deletes an existing item and answers it as it was.
 * @throws NotFoundError with `missing` when there is no such item
 */
async function deleteExisting(
  deps: ApiDeps,
  table: string,
  key: Record<string, string>,
  missing: string,
): Promise<Item> {
  try {
    const result = await deps.client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: toItem(key),
        ConditionExpression: "attribute_exists(#key)",
        ExpressionAttributeNames: { "#key": Object.keys(key)[0]! },
        ReturnValues: "ALL_OLD",
      }),
    );
    return result.Attributes ?? {};
  } catch (error) {
    if (isConditionFailed(error)) throw new NotFoundError(missing, { cause: error });
    throw error;
  }
}

/** A user's entry or goal as its PATCH and DELETE routes address, change and show it. */
interface UserItem<P extends z.ZodType> {
  readonly table: "carbonEntries" | "carbonGoals";
  readonly key: (params: z.output<P>) => Record<string, string>;
  /** What a PATCH or DELETE of an item that is not there answers (404), with where to look. */
  readonly missing: (params: z.output<P>) => string;
  /** Its decimal fields, which a change writes as DynamoDB numbers. */
  readonly decimals: readonly string[];
  readonly view: (item: Item) => object;
  /** Path template of one item, and the schema of its parameters. */
  readonly path: string;
  readonly params: P;
}

const ENTRY: UserItem<typeof EntryParamsSchema> = {
  table: "carbonEntries",
  key: ({ userId, timestamp }) => ({ userId, timestamp }),
  missing: ({ userId, timestamp }) =>
    `user ${userId} has no entry at ${timestamp}; GET /users/${userId}/entries lists them`,
  decimals: ["kgCO2e"],
  view: (item) => entryView(fromItem(CarbonEntrySchema, item)),
  path: "/users/{userId}/entries/{timestamp}",
  params: EntryParamsSchema,
};

const GOAL: UserItem<typeof GoalParamsSchema> = {
  table: "carbonGoals",
  key: ({ userId, goalId }) => ({ userId, goalId }),
  missing: ({ userId, goalId }) =>
    `user ${userId} has no goal ${goalId}; GET /users/${userId}/goals lists them`,
  decimals: ["targetKgCO2e"],
  view: (item) => goalView(fromItem(GoalSchema, item)),
  path: "/users/{userId}/goals/{goalId}",
  params: GoalParamsSchema,
};

/** Sets each field of `change` on a user's entry or goal (null removes it) and answers the item after. */
async function changeUserItem<P extends z.ZodType>(
  deps: ApiDeps,
  of: UserItem<P>,
  params: z.output<P>,
  change: Record<string, unknown>,
): Promise<RouteResult> {
  const table = deps.tables[of.table];
  const item = await applyChange(deps, table, of.key(params), change, of.decimals, of.missing(params));
  return { status: 200, body: { ...of.view(item), storage: STORAGE } };
}

/** Deletes a user's entry or goal and answers it as it was. */
async function deleteUserItem<P extends z.ZodType>(
  deps: ApiDeps,
  of: UserItem<P>,
  params: z.output<P>,
): Promise<RouteResult> {
  const item = await deleteExisting(deps, deps.tables[of.table], of.key(params), of.missing(params));
  return { status: 200, body: { deleted: of.view(item), storage: STORAGE } };
}

// Response schemas for the OpenAPI document (decimals are written as exact JSON numbers).
const UserResponseSchema = UserSchema.omit({ rippleOrigin: true }).extend({ storage: z.literal(STORAGE) });
const EntryOutSchema = CarbonEntrySchema.omit({ ttl: true });
const EntryResponseSchema = EntryOutSchema.extend({ storage: z.literal(STORAGE) });
const GoalResponseSchema = GoalSchema.extend({ storage: z.literal(STORAGE) });
const DeletedOf = <S extends z.ZodType>(item: S) => z.object({ deleted: item, storage: z.literal(STORAGE) });
const ListOf = <S extends z.ZodType>(key: string, item: S) =>
  z.object({
    userId: z.string(),
    [key]: z.array(item),
    count: z.number().int(),
    storage: z.literal(STORAGE),
    skipped: z.number().int().optional().meta({
      description: "Items left out because they do not fit their schema (present only when some were)",
    }),
  });

/** What the OpenAPI document says of a route of a user's entry or goal, beside its 200 response. */
interface UserItemRouteDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly answers: RouteResponse;
}

/** What the PATCH and DELETE routes of a user's entry or goal share: where, and what the document says. */
function userItemRouteBase<P extends z.ZodType>(of: UserItem<P>, doc: UserItemRouteDoc) {
  return {
    path: of.path,
    operationId: doc.operationId,
    tag: TAG,
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    params: of.params,
  };
}

/** The PATCH route of a user's entry or goal: sets each field given and answers the item after. */
function changeRoute<P extends z.ZodType, B extends z.ZodType<Record<string, unknown>>>(
  of: UserItem<P>,
  body: B,
  doc: UserItemRouteDoc,
) {
  return defineRoute({
    method: "PATCH",
    ...userItemRouteBase(of, doc),
    body,
    responses: { 200: doc.answers },
    handle: ({ deps, params, body }) => changeUserItem(deps, of, params, body),
  });
}

/** The DELETE route of a user's entry or goal: answers the item as it was. */
function deleteRoute<P extends z.ZodType>(of: UserItem<P>, doc: UserItemRouteDoc) {
  return defineRoute({
    method: "DELETE",
    ...userItemRouteBase(of, doc),
    responses: { 200: doc.answers },
    handle: ({ deps, params }) => deleteUserItem(deps, of, params),
  });
}

/** CarbonTrack (seed 001): users, entries, goals, achievements. */
export const carbonRoutes = [
  defineRoute({
    method: "POST",
    path: "/users",
    operationId: "createUser",
    tag: TAG,
    summary: "Create a CarbonTrack user",
    description: "userId is generated (a UUID) when not given; an existing userId is refused with 409.",
    body: UserSchema.pick({ name: true, email: true }).extend({ userId: PathIdSchema.optional() }).strict(),
    responses: { 201: { description: "The new user", schema: UserResponseSchema } },
    async handle({ deps, body, once }) {
      const user: User = {
        userId: body.userId ?? (await once.value("userId", randomUUID)),
        name: body.name,
        ...(body.email === undefined ? {} : { email: body.email }),
        createdAt: deps.now().toISOString(),
      };
      try {
        await deps.client.send(
          new PutItemCommand({
            TableName: deps.tables.carbonUsers,
            Item: toItem({ ...user }),
            ConditionExpression: "attribute_not_exists(userId)",
          }),
        );
      } catch (error) {
        if (isConditionFailed(error)) {
          // The first run of this request created the user, then stopped before answering.
          const stored = once.resumed
            ? await itemInTheWay(deps.client, deps.tables.carbonUsers, { userId: { S: user.userId } })
            : undefined;
          if (
            stored?.name === user.name &&
            stored.email === user.email &&
            stored.createdAt === user.createdAt
          ) {
            return { status: 201, body: { ...userView(user, undefined), storage: STORAGE } };
          }
          throw new ConflictError(
            `user ${user.userId} already exists; choose another userId or leave it out`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      return { status: 201, body: { ...userView(user, undefined), storage: STORAGE } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{userId}",
    operationId: "getUser",
    tag: TAG,
    summary: "A user's profile and statistics",
    description: "stats is written by the carbon-stats consumer and is absent before the first entry.",
    params: UserParamsSchema,
    responses: { 200: { description: "The user", schema: UserResponseSchema } },
    async handle({ deps, params, requestId }) {
      const got = await deps.client.send(
        new GetItemCommand({
          TableName: deps.tables.carbonUsers,
          Key: { userId: { S: params.userId } },
          ConsistentRead: true,
        }),
      );
      if (got.Item === undefined) throw new NotFoundError(`user ${params.userId} does not exist`);
      return { status: 200, body: userBody(deps, got.Item, requestId) };
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/users/{userId}",
    operationId: "updateUser",
    tag: TAG,
    summary: "Change a user's profile (name, email)",
    description:
      "Sets each field given; email null removes it. Statistics (stats and its fields) are computed by the pipeline from the user's entries and goals, and are refused with 400: change entries instead. Sending the same change again changes nothing.",
    params: UserParamsSchema,
    body: UserChangeSchema,
    responses: { 200: { description: "The user after the change", schema: UserResponseSchema } },
    async handle({ deps, params, body, requestId }) {
      const item = await applyChange(
        deps,
        deps.tables.carbonUsers,
        { userId: params.userId },
        body,
        [],
        `user ${params.userId} does not exist; create it with POST /users first`,
      );
      return { status: 200, body: userBody(deps, item, requestId) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/users/{userId}/entries",
    operationId: "recordEntry",
    tag: TAG,
    summary: "Record a carbon footprint entry",
    description:
      "timestamp (the sort key) defaults to now and is stored as UTC with milliseconds; an entry at an existing timestamp is refused with 409.",
    params: UserParamsSchema,
    body: CarbonEntrySchema.pick({ category: true, activity: true, note: true })
      .extend({ kgCO2e: KgCO2eSchema, timestamp: InstantSchema.optional() })
      .strict(),
    responses: {
      201: { description: "The entry", schema: EntryResponseSchema },
    },
    async handle({ deps, params, body, once }) {
      if (body.timestamp !== undefined) requireNotInFuture("body.timestamp", body.timestamp, deps.now());
      await requireUser(deps, params.userId);
      const given = body.timestamp !== undefined;
      // A generated timestamp is kept with the request's Idempotency-Key, so a resumed run tries
      // the same instants as its first run and finds the entry that run wrote.
      let at = new Date(
        given ? body.timestamp! : await once.value("timestamp", () => deps.now().toISOString()),
      );
      // A generated timestamp that collides with another entry moves on by a millisecond.
      for (let attempt = 0; ; attempt++) {
        const entry: CarbonEntry = {
          userId: params.userId,
          timestamp: at.toISOString(),
          category: body.category,
          activity: body.activity,
          kgCO2e: body.kgCO2e,
          ...(body.note === undefined ? {} : { note: body.note }),
        };
        const taken = await putUnlessTaken(deps.client, {
          TableName: deps.tables.carbonEntries,
          Item: toItem({ ...entry, kgCO2e: num(entry.kgCO2e) }),
          ConditionExpression: "attribute_not_exists(userId)",
        });
        // Taken by this request's first run, which stopped before answering: answer it now.
        if (taken === undefined || (once.resumed && (await isOwnEntry(deps, entry)))) {
          return { status: 201, body: { ...entryView(entry), storage: STORAGE } };
        }
        if (given || attempt >= 20) {
          throw new ConflictError(
            `user ${params.userId} already has an entry at ${entry.timestamp}; send another timestamp or leave it out`,
            { cause: taken },
          );
        }
        at = new Date(at.getTime() + 1);
      }
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{userId}/entries",
    operationId: "listEntries",
    tag: TAG,
    summary: "A user's entries, latest first",
    description:
      "from/to take a date (the whole day) or an instant and select by KeyCondition BETWEEN on timestamp; limit 1–100, default 20. When more entries follow, the answer carries nextToken: send it back (with the same from and to) for the next page.",
    params: UserParamsSchema,
    query: EntryListQuerySchema,
    responses: {
      200: {
        description: "The entries, and nextToken when more follow",
        schema: ListOf("entries", EntryOutSchema).extend({ nextToken: z.string().optional() }),
      },
    },
    async handle({ deps, params, query, rawQuery }) {
      requireOrderedRange(query, rawQuery);
      const from = query.from ?? "0000";
      const to = query.to ?? "9999";
      const scope = `entries ${params.userId} ${from} ${to}`;
      const after =
        query.nextToken === undefined ? undefined : decodeCursor(query.nextToken, scope, ["timestamp"]);
      const [page] = await Promise.all([
        deps.client.send(
          new QueryCommand({
            TableName: deps.tables.carbonEntries,
            ConsistentRead: true,
            KeyConditionExpression: "userId = :userId AND #ts BETWEEN :from AND :to",
            ExpressionAttributeNames: { "#ts": "timestamp" },
            ExpressionAttributeValues: {
              ":userId": toAttr(params.userId),
              ":from": toAttr(from),
              ":to": toAttr(to),
            },
            ScanIndexForward: false,
            Limit: query.limit,
            ...(after === undefined
              ? {}
              : {
                  ExclusiveStartKey: { userId: toAttr(params.userId), timestamp: toAttr(after.timestamp!) },
                }),
          }),
        ),
        requireUser(deps, params.userId),
      ]);
      const { items: entries, skipped } = readListing(
        deps.logger,
        { table: deps.tables.carbonEntries, keyNames: ["userId", "timestamp"] },
        page.Items ?? [],
        (item) => entryView(fromItem(CarbonEntrySchema, item)),
      );
      const last = page.LastEvaluatedKey?.timestamp?.S;
      return listingResponse(
        {
          userId: params.userId,
          entries,
          count: entries.length,
          ...(last === undefined ? {} : { nextToken: encodeCursor(scope, { timestamp: last }) }),
          storage: STORAGE,
        },
        skipped,
      );
    },
  }),
  deleteRoute(ENTRY, {
    operationId: "deleteEntry",
    summary: "Delete one entry",
    answers: { description: "The deleted entry", schema: DeletedOf(EntryOutSchema) },
  }),
  changeRoute(ENTRY, EntryChangeSchema, {
    operationId: "correctEntry",
    summary: "Correct one entry",
    description:
      "Sets each field given (note null removes it). The user's statistics and achievements follow through the pipeline: the corrected entry replaces its old contribution. Sending the same correction again changes nothing. To move an entry in time, delete it and record it again.",
    answers: { description: "The entry after the correction", schema: EntryResponseSchema },
  }),
  defineRoute({
    method: "POST",
    path: "/users/{userId}/goals",
    operationId: "setGoal",
    tag: TAG,
    summary: "Set a reduction goal: stay at or under a budget per day or month",
    params: UserParamsSchema,
    body: GoalSchema.pick({ title: true, period: true, category: true })
      .extend({ targetKgCO2e: TargetKgCO2eSchema })
      .strict(),
    responses: {
      201: { description: "The goal", schema: GoalResponseSchema },
    },
    async handle({ deps, params, body, once }) {
      await requireUser(deps, params.userId);
      const goal: Goal = {
        userId: params.userId,
        // Kept with the Idempotency-Key: a resumed run writes (and finds) the same goal.
        goalId: await once.value("goalId", randomUUID),
        title: body.title,
        period: body.period,
        targetKgCO2e: body.targetKgCO2e,
        ...(body.category === undefined ? {} : { category: body.category }),
        status: "active",
        createdAt: deps.now().toISOString(),
      };
      await putGenerated(
        deps.client,
        {
          TableName: deps.tables.carbonGoals,
          Item: toItem({ ...goal, targetKgCO2e: num(goal.targetKgCO2e) }),
          ConditionExpression: "attribute_not_exists(goalId)",
        },
        once.resumed,
      );
      return { status: 201, body: { ...goalView(goal), storage: STORAGE } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{userId}/goals",
    operationId: "listGoals",
    tag: TAG,
    summary: "A user's goals",
    params: UserParamsSchema,
    responses: { 200: { description: "The goals", schema: ListOf("goals", GoalSchema) } },
    handle: ({ deps, params }) =>
      userListing(deps, params.userId, { table: "carbonGoals", sortKey: "goalId", field: "goals" }, (item) =>
        goalView(fromItem(GoalSchema, item)),
      ),
  }),
  changeRoute(GOAL, GoalChangeSchema, {
    operationId: "updateGoal",
    summary: "Change a goal",
    description:
      "Sets each field given (category null makes the goal count every category). The goal's progress in the user's statistics follows through the pipeline. Sending the same change again changes nothing.",
    answers: { description: "The goal after the change", schema: GoalResponseSchema },
  }),
  deleteRoute(GOAL, {
    operationId: "deleteGoal",
    summary: "Delete a goal",
    description: "The goal leaves the user's statistics through the pipeline; unlocked achievements stay.",
    answers: { description: "The deleted goal", schema: DeletedOf(GoalSchema) },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{userId}/achievements",
    operationId: "listAchievements",
    tag: TAG,
    summary: "A user's unlocked achievements",
    params: UserParamsSchema,
    responses: {
      200: {
        description: "The achievements",
        schema: ListOf("achievements", AchievementSchema.omit({ rippleOrigin: true })),
      },
    },
    handle: ({ deps, params }) =>
      userListing(
        deps,
        params.userId,
        { table: "carbonAchievements", sortKey: "achievementId", field: "achievements" },
        (item) => achievementView(fromItem(AchievementSchema, item)),
      ),
  }),
];
