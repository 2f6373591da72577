import {
  AggregateKeys,
  CartStatsSchema,
  PetStatsSchema,
  StoredEventStatsSchema,
} from "#commons/aggregates.ts";
import {
  type ApplyEvent,
  type ConsumerDeps,
  contentionLimit,
  readModifyWrite,
  tombstonePolicy,
  type WriteOutcome,
} from "#commons/consumer.ts";
import type { TombstonePolicy } from "#commons/positions.ts";
import {
  applyCartChange,
  applyPetChange,
  applyStoredEventChange,
  cartContribution,
  type KeyedChange,
} from "./stats.ts";

/**
 * Applies a change to one statistics item of the aggregates table, stored as its schema reads it;
 * `apply` is given the tombstone policy as of each attempt.
 */
function writeStats<T extends Record<string, unknown>>(
  deps: ConsumerDeps,
  key: Record<string, string>,
  schema: { parse: (item: unknown) => T },
  apply: (current: T | undefined, policy: TombstonePolicy) => T | undefined,
): Promise<WriteOutcome> {
  return readModifyWrite(deps.client, {
    tableName: deps.tables.aggregates!,
    key,
    ...contentionLimit(deps),
    decode: (item) => schema.parse(item),
    apply: (current) => apply(current, tombstonePolicy(deps)),
    encode: (stats) => stats,
  });
}

/** Applies a pet, stored-event or cart event to its aggregate item (at most one write). */
export const applyStoreEvent: ApplyEvent = async (deps, event) => {
  const { sequenceNumber, changedAt } = event.detail.metadata;
  const changeOf = <T>(id: string, value: T | undefined): KeyedChange<T> => ({
    id,
    sequenceNumber,
    changedAt,
    value,
  });
  switch (event.detailType) {
    case "PetListed":
    case "PetUpdated":
    case "PetRemoved": {
      const data = event.detail.data;
      const change = changeOf(String(data.id), "type" in data ? data.type : undefined);
      const key = AggregateKeys.pets(change.id, deps.aggregateShards);
      return writeStats(deps, key, PetStatsSchema, (current, policy) =>
        applyPetChange(current, change, policy),
      );
    }
    case "CartUpdated":
    case "CartRemoved": {
      const data = event.detail.data;
      const change = changeOf(data.userId, "cartItems" in data ? cartContribution(data) : undefined);
      const key = AggregateKeys.carts(change.id, deps.aggregateShards);
      return writeStats(deps, key, CartStatsSchema, (current, policy) =>
        applyCartChange(current, change, policy),
      );
    }
    case "StoredEventCreated":
    case "StoredEventUpdated":
    case "StoredEventRemoved": {
      const data = event.detail.data;
      const userId = data.user_id;
      const change = changeOf(data["timestamp#event_id"], "status" in data ? data.status : undefined);
      return writeStats(deps, AggregateKeys.storedEvents(userId), StoredEventStatsSchema, (current, policy) =>
        applyStoredEventChange(userId, current, change, policy),
      );
    }
    default:
      return "unchanged";
  }
};
