import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  SDK_WARNING_SWITCH,
  satisfiesEngines,
  sdkWarningEnvironment,
  supportedNodeRange,
} from "#infra/node-support.ts";

const RANGE = "^20.19.0 || >=22.12.0";

describe("satisfiesEngines", () => {
  it.each([
    { version: "v20.19.0", supported: true },
    { version: "v20.20.2", supported: true },
    { version: "v20.18.3", supported: false },
    { version: "v18.20.4", supported: false },
    { version: "v21.7.3", supported: false },
    { version: "v22.11.0", supported: false },
    { version: "v22.12.0", supported: true },
    { version: "v22.23.3", supported: true },
    { version: "v24.1.0", supported: true },
  ])("reads $version as supported: $supported", ({ version, supported }) => {
    // Act + Assert
    expect(satisfiesEngines(version, RANGE)).toBe(supported);
  });

  it.each([
    {
      description: "a version that is not one",
      version: "twenty",
      range: RANGE,
      says: /"twenty" is not a Node.js version/,
    },
    {
      description: "a comparator of another form",
      version: "v22.0.0",
      range: "~22.1.0",
      says: /"~22.1.0" is not of the form/,
    },
  ])("refuses $description, naming it", ({ version, range, says }) => {
    // Act + Assert
    expect(() => satisfiesEngines(version, range)).toThrow(says);
  });
});

describe("sdkWarningEnvironment", () => {
  it.each([
    { description: "a supported Node.js 20, where the pinned SDK runs", version: "v20.19.5", off: true },
    { description: "Node.js 22, where the SDK does not warn", version: "v22.12.0", off: false },
    { description: "an unsupported Node.js 18, where the warning applies", version: "v18.20.4", off: false },
  ])("turns the SDK's warning off only on $description", ({ version, off }) => {
    // Act
    const env = sdkWarningEnvironment(version, RANGE);

    // Assert
    expect(env).toEqual(off ? { [SDK_WARNING_SWITCH]: "true" } : {});
  });

  it("reads the supported range from package.json engines", () => {
    // Arrange
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } };

    // Act + Assert
    expect(supportedNodeRange()).toBe(manifest.engines.node);
    expect(satisfiesEngines(process.version, supportedNodeRange())).toBe(true);
  });
});
