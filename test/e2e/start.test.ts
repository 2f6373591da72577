import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { portFlags } from "../helpers/process-runtime.ts";
import { type SpawnedScript, spawnScript } from "../helpers/spawn-script.ts";

type Started = SpawnedScript;

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  return spawnScript("infra/local/main.ts", args, env);
}

/** Free ports for `npm start`, and the flags that pass them. */
async function freePortFlags() {
  const ports = await freeRuntimePorts();
  return {
    api: ports.apiPort,
    dynamodb: ports.dynamodbPort,
    eventbridge: ports.eventbridgePort,
    args: portFlags(ports),
  };
}

async function waitFor(what: () => boolean, timeoutMs: number, describeFailure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(describeFailure());
    await new Promise((r) => setTimeout(r, 100));
  }
}

function javaOnPort(port: number): string[] {
  try {
    return execFileSync("pgrep", ["-f", `LoopbackDynamoDBLocal.java -port ${port} `], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  } catch {
    return [];
  }
}

describe("npm start", () => {
  let running: Started | undefined;

  afterEach(async () => {
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    running = undefined;
  });

  it.each([
    { description: "SIGINT (Ctrl-C)", signal: "SIGINT" as const },
    { description: "SIGTERM", signal: "SIGTERM" as const },
  ])(
    "prints every endpoint, answers /health, and on $description stops leaving no java process",
    async ({ signal }) => {
      // Arrange
      const { api, dynamodb, eventbridge, args } = await freePortFlags();
      running = start(args);
      const started = running;
      await waitFor(
        () => started.output().includes("Press Ctrl-C to stop."),
        90_000,
        () => `never started:\n${started.output()}`,
      );

      // Act
      const health = await fetch(`http://127.0.0.1:${api}/health`);
      const javaWhileRunning = javaOnPort(dynamodb);
      started.child.kill(signal);
      const code = await started.exited;

      // Assert
      expect(started.output()).toContain(`API           http://127.0.0.1:${api}`);
      expect(started.output()).toContain(`DynamoDB      http://127.0.0.1:${dynamodb}`);
      expect(started.output()).toContain(`EventBridge   http://127.0.0.1:${eventbridge}`);
      expect(started.output()).toMatch(/Authorization: Bearer \S+/);
      expect(health.status).toBe(200);
      expect(javaWhileRunning).toHaveLength(1);
      expect(code).toBe(0);
      expect(started.output()).toContain("ripple: stopped.");
      expect(javaOnPort(dynamodb)).toEqual([]);
    },
  );

  it("stops with one line saying how to install java when java is not on the PATH", async () => {
    // Arrange
    const { args } = await freePortFlags();
    const onlyNode = mkdtempSync(join(tmpdir(), "ripple-no-java-"));
    symlinkSync(process.execPath, join(onlyNode, "node"));
    const env = { ...process.env, PATH: onlyNode };

    // Act
    running = start(args, env);
    const code = await running.exited;
    rmSync(onlyNode, { recursive: true });

    // Assert
    expect(code).toBe(1);
    expect(running.output()).toMatch(
      /^ripple: java was not found on the PATH: DynamoDB Local needs Java 17 or newer; install it .*$/m,
    );
  });

  it.each([
    { description: "an unknown flag", args: ["--verbose"], message: 'ripple: unknown option "--verbose"' },
    {
      description: "a port that is not a number",
      args: ["--api-port", "http"],
      message: '--api-port must be a port number between 1 and 65535 (given "http")',
    },
  ])("exits 2 on $description, saying what to change", async ({ args, message }) => {
    // Act
    running = start(args);
    const code = await running.exited;
    // Assert
    expect(code).toBe(2);
    expect(running.output()).toContain(message);
  });
});
