import type { ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeRuntimePorts } from "#infra/local/ports.ts";
import { portFlags } from "./process-runtime.ts";
import { spawnScript } from "./spawn-script.ts";

/** The project's root, where `npm start` runs. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `npm start` running in a child process, started on free ports. */
export interface StartedRipple {
  readonly child: ChildProcess;
  readonly ports: { readonly api: number; readonly dynamodb: number; readonly eventbridge: number };
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** The bearer token the start printed. */
  token(): string;
  /** SIGTERM, then the exit code once the process (and its DynamoDB Local) has stopped. */
  stop(): Promise<number | null>;
}

/**
 * Runs `npm start -- <args>` (the same entry point, without npm in between) on free ports and
 * resolves once it prints "Press Ctrl-C to stop."; rejects with the output when it exits first.
 */
export async function startRipple(args: readonly string[], env: NodeJS.ProcessEnv): Promise<StartedRipple> {
  const ports = await freeRuntimePorts();
  const {
    child,
    output: printed,
    exited,
  } = spawnScript("infra/local/main.ts", [...portFlags(ports), ...args], env);
  const ready = new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (printed().includes("Press Ctrl-C to stop.")) {
        clearInterval(check);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(check);
      reject(new Error(`npm start exited (${code}) before it was ready:\n${printed()}`));
    });
  });
  await ready;
  return {
    child,
    ports: { api: ports.apiPort, dynamodb: ports.dynamodbPort, eventbridge: ports.eventbridgePort },
    output: printed,
    token() {
      const match = /Authorization: Bearer (\S+?)\)/.exec(printed());
      if (match === null) throw new Error(`npm start printed no token:\n${printed()}`);
      return match[1]!;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The environment of a fresh shell: no AWS settings, no token, nothing this test process set. */
export function freshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("AWS_") || key.startsWith("RIPPLE_") || key === "EVENT_BUS_NAME") continue;
    if (key.startsWith("TABLE_") || key.startsWith("POWERTOOLS_")) continue;
    env[key] = value;
  }
  return { ...env, AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent", ...extra };
}
