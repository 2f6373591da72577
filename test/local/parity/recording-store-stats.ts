import { handler as storeStats } from "../../../functions/store-stats/handler.ts";
import { recording } from "./recording.ts";

/** The store-stats consumer, recording what the local bus's asynchronous invocation hands it. */
export const handler = recording("store-stats", storeStats);
