import { describe, expect, it } from "vitest";
import { MissingConfigurationError } from "#commons/errors.ts";
import { pipeline } from "#infra/pipeline.ts";
import { loadFanOutConfig } from "../../../functions/fan-out/config.ts";
import { functionEnvironments } from "../../helpers/function-config.ts";

const fullEnv = (): NodeJS.ProcessEnv =>
  functionEnvironments({ table: (key) => `prod-${pipeline.tables[key]!.tableName}`, busName: "prod-ripple" });

describe("loadFanOutConfig", () => {
  it("finds each source by the physical table name RIPPLE_CONFIG_FAN_OUT gives", () => {
    // Act
    const config = loadFanOutConfig(fullEnv());

    // Assert
    expect(config.busName).toBe("prod-ripple");
    expect(config.setAsideTableName).toBe("prod-ripple-set-aside");
    expect(config.sources.get("prod-PetStore")).toMatchObject({
      declaredName: "PetStore",
      source: { table: "PetStore" },
    });
    expect(config.sources.has("PetStore")).toBe(false);
  });

  it.each([
    {
      description: "the variable is missing",
      value: undefined,
      message: /environment variable RIPPLE_CONFIG_FAN_OUT is not set/,
    },
    { description: "it is not JSON", value: "{busName:", message: /RIPPLE_CONFIG_FAN_OUT is not JSON/ },
    {
      description: "a source names an unknown item schema",
      value: JSON.stringify({
        busName: "b",
        setAsideTableName: "set-aside",
        maxDepth: 3,
        sources: [{ tableName: "pets", declaredName: "pets", itemSchema: "Cat", changes: [] }],
      }),
      message: /RIPPLE_CONFIG_FAN_OUT is not a valid configuration of fan-out: .*itemSchema/s,
    },
  ])("fails loudly when $description", ({ value, message }) => {
    // Arrange
    const env = fullEnv();
    if (value === undefined) delete env.RIPPLE_CONFIG_FAN_OUT;
    else env.RIPPLE_CONFIG_FAN_OUT = value;

    // Act
    const act = () => loadFanOutConfig(env);

    // Assert
    expect(act).toThrow(MissingConfigurationError);
    expect(act).toThrow(message);
  });
});
