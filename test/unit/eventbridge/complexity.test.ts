import { describe, expect, it } from "vitest";
import { TOO_COMPLEX_REASON, wildcardComplexity } from "#infra/local/eventbridge/complexity.ts";
import { InvalidEventPatternError } from "#infra/local/eventbridge/errors.ts";
import { compilePattern } from "#infra/local/eventbridge/pattern.ts";

describe("wildcardComplexity", () => {
  // Expected values from event-ruler's own MachineComplexityEvaluatorTest (aws/event-ruler), which
  // adds bare values to a ByteMachine: hence `quoted: false`.
  it.each([
    { patterns: ["*"], complexity: 1 },
    { patterns: ["*", "ab*c"], complexity: 3 },
    { patterns: ["abc"], complexity: 1 },
    { patterns: ["*aa"], complexity: 3 },
    { patterns: ["a*bbb"], complexity: 4 },
    { patterns: ["*ab*ad"], complexity: 4 },
    { patterns: ["a*b*bb"], complexity: 5 },
    { patterns: ["a*b*cd"], complexity: 3 },
    { patterns: ["*abc", "*abcde"], complexity: 4 },
    { patterns: ["a*aaa", "aa*aa"], complexity: 7 },
    { patterns: ["a*aax", "aaa*x"], complexity: 5 },
    { patterns: ["ab*cd", "ab*wx", "ab*yz"], complexity: 6 },
    { patterns: ["*ab*b*b*"], complexity: 7 },
    { patterns: ["*a*a*a*a*a*a*a*a*"], complexity: 17 },
    { patterns: ["ab*c", "ab*c"], complexity: 2 },
    { patterns: ["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"], complexity: 10 },
    {
      patterns: [
        "aahed*",
        "aal*ii",
        "aargh*",
        "aarti*",
        "a*baca",
        "*abaci",
        "a*back",
        "ab*acs",
        "abaf*t",
        "*abaka",
        "ab*amp",
        "a*band",
        "*abase",
        "abash*",
        "abas*k",
        "ab*ate",
        "aba*ya",
        "abbas*",
        "abbed*",
        "ab*bes",
        "abbey*",
        "*abbot",
        "ab*cee",
        "abea*m",
        "abe*ar",
        "a*bele",
        "a*bers",
        "abet*s",
        "*abhor",
        "abi*de",
        "a*bies",
        "*abled",
      ],
      complexity: 45,
    },
  ])("measures $patterns as event-ruler does: $complexity", ({ patterns, complexity }) => {
    // Act + Assert
    expect(wildcardComplexity(patterns, 1000, { quoted: false })).toBe(complexity);
  });

  it("stops early past the limit, even for a pattern with thousands of wildcards", () => {
    // Arrange
    const huge = "F*e*a*t*u*r*e*".repeat(2_000);

    // Act
    const complexity = wildcardComplexity([huge], 100, { quoted: false });

    // Assert
    expect(complexity).toBeGreaterThan(100);
  });
});

describe("compilePattern refuses what EventBridge refuses as too complex", () => {
  const stackRule = (names: readonly string[]) => ({
    source: ["aws.cloudformation"],
    detail: { "stack-id": names.map((name) => ({ wildcard: `*:stack/${name}/*` })) },
  });
  const keyWildcard = (wildcard: string) => ({ detail: { key: [{ wildcard }] } });

  it.each([
    {
      description: "three `*:stack/NAME/*` wildcards in one field",
      pattern: stackRule(["Api", "Data", "Web"]),
    },
    { description: "nine repeated characters after a leading wildcard", pattern: keyWildcard("*aaaaaaaaa") },
    {
      description: "five wildcards alternating with a repeated character",
      pattern: keyWildcard("*a*a*a*a*"),
    },
    {
      description: "five suffix-like wildcards on one field",
      pattern: {
        detail: { file: ["*.png", "*.jpg", "*.gif", "*.webp", "*.svg"].map((w) => ({ wildcard: w })) },
      },
    },
    {
      description: "six suffix-like wildcards on two different fields",
      pattern: {
        detail: {
          file: ["*.png", "*.jpg", "*.gif"].map((w) => ({ wildcard: w })),
          name: ["*.webp", "*.svg", "*.bmp"].map((w) => ({ wildcard: w })),
        },
      },
    },
  ])("accepts $description", ({ pattern }) => {
    // Act
    const act = () => compilePattern(pattern);

    // Assert
    expect(act).not.toThrow();
  });

  it.each([
    {
      description: "a fourth such wildcard (repeated `:stack/` after a wildcard)",
      pattern: stackRule(["Api", "Data", "Web", "Monitoring"]),
    },
    { description: "ten repeated characters after a leading wildcard", pattern: keyWildcard("*aaaaaaaaaa") },
    {
      description: "six wildcards alternating with a repeated character",
      pattern: keyWildcard("*a*a*a*a*a*"),
    },
    {
      description: "six suffix-like wildcards split over $or branches of the same field",
      pattern: {
        detail: {
          $or: [
            { file: ["*.png", "*.jpg", "*.gif"].map((w) => ({ wildcard: w })) },
            { file: ["*.webp", "*.svg", "*.bmp"].map((w) => ({ wildcard: w })) },
          ],
        },
      },
    },
  ])("refuses $description as too complex", ({ pattern }) => {
    // Act
    const act = () => compilePattern(pattern);

    // Assert
    expect(act).toThrow(InvalidEventPatternError);
    expect(act).toThrow(`Event pattern is not valid. Reason: ${TOO_COMPLEX_REASON}`);
  });

  it("words the refusal as event-ruler does", () => {
    // Act + Assert
    expect(TOO_COMPLEX_REASON).toBe(
      "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    );
  });
});
