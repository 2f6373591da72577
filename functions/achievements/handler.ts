import { createConsumerHandler } from "#commons/consumer.ts";
import { applyAchievementEvent } from "./apply.ts";

/** achievements: unlocks each declared achievement once per user. */
export const handler = createConsumerHandler("achievements", applyAchievementEvent);
