import { describe, expect, it } from "vitest";
import { interpretBatchResponse } from "#infra/local/streams/batch-response.ts";

const SEQUENCES = ["100", "200", "300"];

describe("interpretBatchResponse", () => {
  it.each([
    { description: "undefined", response: undefined },
    { description: "null", response: null },
    { description: "an empty object", response: {} },
    { description: "an empty list as the whole response", response: [] },
    { description: "an empty batchItemFailures", response: { batchItemFailures: [] } },
    { description: "a null batchItemFailures", response: { batchItemFailures: null } },
  ])("reads $description as success", ({ response }) => {
    // Arrange
    // Act
    const outcome = interpretBatchResponse(response, SEQUENCES);

    // Assert
    expect(outcome).toEqual({ kind: "success" });
  });

  it.each([
    { description: "one failure", failures: ["200"], index: 1 },
    { description: "the first record", failures: ["100"], index: 0 },
    { description: "several failures, lowest wins", failures: ["300", "200"], index: 1 },
  ])("resumes from the lowest reported record: $description", ({ failures, index }) => {
    // Arrange
    const response = { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };

    // Act
    const outcome = interpretBatchResponse(response, SEQUENCES);

    // Assert
    expect(outcome).toEqual({ kind: "partial", failedIndex: index, sequenceNumber: SEQUENCES[index] });
  });

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
    const outcome = interpretBatchResponse(response, SEQUENCES);

    // Assert
    expect(outcome.kind).toBe("failure");
    expect(outcome.kind === "failure" ? outcome.reason : "").toMatch(says);
  });
});
