import { createConsumerHandler } from "#commons/consumer.ts";
import { applyCarbonEvent } from "./apply.ts";

/** carbon-stats: each CarbonTrack user's totals, categories, days, months, streaks and goal progress. */
export const handler = createConsumerHandler("carbon-stats", applyCarbonEvent);
