import { describe, expect, it } from "vitest";
import { DeclarationError } from "#infra/errors.ts";
import { MAX_FILTER_PATTERN_LENGTH, validateMappingSettings } from "#infra/validate.ts";

/** A pattern whose JSON is exactly `length` characters. */
const patternOf = (length: number) => {
  const fixed = JSON.stringify({ dynamodb: { NewImage: { id: { S: [""] } } } }).length;
  return { dynamodb: { NewImage: { id: { S: ["x".repeat(length - fixed)] } } } };
};

const insert = { eventName: ["INSERT"] };

describe("validateMappingSettings: Lambda's filter limits", () => {
  it.each([
    { description: "five filters", filterPatterns: [insert, insert, insert, insert, insert] },
    { description: "a pattern of exactly 4096 characters", filterPatterns: [patternOf(4096)] },
  ])("accepts $description", ({ filterPatterns }) => {
    // Act
    const validate = () => validateMappingSettings("sources[pets]", { filterPatterns });

    // Assert
    expect(validate).not.toThrow();
    expect(JSON.stringify(filterPatterns.at(-1)).length).toBeLessThanOrEqual(MAX_FILTER_PATTERN_LENGTH);
  });

  it.each([
    {
      description: "a sixth filter",
      filterPatterns: [insert, insert, insert, insert, insert, insert],
      message:
        "sources[pets]: filterPatterns holds 6 patterns, over the 5 filters Lambda takes per event source mapping by default (given 6); merge patterns that differ in one field into one",
    },
    {
      description: "a pattern of 4097 characters",
      filterPatterns: [insert, patternOf(4097)],
      message:
        "sources[pets]: filterPatterns[1] is 4097 characters as JSON, over the 4096 Lambda takes for one filter pattern",
    },
  ])("refuses $description, saying what, the value and the fix", ({ filterPatterns, message }) => {
    // Act
    const validate = () => validateMappingSettings("sources[pets]", { filterPatterns });

    // Assert
    expect(validate).toThrow(DeclarationError);
    expect(validate).toThrow(message);
  });
});
