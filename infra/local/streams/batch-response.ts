/**
 * What a handler's return value means to a stream event source mapping with
 * `ReportBatchItemFailures` on, as Lambda reads it.
 *
 * Success: `undefined`, `null`, `{}`, `[]`, or `batchItemFailures` that is `null` or empty (the
 * five shapes Lambda's validated behaviour counts as success; docs/parity.md).
 * Partial failure: every entry names a sequence number of the batch; processing resumes from the
 * lowest one, so it and every later record come again.
 * Whole-batch failure: an entry that is not an object (a bare sequence number string included), or
 * whose `itemIdentifier` is missing, empty, not a string or not in the batch; `batchItemFailures`
 * that is not a list; a response that is neither an object nor an empty list.
 */
export type BatchOutcome =
  | { readonly kind: "success" }
  | { readonly kind: "partial"; readonly failedIndex: number; readonly sequenceNumber: string }
  | { readonly kind: "failure"; readonly reason: string };

const SUCCESS: BatchOutcome = { kind: "success" };

/** Reads a handler's response against the sequence numbers of the batch it was given. */
export function interpretBatchResponse(response: unknown, sequenceNumbers: readonly string[]): BatchOutcome {
  if (response === undefined || response === null) return SUCCESS;
  if (Array.isArray(response) && response.length === 0) return SUCCESS;
  if (typeof response !== "object" || Array.isArray(response)) {
    return {
      kind: "failure",
      reason: `the response ${JSON.stringify(response)} is not an object; return { batchItemFailures: [...] } or nothing`,
    };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return SUCCESS;
  if (!Array.isArray(failures)) {
    return {
      kind: "failure",
      reason: `batchItemFailures is ${JSON.stringify(failures)}, not a list; return a list of { itemIdentifier: SequenceNumber }`,
    };
  }
  if (failures.length === 0) return SUCCESS;
  const index = new Map(sequenceNumbers.map((s, i) => [s, i]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const entry of failures) {
    // Lambda reads each entry as an object with an itemIdentifier: a bare sequence number string
    // (or any other non-object) names nothing, so it fails the whole batch like a missing one.
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return {
        kind: "failure",
        reason: `batchItemFailures entry ${JSON.stringify(entry) ?? "undefined"} is not an object; write { itemIdentifier: "<SequenceNumber>" } for each failed record`,
      };
    }
    const id = (entry as { itemIdentifier?: unknown }).itemIdentifier;
    if (typeof id !== "string" || id === "") {
      return {
        kind: "failure",
        reason: `batchItemFailures entry ${JSON.stringify(entry) ?? "undefined"} has no itemIdentifier string; name the failed record's dynamodb.SequenceNumber`,
      };
    }
    const at = index.get(id);
    if (at === undefined) {
      return {
        kind: "failure",
        reason: `batchItemFailures names itemIdentifier "${id}", which is not a sequence number of this batch; name the failed record's dynamodb.SequenceNumber`,
      };
    }
    lowest = Math.min(lowest, at);
  }
  return { kind: "partial", failedIndex: lowest, sequenceNumber: sequenceNumbers[lowest] as string };
}
