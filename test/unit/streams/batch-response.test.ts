import { describe, expect, it } from "vitest";
import { type BatchOutcome, interpretBatchResponse } from "#infra/local/streams/batch-response.ts";
import { itReturns } from "../../helpers/tables.ts";

const SEQUENCES = ["100", "200", "300"];
const read = (response: unknown) => interpretBatchResponse(response, SEQUENCES);

const SUCCESS: BatchOutcome = { kind: "success" };
/** A response that reports the records of `sequenceNumbers` failed. */
const failed = (...sequenceNumbers: string[]) => ({
  batchItemFailures: sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })),
});
/** The outcome that resumes the batch from its record at `index`. */
const partialFrom = (index: number): BatchOutcome => ({
  kind: "partial",
  failedIndex: index,
  sequenceNumber: SEQUENCES[index]!,
});

describe("interpretBatchResponse", () => {
  itReturns("reads $description as success", read, [
    { description: "undefined", input: undefined, expected: SUCCESS },
    { description: "null", input: null, expected: SUCCESS },
    { description: "an empty object", input: {}, expected: SUCCESS },
    { description: "an empty list as the whole response", input: [], expected: SUCCESS },
    { description: "an empty batchItemFailures", input: { batchItemFailures: [] }, expected: SUCCESS },
    { description: "a null batchItemFailures", input: { batchItemFailures: null }, expected: SUCCESS },
  ]);

  itReturns("resumes from the lowest reported record: $description", read, [
    { description: "one failure", input: failed("200"), expected: partialFrom(1) },
    { description: "the first record", input: failed("100"), expected: partialFrom(0) },
    { description: "several failures, lowest wins", input: failed("300", "200"), expected: partialFrom(1) },
  ]);

  it.each([
    {
      description: "an unknown sequence number",
      response: { batchItemFailures: [{ itemIdentifier: "999" }] },
      says: /"999", which is not a sequence number of this batch/,
    },
    {
      description: "an empty itemIdentifier",
      response: { batchItemFailures: [{ itemIdentifier: "" }] },
      says: /has no itemIdentifier string/,
    },
    {
      description: "a numeric itemIdentifier",
      response: { batchItemFailures: [{ itemIdentifier: 200 }] },
      says: /has no itemIdentifier string/,
    },
    {
      description: "a missing itemIdentifier",
      response: { batchItemFailures: [{ id: "200" }] },
      says: /has no itemIdentifier string/,
    },
    {
      description: "a valid entry next to an invalid one",
      response: { batchItemFailures: [{ itemIdentifier: "200" }, {}] },
      says: /has no itemIdentifier string/,
    },
    {
      description: "a bare sequence number string of the batch",
      response: { batchItemFailures: ["200"] },
      says: /entry "200" is not an object; write \{ itemIdentifier: "<SequenceNumber>" \}/,
    },
    {
      description: "a null entry",
      response: { batchItemFailures: [null] },
      says: /entry null is not an object/,
    },
    {
      description: "an entry that is a list",
      response: { batchItemFailures: [["200"]] },
      says: /entry \["200"\] is not an object/,
    },
    {
      description: "a list that is not a list",
      response: { batchItemFailures: { itemIdentifier: "200" } },
      says: /not a list/,
    },
    { description: "a response that is not an object", response: "ok", says: /is not an object/ },
    {
      description: "a non-empty list as the whole response",
      response: [{ itemIdentifier: "200" }],
      says: /is not an object/,
    },
  ])("fails the whole batch on $description", ({ response, says }) => {
    // Arrange
    // Act
    const outcome = read(response);

    // Assert
    expect(outcome.kind).toBe("failure");
    expect(outcome.kind === "failure" ? outcome.reason : "").toMatch(says);
  });
});
