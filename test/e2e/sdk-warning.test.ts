import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { SDK_WARNING_SWITCH } from "#infra/node-support.ts";
import { portFlags } from "../helpers/process-runtime.ts";
import { type SpawnedScript, spawnScript } from "../helpers/spawn-script.ts";

/**
 * The commands a user runs print no AWS SDK Node-version warning on a supported Node.js, even
 * though the user set nothing: `npm start`, and `audit` and `redrive` against it.
 */

/** The environment a user has: without the switch the test runner sets for itself. */
const userEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env[SDK_WARNING_SWITCH];
  return env;
};

const run = spawnScript;

let start: SpawnedScript | undefined;
let endpoints: { dynamodb: string; eventbridge: string };

beforeAll(async () => {
  const ports = await freeRuntimePorts();
  endpoints = {
    dynamodb: `http://127.0.0.1:${ports.dynamodbPort}`,
    eventbridge: `http://127.0.0.1:${ports.eventbridgePort}`,
  };
  const started = run("infra/local/main.ts", portFlags(ports), userEnv());
  start = started;
  const deadline = Date.now() + 110_000;
  while (!started.output().includes("Press Ctrl-C to stop.")) {
    if (Date.now() > deadline || started.child.exitCode !== null)
      throw new Error(`npm start never started:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 150_000);

afterAll(async () => {
  if (start !== undefined && start.child.exitCode === null) {
    start.child.kill("SIGTERM");
    await start.exited;
  }
});

describe("the AWS SDK's Node-version warning", () => {
  it.each([
    { command: "npm run audit", script: "infra/audit/main.ts", args: [] },
    { command: "npm run redrive -- --dry-run", script: "infra/redrive/main.ts", args: ["--dry-run"] },
  ])("is not printed by npm start nor by $command against it", async ({ script, args }) => {
    // Arrange
    const env = {
      ...userEnv(),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };

    // Act
    const command = run(script, args, env);
    const code = await command.exited;

    // Assert
    expect(code).toBe(0);
    expect(command.output()).not.toContain("NodeVersionSupportWarning");
    expect(start?.output()).not.toContain("NodeVersionSupportWarning");
  });
});
