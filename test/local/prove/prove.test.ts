import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const FAULTS = [
  "duplicate",
  "reorder",
  "putevents-failures",
  "putevents-throttle",
  "consumer-error",
  "kill-restart",
  "dynamodb-pause",
];

describe("npm run prove", () => {
  it("writes through every fault but a consumer timeout, loses nothing, counts nothing twice, and says so", async () => {
    // Act
    const result = await run(
      "npx",
      ["tsx", "infra/prove/main.ts", "--writes", "70", "--seed", "3", "--faults", FAULTS.join(",")],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);

    // Assert
    expect("code" in result ? result.code : 0, `${result.stdout}\n${result.stderr}`).toBe(0);
    for (const fault of FAULTS) {
      // fault, acknowledged, injected, lost, doubled: each fault struck at least once, lost and doubled nothing
      expect(result.stdout).toMatch(new RegExp(`^${fault}\\s+\\d+\\s+[1-9]\\d*\\s+0\\s+0\\s`, "m"));
    }
    expect(result.stdout).toMatch(/audit: no difference/);
    expect(result.stdout).toMatch(/prove: nothing lost, nothing counted twice/);
  }, 600_000);
});
