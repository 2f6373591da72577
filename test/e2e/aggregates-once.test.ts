import { describeAggregates } from "./aggregates.ts";

describeAggregates("each event delivered once", undefined);
