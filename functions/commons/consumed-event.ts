import * as z from "zod";
import {
  type DetailOf,
  type DomainEvent,
  type DomainEventName,
  DomainEvents,
} from "#schemas/domain-events.ts";
import { describeIssues } from "./issues.ts";

/** The event a Lambda EventBridge target receives. */
export const EventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeEventSchema>;

/** A validated domain event, discriminated by its detail-type. */
export type ConsumedEvent = {
  [Name in DomainEventName]: { readonly detailType: Name; readonly detail: DetailOf<Name> };
}[DomainEventName];

/** `{ success, data } | { success, error }`: a bad event is reported, not thrown. */
export type ParseResult = { success: true; data: ConsumedEvent } | { success: false; error: string };

/**
 * Validates an EventBridge event against the schema of the domain event it claims to be, among
 * the events the consumer subscribes to.
 */
export function parseConsumedEvent(raw: unknown, accepted: readonly DomainEvent[]): ParseResult {
  const envelope = EventBridgeEventSchema.safeParse(raw);
  if (!envelope.success) {
    return { success: false, error: `not an EventBridge event: ${z.prettifyError(envelope.error)}` };
  }
  const { source, "detail-type": detailType, detail } = envelope.data;
  const event = accepted.find((e) => e.source === source && e.detailType === detailType);
  if (event === undefined) {
    const known = accepted.map((e) => `${e.source}/${e.detailType}`).join(", ");
    return {
      success: false,
      error: `this consumer does not subscribe to ${source}/${detailType} (it takes ${known}); fix the rule's pattern`,
    };
  }
  const parsed = event.detailSchema.safeParse(detail);
  if (!parsed.success) {
    return {
      success: false,
      error: `detail of ${source}/${detailType} fails its schema: ${describeIssues(parsed.error, detail)}`,
    };
  }
  if (!(detailType in DomainEvents)) {
    return { success: false, error: `unknown detail-type ${detailType}` };
  }
  return { success: true, data: { detailType, detail: parsed.data } as ConsumedEvent };
}
