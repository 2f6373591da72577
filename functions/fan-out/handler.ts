import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { createDynamoDbClient } from "#commons/clients.ts";
import { createLogger, createMetrics, flushMetrics } from "#commons/powertools.ts";
import { createFanOutEventBridgeClient } from "./clients.ts";
import { loadFanOutConfig } from "./config.ts";
import { fanOut, recordFanOutMetrics } from "./fan-out.ts";

const config = loadFanOutConfig();
const eventBridge = createFanOutEventBridgeClient();
const dynamodb = createDynamoDbClient();
const logger = createLogger("fan-out");
const metrics = createMetrics("fan-out");

/**
 * Fans a batch of DynamoDB stream records out to the bus as domain events, answering with the
 * earliest record not fully delivered (ReportBatchItemFailures).
 */
export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  try {
    const result = await fanOut(event.Records, {
      eventBridge,
      dynamodb,
      config,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      logger,
    });
    recordFanOutMetrics(metrics, result.stats);
    return { batchItemFailures: result.batchItemFailures };
  } finally {
    flushMetrics(metrics);
  }
}
