import { describeAggregates } from "./aggregates.ts";

describeAggregates("deliveries shuffled", { maxDelayMs: 500 });
