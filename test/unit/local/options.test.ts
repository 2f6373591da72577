import { describe, expect, it } from "vitest";
import { parseRuntimeOptions, UsageError } from "#infra/local/options.ts";

describe("parseRuntimeOptions", () => {
  it("uses the documented default ports, in memory", () => {
    expect(parseRuntimeOptions([])).toEqual({ apiPort: 3000, dynamodbPort: 8000, eventbridgePort: 8010 });
  });

  it.each([
    { description: "flags with separate values", argv: ["--api-port", "3100", "--data", ".data"], env: {} },
    { description: "flags with inline values", argv: ["--api-port=3100", "--data=.data"], env: {} },
    { description: "environment variables", argv: ["--data", ".data"], env: { RIPPLE_API_PORT: "3100" } },
  ])("overrides a port and keeps data from $description", ({ argv, env }) => {
    expect(parseRuntimeOptions(argv, env)).toMatchObject({ apiPort: 3100, dataDir: ".data" });
  });

  it("lets a flag win over the environment", () => {
    expect(parseRuntimeOptions(["--dynamodb-port", "8100"], { RIPPLE_DYNAMODB_PORT: "8200" })).toMatchObject({
      dynamodbPort: 8100,
    });
  });

  it("answers help", () => {
    expect(parseRuntimeOptions(["--help"])).toBe("help");
  });

  it.each([
    {
      description: "a port that is not a number",
      argv: ["--api-port", "abc"],
      env: {},
      message: '--api-port must be a port number between 1 and 65535 (given "abc")',
    },
    {
      description: "a port out of range",
      argv: ["--eventbridge-port", "70000"],
      env: {},
      message: '(given "70000")',
    },
    { description: "port 0", argv: ["--api-port=0"], env: {}, message: '(given "0")' },
    {
      description: "a bad port in the environment",
      argv: [],
      env: { RIPPLE_API_PORT: "x" },
      message: 'RIPPLE_API_PORT must be a port number between 1 and 65535 (given "x")',
    },
    { description: "a flag without its value", argv: ["--data"], env: {}, message: "--data needs a value" },
    {
      description: "a flag followed by another flag",
      argv: ["--api-port", "--data", ".data"],
      env: {},
      message: "--api-port needs a value",
    },
    { description: "an unknown flag", argv: ["--verbose"], env: {}, message: 'unknown option "--verbose"' },
    {
      description: "two services on one port",
      argv: ["--api-port", "8000"],
      env: {},
      message: "DynamoDB Local both asked for port 8000",
    },
  ])("refuses $description with a message naming it", ({ argv, env, message }) => {
    // Act
    const act = () => parseRuntimeOptions(argv, env);
    // Assert
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});
