import { describeAggregates } from "./aggregates.ts";

describeAggregates("every event delivered twice", { duplicate: true, maxDelayMs: 200 });
