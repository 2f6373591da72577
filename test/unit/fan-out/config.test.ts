import { describe, expect, it } from "vitest";
import { MissingConfigurationError } from "#commons/errors.ts";
import { pipeline } from "#infra/pipeline.ts";
import { tableEnvVar } from "#infra/topology.ts";
import { loadFanOutConfig } from "../../../functions/fan-out/config.ts";

const fullEnv = (): NodeJS.ProcessEnv => ({
  EVENT_BUS_NAME: "prod-ripple",
  ...Object.fromEntries(
    Object.entries(pipeline.tables).map(([key, t]) => [tableEnvVar(key), `prod-${t.tableName}`]),
  ),
});

describe("loadFanOutConfig", () => {
  it("finds each source by the physical table name its TABLE_* variable gives", () => {
    // Act
    const config = loadFanOutConfig(fullEnv());

    // Assert
    expect(config.busName).toBe("prod-ripple");
    expect(config.setAsideTableName).toBe("prod-ripple-set-aside");
    expect(config.sources.get("prod-PetStore")).toMatchObject({
      declaredName: "PetStore",
      source: { table: "pets" },
    });
    expect(config.sources.has("PetStore")).toBe(false);
  });

  it.each([
    { description: "EVENT_BUS_NAME", variable: "EVENT_BUS_NAME" },
    { description: "a source table's variable", variable: "TABLE_PARKING_DATA" },
    { description: "the set-aside table's variable", variable: "TABLE_SET_ASIDE" },
  ])("fails loudly naming $description when it is missing", ({ variable }) => {
    // Arrange
    const env = fullEnv();
    delete env[variable];

    // Act
    const act = () => loadFanOutConfig(env);

    // Assert
    expect(act).toThrow(MissingConfigurationError);
    expect(act).toThrow(new RegExp(`environment variable ${variable} is not set`));
  });
});
