import {
  AggregateKeys,
  CartStatsSchema,
  PetStatsSchema,
  StoredEventStatsSchema,
} from "#commons/aggregates.ts";
import { type ApplyEvent, contentionLimit, readModifyWrite, tombstonePolicy } from "#commons/consumer.ts";
import { applyCartChange, applyPetChange, applyStoredEventChange, cartContribution } from "./stats.ts";

/** Applies a pet, stored-event or cart event to its aggregate item (at most one write). */
export const applyStoreEvent: ApplyEvent = async (deps, event) => {
  const tableName = deps.tables.aggregates!;
  const { sequenceNumber, changedAt } = event.detail.metadata;
  switch (event.detailType) {
    case "PetListed":
    case "PetUpdated":
    case "PetRemoved": {
      const data = event.detail.data;
      const change = {
        id: String(data.id),
        sequenceNumber,
        changedAt,
        value: "type" in data ? data.type : undefined,
      };
      return readModifyWrite(deps.client, {
        tableName,
        key: AggregateKeys.pets(change.id, deps.aggregateShards),
        ...contentionLimit(deps),
        decode: (item) => PetStatsSchema.parse(item),
        apply: (current) => applyPetChange(current, change, tombstonePolicy(deps)),
        encode: (stats) => stats,
      });
    }
    case "CartUpdated":
    case "CartRemoved": {
      const data = event.detail.data;
      const change = {
        id: data.userId,
        sequenceNumber,
        changedAt,
        value: "cartItems" in data ? cartContribution(data) : undefined,
      };
      return readModifyWrite(deps.client, {
        tableName,
        key: AggregateKeys.carts(change.id, deps.aggregateShards),
        ...contentionLimit(deps),
        decode: (item) => CartStatsSchema.parse(item),
        apply: (current) => applyCartChange(current, change, tombstonePolicy(deps)),
        encode: (stats) => stats,
      });
    }
    case "StoredEventCreated":
    case "StoredEventUpdated":
    case "StoredEventRemoved": {
      const data = event.detail.data;
      const userId = data.user_id;
      const change = {
        id: data["timestamp#event_id"],
        sequenceNumber,
        changedAt,
        value: "status" in data ? data.status : undefined,
      };
      return readModifyWrite(deps.client, {
        tableName,
        key: AggregateKeys.storedEvents(userId),
        ...contentionLimit(deps),
        decode: (item) => StoredEventStatsSchema.parse(item),
        apply: (current) => applyStoredEventChange(userId, current, change, tombstonePolicy(deps)),
        encode: (stats) => stats,
      });
    }
    default:
      return "unchanged";
  }
};
