/** The event a target receives: EventBridge's envelope. */
export interface EventBridgeEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601, seconds precision (`2026-01-02T03:04:05Z`). */
  readonly time: string;
  readonly region: string;
  /** Mutable so the event is assignable to `aws-lambda`'s `EventBridgeEvent`. */
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}
