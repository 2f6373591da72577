import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshEnv, projectRoot, type StartedRipple, startRipple } from "../helpers/npm-start.ts";

const run = promisify(execFile);

/** A shell example of the README marked `<!-- readme-test: run -->`, with the output it shows if any. */
interface Example {
  readonly script: string;
  readonly output: string | undefined;
}

/** The fenced block right after each marker line, and the output block marked right after it. */
function readmeExamples(readme: string): Example[] {
  const block = (from: number) => {
    const open = readme.indexOf("```", from);
    const start = readme.indexOf("\n", open) + 1;
    const end = readme.indexOf("\n```", start);
    return { text: readme.slice(start, end + 1), end: end + 4 };
  };
  const examples: Example[] = [];
  let at = readme.indexOf("<!-- readme-test: run -->");
  while (at !== -1) {
    const script = block(at);
    const next = readme.indexOf("<!-- readme-test: ", script.end);
    const output =
      next !== -1 && readme.startsWith("<!-- readme-test: output -->", next) ? block(next).text : undefined;
    examples.push({ script: script.text, output });
    at = readme.indexOf("<!-- readme-test: run -->", script.end);
  }
  return examples;
}

/** The README's default ports, replaced by the ones this run got (the only change made). */
function onPorts(text: string, ports: StartedRipple["ports"]): string {
  return text
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${ports.api}`)
    .replaceAll("127.0.0.1:8000", `127.0.0.1:${ports.dynamodb}`)
    .replaceAll("127.0.0.1:8010", `127.0.0.1:${ports.eventbridge}`);
}

async function bash(script: string, cwd: string) {
  try {
    const { stdout, stderr } = await run("bash", ["-e", "-o", "pipefail", "-c", script], {
      cwd,
      env: freshEnv(),
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("the README's and npm start's commands, run with bash as printed", () => {
  const folder = mkdtempSync(join(tmpdir(), "ripple-readme-"));
  const examples = readmeExamples(readFileSync(join(projectRoot, "README.md"), "utf8"));
  let ripple: StartedRipple;

  beforeAll(async () => {
    // As the README says: `npm start -- --data .data`, and the examples run from the same folder.
    ripple = await startRipple(["--data", join(folder, ".data")], freshEnv());
  }, 180_000);

  afterAll(async () => {
    await ripple?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("finds the marked examples, the first with the output it shows", () => {
    // Assert
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples[0]?.output).toBeDefined();
  });

  it.each(
    readmeExamples(readFileSync(join(projectRoot, "README.md"), "utf8")).map((example, i) => ({
      i,
      example,
    })),
  )(
    "runs example $i without an error, printing what the README shows when it shows it",
    async ({ example }) => {
      // Act
      const result = await bash(onPorts(example.script, ripple.ports), folder);

      // Assert
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      if (example.output !== undefined) {
        expect(result.stdout.trim()).toBe(onPorts(example.output, ripple.ports).trim());
      }
    },
  );

  it("runs the curl command npm start prints and gets the car parks", async () => {
    // Arrange
    const printed = /^ {2}try {11}(.+)$/m.exec(ripple.output())?.[1];

    // Act
    const result = await bash(printed ?? "false", folder);

    // Assert
    expect(printed).toMatch(/^curl /);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ success: true, totalCapacity: 1050 });
  });

  it("runs npm run audit, as the README's table shows it, after the export npm start prints", async () => {
    // Arrange
    const printed = /^ {2}AWS CLI, SDKs (export .+)$/m.exec(ripple.output())?.[1];

    // Act
    const result = await bash(`${printed ?? "false"}\nnpm run audit`, projectRoot);

    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("audit: no differences");
  }, 120_000);
});
