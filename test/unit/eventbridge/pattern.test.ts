import { describe, expect, it } from "vitest";
import { InvalidEventPatternError } from "#infra/local/eventbridge/errors.ts";
import { compilePattern, matches } from "#infra/local/eventbridge/pattern.ts";

/** The EC2 sample event EventBridge's documentation filters throughout. */
const sample = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
    FileName: "photo.PNG",
    FilePath: "/usr/lib/node",
    service: "EventBridge",
    location: null,
    enabled: false,
    nested: { inner: "value" },
    tags: ["blue", "green"],
    empty: [],
    employees: [
      { firstName: "John", lastName: "Doe", middleName: "Q" },
      { firstName: "Anna", lastName: "Smith" },
      { firstName: "Peter", lastName: "Jones" },
    ],
    ipv6: "2001:0db8:0000:0000:0000:0000:0000:0042",
    star: "a*b",
    price: 5000000001,
  },
};

const withDetail = (detail: Record<string, unknown>) => ({
  ...sample,
  detail: { ...sample.detail, ...detail },
});

describe("compilePattern + matches", () => {
  it.each([
    // exact values
    { description: "an exact string", pattern: { source: ["aws.ec2"] } },
    {
      description: "one of several exact strings",
      pattern: { detail: { state: ["initializing", "running"] } },
    },
    { description: "an exact number", pattern: { detail: { "c-count": [5] } } },
    { description: "a number written differently (5.0)", pattern: { detail: { "c-count": [5.0] } } },
    { description: "a number in exponent form", pattern: { detail: { "x-limit": [3.018e2] } } },
    { description: "null", pattern: { detail: { location: [null] } } },
    { description: "a boolean", pattern: { detail: { enabled: [false] } } },
    {
      description: "an empty string (empty array value in the event is not it)",
      pattern: { detail: { state: ["", "running"] } },
    },
    { description: "a nested field", pattern: { detail: { nested: { inner: ["value"] } } } },
    {
      description: "a field name with a dot as the same path",
      pattern: { detail: { "nested.inner": ["value"] } },
    },
    {
      description: "an IPv6 literal written in another form",
      pattern: { detail: { ipv6: ["2001:db8::42"] } },
    },
    // arrays
    { description: "any element of an event array", pattern: { detail: { tags: ["green"] } } },
    {
      description: "an intersection of pattern and event arrays",
      pattern: {
        resources: ["arn:other", "arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
      },
    },
    {
      description: "fields within one array element",
      pattern: { detail: { employees: { firstName: ["Anna"], lastName: ["Smith"] } } },
    },
    {
      description: "exists false within the array element the other fields matched",
      pattern: { detail: { employees: { firstName: ["Anna"], middleName: [{ exists: false }] } } },
    },
    // prefix / suffix
    { description: "a prefix", pattern: { time: [{ prefix: "2017-10-02" }] } },
    { description: "an empty prefix", pattern: { time: [{ prefix: "" }] } },
    {
      description: "a prefix ignoring case",
      pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "eventb" } }] } },
    },
    { description: "a suffix", pattern: { source: [{ suffix: "ec2" }] } },
    {
      description: "a suffix ignoring case",
      pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    },
    // anything-but
    {
      description: "anything but a string",
      pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    },
    { description: "anything but a number", pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } } },
    {
      description: "anything but a list of strings",
      pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    },
    {
      description: "anything but a list of numbers",
      pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    },
    { description: "anything but a prefix", pattern: { region: [{ "anything-but": { prefix: "eu-" } }] } },
    {
      description: "anything but a suffix",
      pattern: { detail: { FileName: [{ "anything-but": { suffix: ".png" } }] } },
    },
    {
      description: "anything but ignoring case",
      pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": ["STOPPED"] } }] } },
    },
    {
      description: "anything but a wildcard",
      pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/bin/*" } }] } },
    },
    {
      description: "anything but a value of another type (number vs string)",
      pattern: { detail: { "c-count": [{ "anything-but": "5" }] } },
    },
    {
      description: "anything but one element of an event array",
      pattern: { detail: { tags: [{ "anything-but": "blue" }] } },
    },
    // numeric
    { description: "a numeric range", pattern: { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } } },
    { description: "a numeric upper bound", pattern: { detail: { "d-count": [{ numeric: ["<", 10] }] } } },
    { description: "a numeric equality", pattern: { detail: { "x-limit": [{ numeric: ["=", 301.8] }] } } },
    { description: "an inclusive lower bound", pattern: { detail: { "c-count": [{ numeric: [">=", 5] }] } } },
    // exists
    { description: "a field that exists", pattern: { detail: { state: [{ exists: true }] } } },
    { description: "a null field as existing", pattern: { detail: { location: [{ exists: true }] } } },
    { description: "a field that does not exist", pattern: { detail: { "no-such": [{ exists: false }] } } },
    {
      description: "exists false on an intermediate node (only leaves exist)",
      pattern: { detail: { nested: [{ exists: false }] } },
    },
    {
      description: "exists false on an empty event array",
      pattern: { detail: { empty: [{ exists: false }] } },
    },
    // equals-ignore-case
    {
      description: "a string ignoring case",
      pattern: { detail: { state: [{ "equals-ignore-case": "RUNNING" }] } },
    },
    // wildcard
    { description: "a wildcard", pattern: { detail: { FilePath: [{ wildcard: "/usr/*/node" }] } } },
    { description: "a wildcard matching an empty run", pattern: { source: [{ wildcard: "aws.*ec2" }] } },
    { description: "a lone wildcard", pattern: { source: [{ wildcard: "*" }] } },
    { description: "an escaped asterisk", pattern: { detail: { star: [{ wildcard: "a\\*b" }] } } },
    // cidr
    { description: "an IPv4 CIDR", pattern: { detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } } },
    { description: "an IPv6 CIDR", pattern: { detail: { ipv6: [{ cidr: "2001:db8::/64" }] } } },
    // $or
    {
      description: "$or between fields",
      pattern: {
        source: ["aws.ec2"],
        $or: [{ "detail-type": ["nope"] }, { detail: { state: ["running"] } }],
      },
    },
    {
      description: "$or nested inside an object",
      pattern: {
        detail: { $or: [{ "c-count": [{ numeric: [">", 100] }] }, { "d-count": [{ numeric: ["<", 10] }] }] },
      },
    },
    {
      description: "a numeric equality at the maximum (only = may name one value)",
      pattern: { detail: { big: [{ numeric: ["=", 5e9] }] } },
      event: withDetail({ big: 5e9 }),
    },
    {
      description: "a field named html inside $or (event-ruler reserves no such name)",
      pattern: { $or: [{ detail: { html: ["<p>"] } }, { source: ["aws.s3"] }] },
      event: withDetail({ html: "<p>" }),
    },
    {
      description: "a field list mixing operators",
      pattern: { detail: { state: [{ prefix: "xx" }, "running"] } },
    },
    {
      description: "exists false OR a value",
      pattern: { detail: { state: [{ exists: false }, "running"] } },
    },
  ])("matches $description", ({ pattern, event }) => {
    // Arrange
    const compiled = compilePattern(pattern);

    // Act
    const result = matches(compiled, event ?? sample);

    // Assert
    expect(result).toBe(true);
  });

  it.each([
    { description: "a different string", pattern: { source: ["aws.s3"] } },
    { description: "a string that equals only ignoring case", pattern: { source: ["AWS.EC2"] } },
    { description: "a number given as a string", pattern: { detail: { "c-count": ["5"] } } },
    {
      description: "a string given as a number",
      event: withDetail({ state: "5" }),
      pattern: { detail: { state: [5] } },
    },
    { description: "a boolean given as a string", pattern: { detail: { enabled: ["false"] } } },
    { description: "null for a missing field", pattern: { detail: { "no-such": [null] } } },
    { description: "an empty string for a missing field", pattern: { detail: { "no-such": [""] } } },
    { description: "a field missing from the event", pattern: { detail: { "no-such": ["x"] } } },
    { description: "a value on an intermediate node", pattern: { detail: { nested: ["value"] } } },
    {
      description: "fields from different array elements (array-consistent matching)",
      pattern: { detail: { employees: { firstName: ["Anna"], lastName: ["Jones"] } } },
    },
    {
      description: "exists false when the matched array element has the field",
      pattern: { detail: { employees: { firstName: ["John"], middleName: [{ exists: false }] } } },
    },
    {
      description: "exists false when any array element has the field",
      pattern: { detail: { employees: { middleName: [{ exists: false }] } } },
    },
    { description: "a prefix of another field", pattern: { time: [{ prefix: "2018" }] } },
    { description: "a prefix on a number", pattern: { detail: { "c-count": [{ prefix: "5" }] } } },
    { description: "a case-sensitive suffix", pattern: { detail: { FileName: [{ suffix: ".png" }] } } },
    {
      description: "anything but the value itself",
      pattern: { detail: { state: [{ "anything-but": "running" }] } },
    },
    {
      description: "anything but for a missing field",
      pattern: { detail: { "no-such": [{ "anything-but": "x" }] } },
    },
    {
      description: "anything but a number equal numerically",
      pattern: { detail: { "x-limit": [{ "anything-but": [301.8] }] } },
    },
    {
      description: "anything but a matching prefix",
      pattern: { region: [{ "anything-but": { prefix: "us-" } }] },
    },
    {
      description: "anything but ignoring case of the value",
      pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "RUNNING" } }] } },
    },
    {
      description: "anything but a matching wildcard",
      pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
    },
    {
      description: "a numeric range excluding the value",
      pattern: { detail: { "c-count": [{ numeric: [">", 5] }] } },
    },
    { description: "a numeric filter on a string", pattern: { detail: { state: [{ numeric: [">", 0] }] } } },
    {
      description: "a numeric filter on a number string",
      event: withDetail({ count: "7" }),
      pattern: { detail: { count: [{ numeric: [">", 0] }] } },
    },
    { description: "a numeric range beyond 5e9", pattern: { detail: { price: [{ numeric: [">", 0] }] } } },
    {
      description: "a number with more than 6 decimals",
      event: withDetail({ ratio: 0.5000001 }),
      pattern: { detail: { ratio: [{ numeric: [">", 0] }] } },
    },
    {
      description: "a number equal only after rounding to 6 decimals",
      event: withDetail({ ratio: 0.5000001 }),
      pattern: { detail: { ratio: [0.5] } },
    },
    { description: "exists for a missing field", pattern: { detail: { "no-such": [{ exists: true }] } } },
    { description: "exists on an intermediate node", pattern: { detail: { nested: [{ exists: true }] } } },
    { description: "exists on an empty event array", pattern: { detail: { empty: [{ exists: true }] } } },
    { description: "exists false for a present field", pattern: { detail: { state: [{ exists: false }] } } },
    {
      description: "a wildcard that does not cover the value",
      pattern: { detail: { FilePath: [{ wildcard: "/opt/*" }] } },
    },
    {
      description: "an escaped asterisk against another character",
      event: withDetail({ star: "axb" }),
      pattern: { detail: { star: [{ wildcard: "a\\*b" }] } },
    },
    { description: "a wildcard on a number", pattern: { detail: { "c-count": [{ wildcard: "*" }] } } },
    {
      description: "an address outside the CIDR",
      pattern: { detail: { "source-ip": [{ cidr: "10.0.1.0/24" }] } },
    },
    {
      description: "a CIDR starting above the address (range starts at the address as written)",
      pattern: { detail: { "source-ip": [{ cidr: "10.0.0.40/24" }] } },
    },
    {
      description: "a CIDR on a string that is no address",
      pattern: { detail: { state: [{ cidr: "10.0.0.0/8" }] } },
    },
    { description: "$or where no branch matches", pattern: { $or: [{ source: ["x"] }, { region: ["y"] }] } },
    { description: "one of two ANDed fields", pattern: { source: ["aws.ec2"], region: ["eu-west-1"] } },
  ])("does not match $description", ({ pattern, event }) => {
    // Arrange
    const compiled = compilePattern(pattern);

    // Act
    const result = matches(compiled, event ?? sample);

    // Assert
    expect(result).toBe(false);
  });

  it.each([
    {
      description: "a pattern that is not an object",
      pattern: ["source"],
      reason: "Filter is not an object",
    },
    { description: "a pattern that is null", pattern: null, reason: "Filter is not an object" },
    { description: "JSON text that is no JSON", pattern: "{source:", reason: "must be JSON text" },
    { description: "an empty pattern", pattern: {}, reason: "Empty objects are not allowed" },
    {
      description: "an empty nested object",
      pattern: { detail: {} },
      reason: "Empty objects are not allowed",
    },
    {
      description: "a leaf that is not an array",
      pattern: { source: "aws.ec2" },
      reason: '"source" must be an object or an array',
    },
    {
      description: "a numeric leaf that is not an array",
      pattern: { detail: { n: 5 } },
      reason: '"n" must be an object or an array',
    },
    { description: "an empty array", pattern: { source: [] }, reason: "Empty arrays are not allowed" },
    {
      description: "a nested array value",
      pattern: { source: [["a"]] },
      reason: "Match value must be String, number, true, false, or null",
    },
    {
      description: "an empty match expression",
      pattern: { source: [{}] },
      reason: "Match expression name not found",
    },
    {
      description: "an unknown operator",
      pattern: { source: [{ contains: "ec2" }] },
      reason: "Unrecognized match type contains",
    },
    {
      description: "two operators in one expression",
      pattern: { source: [{ prefix: "a", suffix: "b" }] },
      reason: "Only one key allowed in match expression",
    },
    {
      description: "a prefix that is a number",
      pattern: { source: [{ prefix: 1 }] },
      reason: "prefix match pattern must be a string",
    },
    {
      description: "a prefix with another option",
      pattern: { source: [{ prefix: { wildcard: "a" } }] },
      reason: "Unsupported prefix pattern: wildcard",
    },
    {
      description: "a prefix ignoring case that is no string",
      pattern: { source: [{ prefix: { "equals-ignore-case": 1 } }] },
      reason: "equals-ignore-case match pattern must be a string",
    },
    {
      description: "a suffix that is null",
      pattern: { source: [{ suffix: null }] },
      reason: "suffix match pattern must be a string",
    },
    {
      description: "equals-ignore-case with a number",
      pattern: { source: [{ "equals-ignore-case": 5 }] },
      reason: "equals-ignore-case match pattern must be a string",
    },
    {
      description: "anything-but with null",
      pattern: { source: [{ "anything-but": null }] },
      reason: "Value of anything-but must be an array or single string/number value.",
    },
    {
      description: "anything-but with a boolean",
      pattern: { source: [{ "anything-but": true }] },
      reason: "Value of anything-but must be an array or single string/number value.",
    },
    {
      description: "anything-but mixing strings and numbers",
      pattern: { source: [{ "anything-but": ["a", 1] }] },
      reason: "mixed type is not supported",
    },
    {
      description: "anything-but with an empty list",
      pattern: { source: [{ "anything-but": [] }] },
      reason: "mixed type is not supported",
    },
    {
      description: "anything-but listing null",
      pattern: { source: [{ "anything-but": ["a", null] }] },
      reason: "start|null|boolean is not supported",
    },
    {
      description: "anything-but with an unknown option",
      pattern: { source: [{ "anything-but": { numeric: [">", 1] } }] },
      reason: "Unsupported anything-but pattern: numeric",
    },
    {
      description: "anything-but with an empty prefix",
      pattern: { source: [{ "anything-but": { prefix: "" } }] },
      reason: "Null prefix/suffix not allowed",
    },
    {
      description: "anything-but prefix with a number",
      pattern: { source: [{ "anything-but": { prefix: 1 } }] },
      reason: "prefix/suffix match pattern must be a string",
    },
    {
      description: "anything-but ignoring case with a number",
      pattern: { source: [{ "anything-but": { "equals-ignore-case": [1] } }] },
      reason: "number|start|null|boolean is not supported",
    },
    {
      description: "anything-but with consecutive wildcards",
      pattern: { source: [{ "anything-but": { wildcard: "a**" } }] },
      reason: "Consecutive wildcard characters at pos 2",
    },
    {
      description: "numeric that is not an array",
      pattern: { n: [{ numeric: 5 }] },
      reason: "Value of numeric must be an array.",
    },
    {
      description: "numeric with an empty array",
      pattern: { n: [{ numeric: [] }] },
      reason: "Invalid member in numeric match",
    },
    {
      description: "numeric with an unknown operator",
      pattern: { n: [{ numeric: ["!=", 5] }] },
      reason: "Unrecognized numeric range operator: !=",
    },
    {
      description: "numeric with a string operand",
      pattern: { n: [{ numeric: [">", "5"] }] },
      reason: "Value of > must be numeric",
    },
    {
      description: "numeric with a second lower bound",
      pattern: { n: [{ numeric: [">", 0, ">", 5] }] },
      reason: "Bad numeric range operator: >",
    },
    {
      description: "numeric with an upper bound first",
      pattern: { n: [{ numeric: ["<", 5, ">", 0] }] },
      reason: "Too many elements in numeric expression",
    },
    {
      description: "numeric with too many terms",
      pattern: { n: [{ numeric: [">", 0, "<", 5, "<", 6] }] },
      reason: "Too many terms in numeric range expression",
    },
    {
      description: "numeric beyond 5e9",
      pattern: { n: [{ numeric: ["<", 6e9] }] },
      reason: "Value must be between -5.0E9 and 5.0E9, inclusive",
    },
    {
      description: "numeric with 7 decimals",
      pattern: { n: [{ numeric: ["=", 0.0000001] }] },
      reason: "Only values upto 6 decimals are supported",
    },
    {
      description: "numeric equals with a string operand",
      pattern: { n: [{ numeric: ["=", "5"] }] },
      reason: "Value of equals must be numeric",
    },
    {
      description: "numeric range with a string upper bound",
      pattern: { n: [{ numeric: [">", 0, "<=", "5"] }] },
      reason: "Value of <= must be numeric",
    },
    {
      description: "exists with a string",
      pattern: { n: [{ exists: "true" }] },
      reason: "exists match pattern must be either true or false.",
    },
    {
      description: "a wildcard that is no string",
      pattern: { n: [{ wildcard: 5 }] },
      reason: "wildcard match pattern must be a string",
    },
    {
      description: "consecutive wildcards",
      pattern: { n: [{ wildcard: "a**b" }] },
      reason: "Consecutive wildcard characters at pos 2",
    },
    {
      description: "an escape of an ordinary character",
      pattern: { n: [{ wildcard: "a\\b" }] },
      reason: "Invalid escape character at pos 2",
    },
    {
      description: "a trailing backslash",
      pattern: { n: [{ wildcard: "ab\\" }] },
      reason: "Invalid escape character at pos 3",
    },
    {
      description: "a CIDR without a mask",
      pattern: { ip: [{ cidr: "10.0.0.0" }] },
      reason: "Malformed CIDR, one '/' required",
    },
    {
      description: "a CIDR with a text mask",
      pattern: { ip: [{ cidr: "10.0.0.0/x" }] },
      reason: "Malformed CIDR, mask bits must be an integer",
    },
    {
      description: "a CIDR with a negative mask",
      pattern: { ip: [{ cidr: "10.0.0.0/-1" }] },
      reason: "mask bits must not be negative",
    },
    {
      description: "an IPv4 CIDR with a /32 mask",
      pattern: { ip: [{ cidr: "10.0.0.1/32" }] },
      reason: "IPv4 mask bits must be < 32",
    },
    {
      description: "an IPv6 CIDR with a /128 mask",
      pattern: { ip: [{ cidr: "::1/128" }] },
      reason: "IPv6 mask bits must be < 128",
    },
    {
      description: "a CIDR on a host name",
      pattern: { ip: [{ cidr: "example.com/8" }] },
      reason: "Nonstandard IP address: example.com",
    },
    {
      description: "a CIDR with an octet above 255",
      pattern: { ip: [{ cidr: "10.0.0.256/8" }] },
      reason: "Invalid IP address: 10.0.0.256",
    },
    {
      description: "a CIDR that is no string",
      pattern: { ip: [{ cidr: 10 }] },
      reason: "Event pattern is not valid. Reason: prefix match pattern must be a string",
    },
    {
      description: "$or that is not an array",
      pattern: { $or: { a: ["x"] } },
      reason: "It must be an Array followed with $or.",
    },
    {
      description: "$or with one alternative",
      pattern: { $or: [{ a: ["x"] }] },
      reason: "There must have at least 2 Objects in $or relationship.",
    },
    {
      description: "$or with a non-object alternative",
      pattern: { $or: [{ a: ["x"] }, "b"] },
      reason: "Only JSON object is allowed in array of $or relationship.",
    },
    {
      description: "$or using a reserved field name",
      pattern: { $or: [{ numeric: [1] }, { prefix: ["a"] }] },
      reason: "numeric is Ruler reserved fieldName which cannot be used inside $or.",
    },
  ])("refuses $description", ({ pattern, reason }) => {
    // Arrange
    const compile = () => compilePattern(pattern);

    // Act + Assert
    expect(compile).toThrow(InvalidEventPatternError);
    expect(compile).toThrow(reason);
  });

  it.each([
    { description: "numeric with an empty range", numeric: [">", 5, "<", 5] },
    { description: "numeric with an inverted range", numeric: [">=", 10, "<=", 1] },
    { description: "numeric with an upper bound at the minimum", numeric: ["<", -5e9] },
    { description: "numeric with an inclusive upper bound at the minimum", numeric: ["<=", -5e9] },
    { description: "numeric with an inclusive lower bound at the maximum", numeric: [">=", 5e9] },
    { description: "numeric with a lower bound at the maximum", numeric: [">", 5e9] },
    { description: "numeric with equal inclusive bounds", numeric: [">=", 5, "<=", 5] },
    { description: "numeric with crossed inclusive bounds", numeric: [">=", 5, "<=", 4.999999] },
  ])("refuses $description, whose range holds no number", ({ numeric }) => {
    // Arrange
    const compile = () => compilePattern({ n: [{ numeric }] });

    // Act + Assert
    expect(compile).toThrow(InvalidEventPatternError);
    expect(compile).toThrow("Bottom must be less than top");
  });

  it("prefixes every refusal with EventBridge's wording", () => {
    // Arrange
    const compile = () => compilePattern({ source: [] });

    // Act + Assert
    expect(compile).toThrow("Event pattern is not valid. Reason: Empty arrays are not allowed");
  });

  it("accepts the pattern as JSON text, as PutRule receives it", () => {
    // Arrange
    const text = JSON.stringify({ detail: { "c-count": [{ numeric: [">", 4] }] } });

    // Act
    const compiled = compilePattern(text);

    // Assert
    expect(matches(compiled, sample)).toBe(true);
  });

  it("applies fields after $or to every alternative", () => {
    // Arrange
    const compiled = compilePattern({
      $or: [{ source: ["aws.ec2"] }, { region: ["us-east-1"] }],
      account: ["nope"],
    });

    // Act
    const result = matches(compiled, sample);

    // Assert
    expect(result).toBe(false);
  });
});
