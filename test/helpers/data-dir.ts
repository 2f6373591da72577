import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh `--data` folder for a describe block, and the runtime its tests run on it. */
export interface SuiteDataDir<R> {
  readonly path: string;
  /** Starts a runtime on the folder with `how`; the one started last is stopped after the block. */
  start(how: (dataDir: string) => Promise<R>): Promise<R>;
}

/**
 * Makes a fresh `--data` folder for the describe block it is called in. After the block's tests it
 * stops the runtime started last, then removes the folder, so a run leaves neither behind.
 *
 * @example
 * const data = dataDirForSuite<RuntimeProcess>("ripple-crash-");
 * const runtime = await data.start((dataDir) => startRuntimeProcess(["--data", dataDir]));
 */
export function dataDirForSuite<R extends { stop(): Promise<unknown> }>(prefix: string): SuiteDataDir<R> {
  const path = mkdtempSync(join(tmpdir(), prefix));
  let running: R | undefined;
  afterAll(async () => {
    await running?.stop();
    rmSync(path, { recursive: true, force: true });
  });
  return {
    path,
    async start(how) {
      running = await how(path);
      return running;
    },
  };
}
