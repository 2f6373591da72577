import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { createDynamoDbClient } from "#commons/clients.ts";
import { createLogger, createMetrics, flushMetrics } from "#commons/powertools.ts";
import { FAN_OUT_SERVICE } from "#schemas/contracts.ts";
import { createFanOutEventBridgeClient } from "./clients.ts";
import { loadFanOutConfig } from "./config.ts";
import { UnresumableBatchError } from "./errors.ts";
import { type FanOutStats, fanOut, recordFanOutMetrics } from "./fan-out.ts";

const config = loadFanOutConfig();
const eventBridge = createFanOutEventBridgeClient();
const dynamodb = createDynamoDbClient();
const logger = createLogger(FAN_OUT_SERVICE);
const metrics = createMetrics(FAN_OUT_SERVICE);

/**
 * Fans a batch of DynamoDB stream records out to the bus as domain events, answering with the
 * earliest record not fully delivered (ReportBatchItemFailures). Every invocation records its
 * metrics, one that fails the whole batch included.
 */
export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  logger.addContext(context);
  let stats: Pick<FanOutStats, "recordsIn"> & Partial<FanOutStats> = { recordsIn: event.Records.length };
  try {
    const result = await fanOut(event.Records, {
      eventBridge,
      dynamodb,
      config,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      logger,
    });
    stats = result.stats;
    return { batchItemFailures: result.batchItemFailures };
  } catch (error) {
    if (error instanceof UnresumableBatchError) stats = error.stats;
    throw error;
  } finally {
    recordFanOutMetrics(metrics, stats);
    flushMetrics(metrics);
  }
}
