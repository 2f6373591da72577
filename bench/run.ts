import { quietSdkWarningWhereItDoesNotApply } from "#infra/node-support.ts";
import { benchApi } from "./api.ts";
import { benchBundles } from "./bundles.ts";
import { benchBurst } from "./burst.ts";
import { benchCarbonHistory, benchConsumers } from "./consumers.ts";
import { benchCrashSafe } from "./crash-safe.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchEventBridge } from "./eventbridge.ts";
import { benchFanOut } from "./fan-out.ts";
import type { Row } from "./load.ts";
import { benchPipeline } from "./pipeline.ts";

quietSdkWarningWhereItDoesNotApply();

/**
 * Runs every benchmark module once and prints one table: value, baseline and target per row.
 * Add a module by adding its function to `benches`; name modules on the command line to run only those.
 */
const benches: Record<string, () => Promise<Row[]>> = {
  "fan-out": benchFanOut,
  eventbridge: benchEventBridge,
  consumers: benchConsumers,
  "carbon-history": benchCarbonHistory,
  pipeline: benchPipeline,
  api: () => benchApi(),
  bundles: () => benchBundles(),
  dashboard: benchDashboard,
  burst: benchBurst,
  "crash-safe": benchCrashSafe,
};

/**
 * Modules that start whole runtimes and take tens of minutes (bursts, crashes): run only when
 * named, `npm run bench -- burst crash-safe`.
 */
const ONLY_WHEN_NAMED = new Set(["burst", "crash-safe"]);

// `npm run bench -- consumers fan-out` runs only the modules named.
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(
    `unknown bench module ${unknown.join(", ")}; expected any of ${Object.keys(benches).join(", ")} (e.g. npm run bench -- bundles)`,
  );
  process.exit(2);
}
const lines: string[][] = [["bench", "measure", "value", "baseline", "target"]];
for (const [bench, run] of Object.entries(benches)) {
  if (only.length > 0 ? !only.includes(bench) : ONLY_WHEN_NAMED.has(bench)) continue;
  let rows: Row[];
  try {
    rows = await run();
  } catch (error) {
    lines.push([bench, "failed", String(error), "", ""]);
    continue;
  }
  for (const row of rows) {
    lines.push([
      bench,
      row.name,
      `${row.value} ${row.unit}`,
      row.baseline === undefined ? "" : `${row.baseline.value} (${row.baseline.name})`,
      row.target ?? "",
    ]);
  }
}
const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
for (const [index, line] of lines.entries()) {
  console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join("  "));
  if (index === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
