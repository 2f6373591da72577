import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { importCycles, importGraph, sourceFiles } from "../helpers/import-graph.ts";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

describe("import cycles", () => {
  it("has none in functions/, infra/ and schemas/", () => {
    // Act
    const cycles = importCycles(importGraph(root, sourceFiles(root, ["functions", "infra", "schemas"])));

    // Assert
    expect(cycles).toEqual([]);
  });
});

describe("importCycles", () => {
  const dir = mkdtempSync(join(tmpdir(), "ripple-import-cycles-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    {
      description: "a cycle through a relative import and a package alias",
      files: {
        "src/a.ts": 'import { b } from "./b.ts";\nexport const a = b;\n',
        "src/b.ts": 'import type { C } from "#lib/c.ts";\nexport const b = 1;\n',
        "lib/c.ts": 'export type C = number;\nexport { a } from "../src/a.ts";\n',
      },
      expected: [["lib/c.ts", "src/a.ts", "src/b.ts"]],
    },
    {
      description: "a dynamic import back into its importer",
      files: {
        "src/a.ts": 'import {\n  b,\n} from "./b.ts";\nexport const a = b;\n',
        "src/b.ts": 'export const b = () => import("./a.ts");\n',
        "lib/c.ts": 'import "node:fs";\nexport const c = 1;\n',
      },
      expected: [["src/a.ts", "src/b.ts"]],
    },
    {
      description: "no cycle where imports only go one way",
      files: {
        "src/a.ts": 'import { b } from "./b.ts";\nimport { z } from "zod";\nexport const a = b + z;\n',
        "src/b.ts": 'import { c } from "#lib/c.ts";\nexport const b = c;\n',
        "lib/c.ts": "export const c = 1;\n",
      },
      expected: [],
    },
  ])("finds $description", ({ description, files, expected }) => {
    // Arrange
    const project = join(dir, description.replaceAll(" ", "-"));
    for (const [path, text] of Object.entries({
      ...files,
      "package.json": JSON.stringify({ imports: { "#lib/*": "./lib/*" } }),
    })) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }

    // Act
    const cycles = importCycles(importGraph(project, sourceFiles(project, ["src", "lib"])));

    // Assert
    expect(cycles).toEqual(expected);
  });
});
