/** Counts behind the fan-out's metrics. */
export interface FanOutStats {
  readonly recordsIn: number;
  /** Events EventBridge accepted. */
  readonly eventsOut: number;
  /** Entry failures over all PutEvents attempts, retried ones included. */
  readonly failedEntries: number;
  /** Records or events written to the set-aside table. */
  readonly setAsideRecords: number;
  /** Now minus the oldest record's ApproximateCreationDateTime. */
  readonly batchAgeMs: number;
  /** Records not fully delivered (from the earliest one on, the batch comes again). */
  readonly undeliveredRecords: number;
}
