import type * as z from "zod";
import { deterministicEventId } from "#commons/event-id.ts";
import { pipeline } from "#infra/pipeline.ts";
import { seededRandom } from "#infra/replay/plan.ts";
import { tableOf } from "#infra/topology.ts";
import {
  type ChangeKind,
  type DomainEventName,
  DomainEvents,
  type EventMetadata,
} from "#schemas/domain-events.ts";

/** mulberry32, the same seeded source replay shuffles with. */
export { seededRandom };

/**
 * Builds the EventBridge events consumers receive (the Lambda EventBridge target shape), from the
 * domain-event schemas and the pipeline declaration, so tests deliver exactly what the bus would.
 */

/** The event a consumer's Lambda receives from an EventBridge rule. */
export interface EventBridgeTargetEvent<Detail = unknown> {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

export interface DomainEventOptions {
  /** Stream sequence number of the change (a decimal string up to 40 digits). */
  readonly sequenceNumber: string;
  /** @default INSERT, or REMOVE for a *Removed event */
  readonly change?: ChangeKind;
  /**
   * When the change happened (the stream record's ApproximateCreationDateTime, to the second).
   * @default a minute ago: as recent as events that reach consumers are, within every retention
   */
  readonly changedAt?: string;
  /** @default 0 */
  readonly depth?: number;
}

/** Declared source table of a domain event. */
function sourceTableKey(name: DomainEventName): string {
  const source = pipeline.sources.find((s) => s.changes.some((c) => c.event.detailType === name));
  if (source === undefined) throw new Error(`no source in infra/pipeline.ts publishes ${name}`);
  return source.table;
}

/**
 * An EventBridge event for a domain event, with deterministic ids: the same name and sequence
 * number always give the same event (as a redelivery would).
 *
 * @example
 * domainEvent("CarParkRemoved", { carParkId: "CP001" }, { sequenceNumber: "300000000000000000002" });
 */
export function domainEvent<Name extends DomainEventName>(
  name: Name,
  data: z.input<(typeof DomainEvents)[Name]["dataSchema"]>,
  options: DomainEventOptions,
): EventBridgeTargetEvent<{ metadata: EventMetadata; data: typeof data }> {
  const event = DomainEvents[name];
  const table = tableOf(pipeline, sourceTableKey(name));
  const record = data as Record<string, string | number>;
  const keyNames = [table.partitionKey.name, ...(table.sortKey === undefined ? [] : [table.sortKey.name])];
  const changedAt =
    options.changedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
  const eventId = deterministicEventId(table.tableName, options.sequenceNumber, event.detailType);
  return {
    version: "0",
    id: eventId,
    "detail-type": event.detailType,
    source: event.source,
    account: "000000000000",
    time: changedAt.replace(/\.\d+Z$/, "Z"),
    region: "us-east-1",
    resources: [],
    detail: {
      metadata: {
        eventId,
        version: event.version,
        table: table.tableName,
        change: options.change ?? (name.endsWith("Removed") ? "REMOVE" : "INSERT"),
        sequenceNumber: options.sequenceNumber,
        changedAt,
        keys: Object.fromEntries(keyNames.map((k) => [k, record[k] as string | number])),
        depth: options.depth ?? 0,
      },
      data,
    },
  };
}

/**
 * Stream-like sequence numbers: 21 digits and more, increasing, and crossing a power of ten so
 * that comparing them as text or as floats would give the wrong order.
 */
export function sequenceNumbers(count: number, start = 99_999_999_999_999_999_990n): string[] {
  return Array.from({ length: count }, (_, i) => (start + BigInt(i) * 7n).toString());
}

export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** One way the bus may deliver a consumer's events: at least once, in any order. */
export interface DeliveryOrder {
  readonly description: string;
  /** Short name, unique per order (e.g. to key a test's data). */
  readonly key: string;
  readonly deliveries: <T>(events: readonly T[]) => T[];
}

/**
 * The delivery orders a consumer must reach the same aggregates from: as written, each twice,
 * shuffled, duplicated and shuffled, and every event again after newer ones (`seed` picks the
 * shuffles).
 */
export function deliveryOrders(seed: number): DeliveryOrder[] {
  return [
    { description: "delivered once, in order", key: "in-order", deliveries: (e) => [...e] },
    { description: "every event delivered twice", key: "twice", deliveries: (e) => e.flatMap((x) => [x, x]) },
    { description: "deliveries shuffled", key: "shuffled", deliveries: (e) => seededShuffle(e, seed) },
    {
      description: "duplicated and shuffled",
      key: "duplicated-shuffled",
      deliveries: (e) => seededShuffle([...e, ...e], seed + 1),
    },
    {
      description: "stale events after newer ones",
      key: "stale",
      deliveries: (e) => [...e, ...[...e].reverse()],
    },
  ];
}
