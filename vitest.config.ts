import { defineConfig } from "vitest/config";
import { sdkWarningEnvironment } from "./infra/node-support.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: {
      // Handlers read their configuration at module load; tests set what they need per suite.
      // The SDK's Node-version warning, off on a supported Node.js 20 (see infra/node-support.ts).
      ...sdkWarningEnvironment(),
      POWERTOOLS_DEV: "false",
    },
  },
});
