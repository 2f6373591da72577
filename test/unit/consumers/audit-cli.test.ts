import { describe, expect, it } from "vitest";
import { auditTableNames } from "#infra/audit/audit.ts";
import { parseAuditArgs, runAudit } from "#infra/audit/cli.ts";
import { pipeline } from "#infra/pipeline.ts";

describe("audit CLI flags", () => {
  it.each([
    { description: "refuses an unknown flag", argv: ["--fix"], says: /Unknown option '--fix'/ },
    { description: "refuses a value for a switch", argv: ["--json=yes"], says: /--json/ },
    { description: "refuses a positional argument", argv: ["parking"], says: /parking/ },
    {
      description: "refuses an unknown stage",
      argv: ["--stage", "staging"],
      says: /--stage must be one of dev, prod \(given "staging"\)/,
    },
  ])("$description with exit code 2 and the usage", async ({ argv, says }) => {
    // Arrange
    const err: string[] = [];

    // Act
    const code = await runAudit(argv, { out: () => {}, err: (line) => err.push(line) });

    // Assert
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(says);
    expect(err.join("\n")).toMatch(/usage: npm run audit/);
  });

  it("prints the usage for --help and exits 0", async () => {
    // Arrange
    const out: string[] = [];

    // Act
    const code = await runAudit(["--help"], { out: (line) => out.push(line), err: () => {} });

    // Assert
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/--json/);
  });

  it("audits a deployed stage's tables by their stage names, unless a TABLE_ variable names one", () => {
    // Arrange
    const { stage } = parseAuditArgs(["--stage", "prod"]);

    // Act
    const tables = auditTableNames(pipeline, { TABLE_PETS: "my-pets" }, stage);

    // Assert
    expect(tables).toMatchObject({
      parkingData: "prod-parking-data",
      aggregates: "prod-ripple-aggregates",
      pets: "my-pets",
    });
  });
});
