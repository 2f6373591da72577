import { createConsumerHandler } from "#commons/consumer.ts";
import { applyParkingEvent } from "./apply.ts";

/** parking-totals: per car park occupancy and status, and the totals across car parks. */
export const handler = createConsumerHandler("parking-totals", applyParkingEvent);
