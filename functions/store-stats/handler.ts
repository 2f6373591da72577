import { createConsumerHandler } from "#commons/consumer.ts";
import { applyStoreEvent } from "./apply.ts";

/** store-stats: pets by type, each user's stored events by status, open carts and their value. */
export const handler = createConsumerHandler("store-stats", applyStoreEvent);
