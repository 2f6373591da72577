process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { startRuntime } from "#infra/local/runtime.ts";
import { pipeline } from "#infra/pipeline.ts";

/**
 * 1,500 CarbonTrack entries posted one at a time through the API of the whole local runtime,
 * for one user, with the pipeline running: seconds per 250 posts, so the last 250 can be set
 * beside the first 250, then how long the statistics take to count all of them, and each
 * CarbonTrack consumer's failed runs and dead letters (exit 1 if any event was dead-lettered or
 * the count is not exact).
 *
 * `npx tsx bench/carbon-posts.ts` (takes a few minutes; starts and stops its own runtime).
 */
const POSTS = 1_500;
const CHUNK = 250;
const USER = "daily-logger";

const runtime = await startRuntime({
  pipeline,
  ...(await freeRuntimePorts()),
  logger: { info: () => {}, warn: () => {}, error: console.error },
});
try {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${runtime.endpoints.api}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  };
  await post("/users", { userId: USER, name: "Daily logger" });
  const chunks: number[] = [];
  let chunkStart = performance.now();
  for (let i = 0; i < POSTS; i++) {
    await post(`/users/${USER}/entries`, {
      category: ["transport", "energy", "food"][i % 3],
      activity: "commute",
      kgCO2e: `${(i % 7) + 1}.25`,
      // Three a day from 2024-01-01: a daily logger's year and a half.
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 8 * 3_600_000).toISOString(),
    });
    if ((i + 1) % CHUNK === 0) {
      chunks.push((performance.now() - chunkStart) / 1000);
      console.log(`posts ${i + 2 - CHUNK}–${i + 1}: ${chunks.at(-1)!.toFixed(1)} s`);
      chunkStart = performance.now();
    }
  }
  const postedAt = performance.now();
  await runtime.settled({ timeoutMs: 600_000 });
  const settled = (performance.now() - postedAt) / 1000;
  const profile = await runtime.dynamodb.send(
    new GetItemCommand({
      TableName: pipeline.tables.carbonUsers!.tableName,
      Key: { userId: { S: USER } },
      ConsistentRead: true,
    }),
  );
  const stats = unmarshall(profile.Item ?? {}).stats as { entryCount?: number } | undefined;
  console.log(`last/first 250: ${((chunks.at(-1) ?? 0) / (chunks[0] ?? 1)).toFixed(2)}×`);
  console.log(
    `pipeline settled ${settled.toFixed(1)} s after the last post; entryCount ${stats?.entryCount} (expected ${POSTS})`,
  );
  // Each CarbonTrack consumer's runs, failed runs (a lost-race give-up or a timeout) and dead
  // letters, as the dashboard counts them: a busy user must cost no dead letter.
  const rows = runtime.stats().rows;
  const count = (name: string) => rows.find((row) => row.name === name)?.value ?? 0;
  let deadLetters = 0;
  for (const consumer of ["carbon-stats", "achievements"]) {
    deadLetters += count(`${consumer}: dead letters`);
    console.log(
      `${consumer}: ${count(`${consumer}: runs`)} runs, ${count(`${consumer}: function errors`)} failed (lost races given up or timed out), ${count(`${consumer}: dead letters`)} dead letters`,
    );
  }
  console.log(`dead letters: ${deadLetters} (target 0)`);
  if (deadLetters > 0 || stats?.entryCount !== POSTS) process.exitCode = 1;
} finally {
  await runtime.stop();
}
