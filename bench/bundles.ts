import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BuildOptions, build } from "esbuild";
import { NODEJS_FUNCTION_BUILD } from "#infra/cdk/function.ts";
import { localEnvironment } from "#infra/local/runtime.ts";
import { functionsOf } from "#infra/model.ts";
import { model } from "#infra/pipeline.ts";
import { percentile, type Row } from "./load.ts";

const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)));
/** Inside the project, so the bundles' external `@aws-sdk/*` imports resolve as the Lambda runtime's would. */
const outRoot = join(projectRoot, ".bench", "bundles");

/** The esbuild settings of a deploy (`NODEJS_FUNCTION_BUILD`), written to files with a metafile. */
const BUNDLING: BuildOptions = {
  ...NODEJS_FUNCTION_BUILD,
  mainFields: [...NODEJS_FUNCTION_BUILD.mainFields],
  external: [...NODEJS_FUNCTION_BUILD.external],
  outExtension: { ".js": ".mjs" },
  metafile: true,
  logLevel: "error",
};

/** The smallest handler there is: the floor every bundle's size and import time is read against. */
const EMPTY_HANDLER = "export const handler = async () => ({});\n";

/** How many times each bundle is imported in a fresh process; the median is reported. @default 7 */
export interface BenchBundlesOptions {
  readonly imports?: number;
}

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** Source files of the bundle under `infra/`, from esbuild's metafile. */
  readonly infraSources: number;
}

async function bundle(name: string, entry: string): Promise<Bundle> {
  const outdir = join(outRoot, name);
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    ...BUNDLING,
    entryPoints: { index: entry },
    outdir,
    absWorkingDir: projectRoot,
  });
  const outputs = Object.entries(result.metafile?.outputs ?? {});
  const output = outputs.find(([path]) => path.endsWith("index.mjs"));
  if (output === undefined) throw new Error(`esbuild produced no index.mjs for ${name} (${entry})`);
  const [, meta] = output;
  return {
    name,
    file: join(outdir, "index.mjs"),
    bytes: meta.bytes,
    infraSources: Object.keys(meta.inputs).filter((input) => input.startsWith("infra/")).length,
  };
}

/**
 * What a deployed function finds in its environment at cold start: what infra/cdk/function.ts
 * sets for every function, and the configuration the local runtime gives handlers from the model
 * (`RIPPLE_CONFIG_<SERVICE>`, the metrics namespace; endpoints that no request reaches, since
 * importing a handler sends none).
 */
function coldStartEnvironment(serviceName: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    NODE_OPTIONS: "--enable-source-maps",
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_LOG_LEVEL: "INFO",
    ...localEnvironment(
      model,
      { dynamodb: "http://127.0.0.1:9", eventbridge: "http://127.0.0.1:9" },
      "bench-bundles-token",
    ),
  };
}

/** Milliseconds one fresh `node` process spends in `await import(file)`, measured inside it. */
function importOnce(file: string, env: Record<string, string>): Promise<number> {
  const script =
    "const t = performance.now(); const m = await import(process.argv[1]);" +
    "if (typeof m.handler !== 'function') throw new Error('no handler exported');" +
    "process.stdout.write(String(performance.now() - t));";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, pathToFileURL(file).href], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(out);
      if (code !== 0 || !Number.isFinite(ms)) {
        reject(new Error(`importing ${file} failed (exit ${code}): ${err.trim().slice(0, 400)}`));
      } else resolve(ms);
    });
  });
}

/**
 * Size and cold import time of every function's deployment bundle: each handler the declaration
 * names (fan-out, api, every consumer) bundled with esbuild as `NodejsFunction` bundles it, then
 * imported `imports` times, each time in a fresh `node` process with the function's environment
 * and source maps enabled as on Lambda; the median import time is reported. Baseline, measured in
 * the same run and the same way: an empty handler's bundle. Rounds interleave the bundles so a
 * slow moment of the machine falls on all of them alike.
 *
 * Also counts each bundle's sources under `infra/` (deployed code should carry none).
 */
export async function benchBundles(options: BenchBundlesOptions = {}): Promise<Row[]> {
  const imports = options.imports ?? 7;
  const handlers = functionsOf(model).map((fn): [string, string] => [fn.service, fn.handler]);
  const emptyEntry = join(outRoot, "empty-handler.ts");
  await mkdir(outRoot, { recursive: true });
  await writeFile(emptyEntry, EMPTY_HANDLER);
  const empty = await bundle("empty-handler", emptyEntry);
  const bundles = [];
  for (const [name, handler] of handlers) bundles.push(await bundle(name, join(projectRoot, handler)));

  const samples = new Map<string, number[]>([
    [empty.name, []],
    ...bundles.map((b): [string, number[]] => [b.name, []]),
  ]);
  for (let round = 0; round < imports; round++) {
    for (const b of [empty, ...bundles]) {
      samples.get(b.name)?.push(await importOnce(b.file, coldStartEnvironment(b.name)));
    }
  }
  const median = (name: string): number => {
    const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    return Number(percentile(sorted, 50).toFixed(1));
  };

  const rows: Row[] = [];
  for (const b of bundles) {
    rows.push({
      name: `${b.name} bundle (index.mjs)`,
      value: b.bytes,
      unit: "bytes",
      baseline: { name: "empty handler bundle", value: empty.bytes },
    });
    rows.push({
      name: `${b.name} cold import (median of ${imports})`,
      value: median(b.name),
      unit: "ms",
      baseline: { name: "empty handler bundle", value: median(empty.name) },
    });
    rows.push({ name: `${b.name} sources under infra/`, value: b.infraSources, unit: "files", target: "0" });
  }
  return rows;
}
