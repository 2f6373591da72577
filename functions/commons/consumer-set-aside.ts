import { createHash } from "node:crypto";
import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SetAsideKinds, SetAsideReasonCodes } from "#schemas/contracts.ts";
import { setAsideItem } from "./set-aside.ts";

/** Kind of the set-aside item a consumer writes for an event it cannot apply. */
export const CONSUMER_REJECTED = SetAsideKinds.consumerRejected;

/** Reason code of a set-aside consumer rejection. */
export const CONSUMER_REJECTED_REASON_CODE = SetAsideReasonCodes.consumer[0];

/**
 * Writes an event the consumer refuses to the set-aside table (the fan-out's format, see
 * `set-aside.ts`, plus `kind` = "consumer-rejected" and `consumer`), keyed by consumer and
 * EventBridge event id, so the same event refused again overwrites its own record.
 *
 * @returns the set-aside item's id
 */
export async function setAsideEvent(
  client: DynamoDBClient,
  tableName: string,
  consumer: string,
  raw: unknown,
  reason: string,
  reasonCode: string = CONSUMER_REJECTED_REASON_CODE,
): Promise<string> {
  const json = JSON.stringify(raw) ?? "undefined";
  const envelope = isObject(raw) ? raw : {};
  const detail = isObject(envelope.detail) ? envelope.detail : {};
  const metadata = isObject(detail.metadata) ? detail.metadata : {};
  const text = (from: Record<string, unknown>, key: string) =>
    typeof from[key] === "string" ? (from[key] as string) : undefined;
  const identity = text(envelope, "id") ?? createHash("sha256").update(json).digest("hex");
  const id = `${CONSUMER_REJECTED}#${consumer}#${identity}`;
  const eventId = text(metadata, "eventId");
  const detailType = text(envelope, "detail-type");
  const item = setAsideItem({
    id,
    reasonCode,
    reason,
    table: text(metadata, "table") ?? "unknown",
    sequenceNumber: text(metadata, "sequenceNumber") ?? "",
    ...(eventId === undefined ? {} : { eventId }),
    ...(detailType === undefined ? {} : { detailType }),
    record: raw,
  });
  item.kind = { S: CONSUMER_REJECTED };
  item.consumer = { S: consumer };
  await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  return id;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
