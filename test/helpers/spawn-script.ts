import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A project script running as its own process, with everything it has printed so far. */
export interface SpawnedScript {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Runs a project script the way `npm start` runs its entry (`node --import tsx`), from the project
 * root, collecting stdout and stderr together.
 *
 * @example
 * const started = spawnScript("infra/local/main.ts", ["--api-port", "3100"], process.env);
 */
export function spawnScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): SpawnedScript {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
