import { describe, expect, it } from "vitest";
import { pipeline } from "#infra/pipeline.ts";
import { parseProveArgs, runProve } from "#infra/prove/cli.ts";
import { compare, fromThousandths, Ledger, type ShownStats, toThousandths } from "#infra/prove/ledger.ts";

describe("npm run prove, given flags it cannot take", () => {
  it.each([
    {
      description: "an unknown fault",
      args: ["--faults", "meteor"],
      says: /--faults: no fault "meteor"; the faults are duplicate, reorder/,
    },
    {
      description: "writes that are not a number",
      args: ["--writes", "many"],
      says: /--writes must be a whole number of at least 1, e.g. 5000 \(given "many"\)/,
    },
    {
      description: "fewer writes than faults",
      args: ["--writes", "2", "--faults", "duplicate,reorder,kill-restart"],
      says: /--writes 2 is fewer than the 3 faults/,
    },
    { description: "an unknown flag", args: ["--chaos"], says: /Unknown option '--chaos'/ },
  ])("exits 2 with one clear line for $description, and starts nothing", async ({ args, says }) => {
    // Arrange
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await runProve(args, pipeline, { out: (l) => out.push(l), err: (l) => err.push(l) });

    // Assert
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(says);
    expect(out).toEqual([]);
  });

  it("defaults to every fault, 400 writes and seed 1", () => {
    // Act
    const flags = parseProveArgs([]);

    // Assert
    expect(flags).toMatchObject({ writes: 400, seed: 1, help: false });
    expect(flags.faults).toContain("kill-restart");
    expect(flags.faults).toContain("dynamodb-pause");
  });
});

describe("prove's ledger", () => {
  it.each([
    { text: "0.001", thousandths: 1n },
    { text: "12.5", thousandths: 12_500n },
    { text: "50", thousandths: 50_000n },
  ])("reads $text exactly and writes it back", ({ text, thousandths }) => {
    // Act
    const value = toThousandths(text);

    // Assert
    expect(value).toBe(thousandths);
    expect(fromThousandths(value)).toBe(text);
  });

  it("counts a missing entry as lost, an extra one as doubled, and a rounded total as a mismatch", () => {
    // Arrange
    const ledger = new Ledger();
    ledger.entry("a", "food", "0.1");
    ledger.entry("a", "food", "0.2");
    ledger.entry("b", "waste", "1.005");

    // Act
    const result = compare(
      ledger,
      new Map<string, ShownStats>([
        ["a", { entryCount: 1, totalKgCO2e: "0.1", byCategory: { food: "0.1" } }],
        ["b", { entryCount: 2, totalKgCO2e: 1.0050000000000001, byCategory: { waste: "2.01" } }],
      ]),
    );

    // Assert
    expect(result.lost).toBe(1);
    expect(result.doubled).toBe(1);
    expect(result.mismatches).toEqual([
      "a: totalKgCO2e is 0.1, the ledger says 0.3",
      "a: byCategory.food is 0.1, the ledger says 0.3",
      "b: totalKgCO2e is 1.0050000000000001, the ledger says 1.005",
      "b: byCategory.waste is 2.01, the ledger says 1.005",
    ]);
  });
});
