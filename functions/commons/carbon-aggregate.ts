import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type KeysAndAttributes,
  paginateQuery,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { Goal } from "#schemas/carbon.ts";
import {
  addCell,
  type Cell,
  type ComputedUserStats,
  type Contribution,
  cellOf,
  dayOf,
  EMPTY_CELL,
  statsFromCells,
  windowStart,
} from "./carbon-stats.ts";
import { backOff, type ConsumerDeps, contentionLimit, LostRaces, type WriteOutcome } from "./consumer.ts";
import { type DaySet, EMPTY_DAY_SET, runsOf, withDay } from "./day-set.ts";
import {
  isNewChange,
  type PositionState,
  recordChange,
  type SourceChange,
  type TombstonePolicy,
} from "./positions.ts";

/**
 * One CarbonTrack user's aggregate, kept from entry and goal events in constant work per event.
 *
 * Items, all in the aggregates table:
 * - the **summary** (key chosen by the consumer): all-time totals, the days with entries (a
 *   bitmap), the user's goals with their positions, and what the consumer adds (`extra`), with a
 *   `version`;
 * - a **day cell** per day with entries (`pk = <cellsPk>`, `sk = day#YYYY-MM-DD`): each entry of
 *   that day with its contribution and its last applied stream sequence number (removed ones as
 *   tombstones, see `positions.ts`), and the day's cell;
 * - a **month cell** per month with entries (`sk = month#YYYY-MM`): the month's cell.
 *
 * An entry's day never changes (its timestamp is its sort key), so an entry event reads the
 * summary, its day cell and its month cell (one BatchGetItem), learns from the day cell whether
 * it is new and what the entry contributed before, and replaces that contribution — a MODIFY never
 * adds to the old one, a REMOVE or EXPIRE subtracts it once. The statistics come from the totals,
 * the day set and the cells of the window (two bounded queries). Everything is written in one
 * TransactWriteItems, each item conditional on the version read: positions and totals move
 * together, and a concurrent writer makes the transaction fail and the step repeat.
 *
 * The source tables are never read: a malformed item written around the API is set aside by the
 * fan-out and costs nothing here.
 */

/** Where one consumer keeps one user's aggregate. */
export interface AggregateLocation {
  /** Key of the summary item. */
  readonly summaryKey: Readonly<Record<string, string>>;
  /** Partition key of the day and month cells. */
  readonly cellsPk: string;
}

/** The summary item's content. */
export interface Summary {
  readonly userId: string;
  readonly totals: Cell;
  readonly days: DaySet;
  readonly goals: Readonly<Record<string, Goal>>;
  readonly goalPositions?: PositionState;
  /**
   * What the consumer keeps beside, stored as attributes of the summary item (stand-in `stats`,
   * unlocked achievement ids).
   */
  readonly extra: Readonly<Record<string, unknown>>;
}

interface DayItem extends PositionState {
  readonly entries: Readonly<Record<string, Contribution>>;
  readonly cell: Cell;
  readonly version: number;
}

/** A change of one entry or goal, as its event tells it. */
export type CarbonChange =
  | {
      readonly kind: "entry";
      readonly timestamp: string;
      /** The entry's contribution now; absent when it was removed or expired. */
      readonly entry?: Contribution;
      readonly sequenceNumber: string;
      readonly changedAt: string;
    }
  | {
      readonly kind: "goal";
      readonly goalId: string;
      /** The goal now; absent when it was removed. */
      readonly goal?: Goal;
      readonly sequenceNumber: string;
      readonly changedAt: string;
    };

/** What the consumer decides to write beside the aggregate once the new statistics are known. */
export interface Beside {
  /** Further transaction items (a profile update, achievement puts). */
  readonly items?: readonly TransactWriteItem[];
  /** The summary's `extra` to store. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What a consumer plugs into {@link applyCarbonChange}. */
export interface CarbonChangeOptions {
  readonly location: AggregateLocation;
  readonly userId: string;
  readonly change: CarbonChange;
  readonly policy: TombstonePolicy;
  /** Another item to read in the same BatchGetItem (the user's profile). */
  readonly alsoRead?: { readonly tableName: string; readonly key: Record<string, string> };
  /** Whether there is nothing left to do for this user (read once, before anything else). */
  readonly settled?: (summary: Summary | undefined) => boolean;
  /** Builds the summary of a user seen for the first time (lets a consumer adopt older state). */
  readonly initialExtra?: () => Promise<Record<string, unknown>>;
  readonly beside: (context: {
    readonly stats: ComputedUserStats;
    readonly summary: Summary;
    readonly version: number;
    readonly alsoRead: Record<string, unknown> | undefined;
  }) => Beside;
  /** Attempts when there is no invocation to bound them (see `contention.ts`). @default 8 */
  readonly maxAttempts?: number;
}

const cellKey = {
  day: (day: string) => `day#${day}`,
  month: (month: string) => `month#${month}`,
};

/** Attributes of the summary item other than the consumer's `extra` (stored beside them). */
const SUMMARY_ATTRIBUTES = new Set([
  "pk",
  "sk",
  "userId",
  "totals",
  "days",
  "goals",
  "goalPositions",
  "version",
]);

/** A summary item as read (unmarshalled) and its version. */
export function decodeSummary(item: Record<string, unknown>): { summary: Summary; version: number } {
  const days = item.days as { from?: string; bits?: Uint8Array } | undefined;
  return {
    summary: {
      userId: String(item.userId),
      totals: (item.totals as Cell | undefined) ?? EMPTY_CELL,
      days:
        days?.from === undefined ? EMPTY_DAY_SET : { from: days.from, bits: days.bits ?? new Uint8Array() },
      goals: (item.goals as Record<string, Goal> | undefined) ?? {},
      ...(item.goalPositions === undefined ? {} : { goalPositions: item.goalPositions as PositionState }),
      extra: Object.fromEntries(Object.entries(item).filter(([name]) => !SUMMARY_ATTRIBUTES.has(name))),
    },
    version: Number(item.version),
  };
}

interface Read {
  readonly summary: Summary | undefined;
  readonly version: number | undefined;
  readonly dayItem: DayItem | undefined;
  readonly monthCell: Cell | undefined;
  readonly monthVersion: number | undefined;
  readonly alsoRead: Record<string, unknown> | undefined;
}

async function readState(deps: ConsumerDeps, options: CarbonChangeOptions): Promise<Read> {
  const table = deps.tables.aggregates!;
  const { location, change } = options;
  const keys: Record<string, string>[] = [{ ...location.summaryKey }];
  const day = change.kind === "entry" ? dayOf(change.timestamp) : undefined;
  if (day !== undefined) {
    keys.push({ pk: location.cellsPk, sk: cellKey.day(day) });
    keys.push({ pk: location.cellsPk, sk: cellKey.month(day.slice(0, 7)) });
  }
  const request: Record<string, KeysAndAttributes> = {
    [table]: { Keys: keys.map((k) => marshall(k)), ConsistentRead: true },
  };
  if (options.alsoRead !== undefined) {
    request[options.alsoRead.tableName] = { Keys: [marshall(options.alsoRead.key)], ConsistentRead: true };
  }
  const found: Record<string, Record<string, unknown>[]> = {};
  let pending: Record<string, KeysAndAttributes> | undefined = request;
  for (let attempt = 1; pending !== undefined && Object.keys(pending).length > 0; attempt++) {
    const response: BatchGetItemCommandOutput = await deps.client.send(
      new BatchGetItemCommand({ RequestItems: pending }),
    );
    for (const [name, items] of Object.entries(response.Responses ?? {})) {
      found[name] = [...(found[name] ?? []), ...items.map((i) => unmarshall(i))];
    }
    pending = response.UnprocessedKeys;
    if (pending !== undefined && Object.keys(pending).length > 0) await backOff(attempt);
  }
  const aggregates = found[table] ?? [];
  const find = (k: Record<string, string>) =>
    aggregates.find((item) => Object.entries(k).every(([name, value]) => item[name] === value));
  const summaryItem = find(location.summaryKey);
  const decoded = summaryItem === undefined ? undefined : decodeSummary(summaryItem);
  const dayItem = day === undefined ? undefined : find({ pk: location.cellsPk, sk: cellKey.day(day) });
  const monthItem =
    day === undefined ? undefined : find({ pk: location.cellsPk, sk: cellKey.month(day.slice(0, 7)) });
  return {
    summary: decoded?.summary,
    version: decoded?.version,
    dayItem: dayItem as DayItem | undefined,
    monthCell: monthItem?.cell as Cell | undefined,
    monthVersion: monthItem === undefined ? undefined : Number(monthItem.version),
    alsoRead: options.alsoRead === undefined ? undefined : found[options.alsoRead.tableName]?.[0],
  };
}

/** Cells of one kind (`day#` or `month#`) between two keys, inclusive. */
async function queryCells(
  deps: ConsumerDeps,
  cellsPk: string,
  from: string,
  to: string,
): Promise<Record<string, Cell>> {
  const cells: Record<string, Cell> = {};
  const pages = paginateQuery(
    { client: deps.client },
    {
      TableName: deps.tables.aggregates!,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: marshall({ ":pk": cellsPk, ":from": from, ":to": to }),
      ProjectionExpression: "sk, #cell",
      ExpressionAttributeNames: { "#cell": "cell" },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      cells[String(item.sk).replace(/^(day|month)#/, "")] = item.cell as Cell;
    }
  }
  return cells;
}

/** The statistics of a summary, with the day and month just changed taken from memory. */
export async function statsOf(
  deps: ConsumerDeps,
  location: AggregateLocation,
  summary: Summary,
  changed: { day?: [string, Cell]; month?: [string, Cell] } = {},
): Promise<ComputedUserStats> {
  const days = runsOf(summary.days);
  const last = days.lastDay;
  let dayCells: Record<string, Cell> = {};
  let monthCells: Record<string, Cell> = {};
  if (last !== undefined) {
    const start = windowStart(last);
    [dayCells, monthCells] = await Promise.all([
      queryCells(deps, location.cellsPk, cellKey.day(start.day), cellKey.day(last)),
      queryCells(deps, location.cellsPk, cellKey.month(start.month), cellKey.month(last.slice(0, 7))),
    ]);
  }
  if (changed.day !== undefined) dayCells[changed.day[0]] = changed.day[1];
  if (changed.month !== undefined) monthCells[changed.month[0]] = changed.month[1];
  return statsFromCells({
    totals: summary.totals,
    days,
    dayCells,
    monthCells,
    goals: Object.values(summary.goals),
  });
}

const ENCODE = { removeUndefinedValues: true } as const;

function summaryPut(
  tableName: string,
  location: AggregateLocation,
  summary: Summary,
  version: number | undefined,
): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: marshall(
        {
          ...summary.extra,
          userId: summary.userId,
          totals: summary.totals,
          goals: summary.goals,
          goalPositions: summary.goalPositions,
          ...location.summaryKey,
          days: summary.days.from === undefined ? undefined : summary.days,
          version: (version ?? 0) + 1,
        },
        ENCODE,
      ),
      ConditionExpression: version === undefined ? "attribute_not_exists(#version)" : "#version = :version",
      ExpressionAttributeNames: { "#version": "version" },
      ...(version === undefined ? {} : { ExpressionAttributeValues: { ":version": { N: String(version) } } }),
    },
  };
}

/**
 * Writes (or deletes, when `item` is undefined) a day or month cell, conditional on the version
 * read: BatchGetItem is not isolated from transactions as a whole (it may see one half-applied),
 * so each cell, not only the summary, must still be as it was read.
 */
function cellWrite(
  tableName: string,
  key: Record<string, string>,
  item: Record<string, unknown> | undefined,
  version: number | undefined,
): TransactWriteItem {
  const condition = {
    ConditionExpression: version === undefined ? "attribute_not_exists(#version)" : "#version = :version",
    ExpressionAttributeNames: { "#version": "version" },
    ...(version === undefined ? {} : { ExpressionAttributeValues: { ":version": { N: String(version) } } }),
  };
  return item === undefined
    ? { Delete: { TableName: tableName, Key: marshall(key), ...condition } }
    : {
        Put: {
          TableName: tableName,
          Item: marshall({ ...item, ...key, version: (version ?? 0) + 1 }, ENCODE),
          ...condition,
        },
      };
}

/**
 * True when a transaction lost a race: a condition did not hold (another writer came first), or
 * DynamoDB refused it for overlapping another transaction in flight (`TransactionConflict`).
 */
export function lostRace(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some(
      (r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict",
    )
  );
}

interface Planned {
  readonly summary: Summary;
  readonly writes: TransactWriteItem[];
  readonly changed: { day?: [string, Cell]; month?: [string, Cell] };
}

/**
 * A change to one member (`id`) of a keyed record kept with its stream positions (a day's entries,
 * a user's goals), made at stream position `at`: the record with the member set to `now` (removed
 * when absent) and the positions after it, or undefined when the positions have seen it (a
 * duplicate or a stale event).
 */
function changeMember<T>(
  state: PositionState | undefined,
  members: Readonly<Record<string, T>> | undefined,
  id: string,
  now: T | undefined,
  at: { readonly sequenceNumber: string; readonly changedAt: string },
  policy: TombstonePolicy,
): { members: Record<string, T>; positions: PositionState } | undefined {
  const source: SourceChange = {
    id,
    sequenceNumber: at.sequenceNumber,
    changedAt: at.changedAt,
    removed: now === undefined,
  };
  if (!isNewChange(state, source)) return undefined;
  const out: Record<string, T> = { ...members };
  if (now === undefined) delete out[id];
  else out[id] = now;
  return { members: out, positions: recordChange(state, source, policy) };
}

function planEntry(
  tableName: string,
  options: CarbonChangeOptions,
  read: Read,
  summary: Summary,
  change: Extract<CarbonChange, { kind: "entry" }>,
): Planned | undefined {
  const { entry } = change;
  const now = entry === undefined ? undefined : { kgCO2e: entry.kgCO2e, category: entry.category };
  const changed = changeMember(
    read.dayItem,
    read.dayItem?.entries,
    change.timestamp,
    now,
    change,
    options.policy,
  );
  if (changed === undefined) return undefined;
  const { members: entries, positions } = changed;
  const day = dayOf(change.timestamp);
  const month = day.slice(0, 7);
  const before = read.dayItem?.cell ?? EMPTY_CELL;
  const after = cellOf(Object.values(entries));
  const monthCell = addCell(read.monthCell ?? EMPTY_CELL, after, before);
  const { cellsPk } = options.location;
  return {
    summary: {
      ...summary,
      totals: addCell(summary.totals, after, before),
      days: withDay(summary.days, day, after.entryCount > 0),
    },
    writes: [
      cellWrite(
        tableName,
        { pk: cellsPk, sk: cellKey.day(day) },
        after.entryCount === 0 && positions.removedAt === undefined
          ? undefined
          : { ...positions, entries, cell: after },
        read.dayItem === undefined ? undefined : Number(read.dayItem.version),
      ),
      cellWrite(
        tableName,
        { pk: cellsPk, sk: cellKey.month(month) },
        monthCell.entryCount === 0 ? undefined : { cell: monthCell },
        read.monthVersion,
      ),
    ],
    changed: { day: [day, after], month: [month, monthCell] },
  };
}

function planGoal(
  options: CarbonChangeOptions,
  summary: Summary,
  change: Extract<CarbonChange, { kind: "goal" }>,
): Planned | undefined {
  const changed = changeMember(
    summary.goalPositions,
    summary.goals,
    change.goalId,
    change.goal,
    change,
    options.policy,
  );
  if (changed === undefined) return undefined;
  return {
    summary: { ...summary, goals: changed.members, goalPositions: changed.positions },
    writes: [],
    changed: {},
  };
}

/**
 * Applies one entry or goal change to a user's aggregate, with exactly-once effect and one
 * TransactWriteItems (none for a duplicate or a stale event).
 */
export async function applyCarbonChange(
  deps: ConsumerDeps,
  options: CarbonChangeOptions,
): Promise<WriteOutcome> {
  const tableName = deps.tables.aggregates!;
  const races = new LostRaces(
    {
      ...contentionLimit(deps),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    },
    () =>
      `the aggregate of user ${JSON.stringify(options.userId)} at ${JSON.stringify(options.location.summaryKey)}`,
    USER_CONTENTION_FIX,
  );
  for (;;) {
    races.attemptStarts();
    const read = await readState(deps, options);
    if (options.settled?.(read.summary)) return "unchanged";
    const current: Summary = read.summary ?? {
      userId: options.userId,
      totals: EMPTY_CELL,
      days: EMPTY_DAY_SET,
      goals: {},
      extra: (await options.initialExtra?.()) ?? {},
    };
    const { change } = options;
    const planned =
      change.kind === "entry"
        ? planEntry(tableName, options, read, current, change)
        : planGoal(options, current, change);
    if (planned === undefined) return "unchanged";
    const stats = await statsOf(deps, options.location, planned.summary, planned.changed);
    const version = (read.version ?? 0) + 1;
    const beside = options.beside({ stats, summary: planned.summary, version, alsoRead: read.alsoRead });
    const summary = { ...planned.summary, extra: beside.extra ?? planned.summary.extra };
    try {
      await deps.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            summaryPut(tableName, options.location, summary, read.version),
            ...planned.writes,
            ...(beside.items ?? []),
          ],
        }),
      );
      return "written";
    } catch (error) {
      if (!lostRace(error)) throw error;
      await races.lost();
    }
  }
}

/** What to do when one user's changes keep racing each other. */
export const USER_CONTENTION_FIX =
  "if this persists, bound the consumer's reservedConcurrency in infra/pipeline.ts so fewer of one user's events run at once";

/** Reads a user's summary alone (strongly consistent). */
export async function readSummary(
  deps: ConsumerDeps,
  location: AggregateLocation,
): Promise<{ summary: Summary; version: number } | undefined> {
  const response = await deps.client.send(
    new BatchGetItemCommand({
      RequestItems: {
        [deps.tables.aggregates!]: { Keys: [marshall(location.summaryKey)], ConsistentRead: true },
      },
    }),
  );
  const item = response.Responses?.[deps.tables.aggregates!]?.[0];
  return item === undefined ? undefined : decodeSummary(unmarshall(item as Record<string, AttributeValue>));
}

/** The summary put of {@link applyCarbonChange}, for a consumer that rewrites only its `extra`. */
export function summaryWrite(
  tableName: string,
  location: AggregateLocation,
  summary: Summary,
  version: number,
): TransactWriteItem {
  return summaryPut(tableName, location, summary, version);
}
