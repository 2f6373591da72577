import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../helpers/npm-start.ts";

const json = (file: string) => JSON.parse(readFileSync(join(projectRoot, file), "utf8"));

describe("install scripts", () => {
  it("declares every locked package with an install script in allowScripts, so npm ci warns about none", () => {
    // Arrange
    const lock = json("package-lock.json") as {
      packages: Record<string, { hasInstallScript?: boolean; version?: string }>;
    };
    const allowed = (json("package.json") as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};

    // Act
    const uncovered = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path, entry]) => ({
        name: path.slice(path.lastIndexOf("node_modules/") + 13),
        version: entry.version,
      }))
      .filter(
        ({ name, version }) => allowed[name] === undefined && allowed[`${name}@${version}`] === undefined,
      );

    // Assert
    expect(uncovered).toEqual([]);
  });

  it("leaves npm with no install script to review, as `npm install-scripts ls` reports", () => {
    // Act
    const listed = execFileSync("npm", ["install-scripts", "ls"], { cwd: projectRoot, encoding: "utf8" });

    // Assert
    expect(listed).toContain("No packages with unreviewed install scripts");
  });
});
