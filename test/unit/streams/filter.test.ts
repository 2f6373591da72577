import { describe, expect, it } from "vitest";
import { InvalidFilterCriteriaError } from "#infra/local/streams/errors.ts";
import { compileFilterCriteria, passesFilterCriteria } from "#infra/local/streams/filter.ts";
import { loadStreamRecord } from "../../helpers/events.ts";

describe("passesFilterCriteria", () => {
  it.each([
    {
      description: "no patterns deliver everything",
      patterns: [],
      record: "PetStore/remove.json",
      passes: true,
    },
    {
      description: "eventName INSERT on an insert",
      patterns: [{ eventName: ["INSERT"] }],
      record: "PetStore/insert.json",
      passes: true,
    },
    {
      description: "eventName INSERT on a modify",
      patterns: [{ eventName: ["INSERT"] }],
      record: "PetStore/modify.json",
      passes: false,
    },
    {
      description: "a typed string value",
      patterns: [{ dynamodb: { NewImage: { type: { S: ["dog"] } } } }],
      record: "PetStore/insert.json",
      passes: true,
    },
    {
      description: "a numeric filter on an N value (a string in the record)",
      patterns: [{ dynamodb: { NewImage: { price: { N: [{ numeric: [">", 100] }] } } } }],
      record: "PetStore/insert.json",
      passes: false,
    },
    {
      description: "a plain number on an N value",
      patterns: [{ dynamodb: { NewImage: { price: { N: [249.99] } } } }],
      record: "PetStore/insert.json",
      passes: false,
    },
    {
      description: "the N value's string form",
      patterns: [{ dynamodb: { NewImage: { price: { N: ["249.99"] } } } }],
      record: "PetStore/insert.json",
      passes: true,
    },
    {
      description: "a prefix on an N value",
      patterns: [{ dynamodb: { NewImage: { price: { N: [{ prefix: "249" }] } } } }],
      record: "PetStore/insert.json",
      passes: true,
    },
    {
      description: "a TTL deletion by its userIdentity",
      patterns: [{ userIdentity: { type: ["Service"], principalId: ["dynamodb.amazonaws.com"] } }],
      record: "carbontrack-entries/ttl-expire.json",
      passes: true,
    },
    {
      description: "a user's REMOVE by the absence of userIdentity",
      patterns: [{ eventName: ["REMOVE"], userIdentity: { type: [{ exists: false }] } }],
      record: "carbontrack-entries/remove.json",
      passes: true,
    },
    {
      description: "any of several patterns",
      patterns: [{ eventName: ["REMOVE"] }, { dynamodb: { NewImage: { type: { S: ["dog"] } } } }],
      record: "PetStore/insert.json",
      passes: true,
    },
  ])("matches as Lambda does: $description", ({ patterns, record, passes }) => {
    // Arrange
    const criteria = compileFilterCriteria(patterns);

    // Act
    const delivered = passesFilterCriteria(criteria, loadStreamRecord(record));

    // Assert
    expect(delivered).toBe(passes);
  });

  it.each([
    { description: "a leaf that is not a list", pattern: { eventName: "INSERT" } },
    { description: "an empty object", pattern: {} },
    { description: "a list instead of an object", pattern: ["INSERT"] },
    { description: "an unknown operator", pattern: { eventName: [{ startsWith: "IN" }] } },
  ])("throws naming the pattern on $description", ({ pattern }) => {
    // Arrange
    // Act
    const compile = () => compileFilterCriteria([{ eventName: ["INSERT"] }, pattern]);

    // Assert
    expect(compile).toThrow(InvalidFilterCriteriaError);
    expect(compile).toThrow(`filterPatterns[1] ${JSON.stringify(pattern)} is not a valid filter pattern`);
  });
});
