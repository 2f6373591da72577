import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliUsage, flagsOrExit, parseFlags } from "../cli/flags.ts";
import type { PipelineDeclaration } from "../declaration.ts";
import { freeRuntimePorts } from "../local/ports.ts";
import { ProveError, ProveUsageError } from "./errors.ts";
import { FAULTS, type FaultName, type PhaseResult, prove } from "./prove.ts";
import { RuntimeProcess } from "./runtime-process.ts";

/**
 * `npm run prove`: drives a seeded workload through the API of a fresh runtime while injecting
 * faults, one phase per fault; after each, waits for the pipeline, redrives what was set aside and
 * compares the users' statistics with its own ledger; at the end runs `npm run audit`.
 * Exit 0 when nothing was lost or counted twice and the audit agrees, 1 otherwise, 2 on bad flags.
 */

export const USAGE = `usage: npm run prove -- [--writes N] [--seed N] [--faults F,F,...]
  --writes N     entries to write across all phases (default 400, e.g. 5000)
  --seed N       seed of the workload, to repeat a run (default 1)
  --faults LIST  faults to inject, one phase each, in order (default all):
                 ${FAULTS.join(", ")}
  --help         show this text`;

export interface ProveFlags {
  readonly writes: number;
  readonly seed: number;
  readonly faults: readonly FaultName[];
  readonly help: boolean;
}

/** Parses prove's flags; throws {@link ProveUsageError} on anything else. */
export function parseProveArgs(argv: readonly string[]): ProveFlags {
  const { values } = parseFlags(
    argv,
    { strings: ["writes", "seed", "faults"], booleans: ["help"] },
    (message, cause) => new ProveUsageError(`${message}\n${USAGE}`, { cause }),
  );
  const whole = (flag: string, text: unknown, min: number, fallback: number, example: string) => {
    if (text === undefined) return fallback;
    const n = typeof text === "string" && /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= min))
      throw new ProveUsageError(
        `--${flag} must be a whole number of at least ${min}, e.g. ${example} (given ${JSON.stringify(text)})`,
      );
    return n;
  };
  const faults =
    typeof values.faults === "string" ? values.faults.split(",").map((f) => f.trim()) : [...FAULTS];
  for (const fault of faults) {
    if (!(FAULTS as readonly string[]).includes(fault)) {
      throw new ProveUsageError(`--faults: no fault "${fault}"; the faults are ${FAULTS.join(", ")}`);
    }
  }
  const writes = whole("writes", values.writes, 1, 400, "5000");
  if (writes < faults.length) {
    throw new ProveUsageError(
      `--writes ${writes} is fewer than the ${faults.length} faults; give at least one write per fault`,
    );
  }
  return {
    writes,
    seed: whole("seed", values.seed, 0, 1, "42"),
    faults: faults as FaultName[],
    help: values.help === true,
  };
}

function line(r: PhaseResult): string {
  const c = r.comparison;
  return [
    r.fault.padEnd(20),
    String(r.acknowledged).padStart(6),
    String(r.injected).padStart(9),
    String(c.lost).padStart(6),
    String(c.doubled).padStart(8),
    String(r.setAside).padStart(10),
    `${(r.convergeMs / 1000).toFixed(1)} s`.padStart(10),
  ].join(" ");
}

const PROVE_CLI: CliUsage = { usage: USAGE, UsageError: ProveUsageError, prefix: "prove: " };

/** Runs prove as the CLI does and returns the exit code. */
export async function runProve(
  argv: readonly string[],
  pipeline: PipelineDeclaration,
  io: { readonly out: (line: string) => void; readonly err: (line: string) => void },
): Promise<number> {
  const flags = flagsOrExit(() => parseProveArgs(argv), PROVE_CLI, io);
  if (typeof flags === "number") return flags;
  const dataDir = mkdtempSync(join(tmpdir(), "ripple-prove-"));
  const token = randomBytes(18).toString("base64url");
  const runtime = new RuntimeProcess({ ...(await freeRuntimePorts()), dataDir, token });
  io.out(
    `prove: ${flags.writes} writes, seed ${flags.seed}, faults ${flags.faults.join(", ")}; data in ${dataDir}`,
  );
  io.out(
    `${"fault".padEnd(20)} ${"acked".padStart(6)} ${"injected".padStart(9)} ${"lost".padStart(6)} ${"doubled".padStart(8)} ${"set aside".padStart(10)} ${"converged".padStart(10)}`,
  );
  try {
    await runtime.start();
    const { phases, audit } = await prove({
      runtime,
      pipeline,
      token,
      ...flags,
      onPhase: (r) => io.out(line(r)),
    });
    const last = phases.at(-1)?.comparison;
    for (const mismatch of last?.mismatches ?? []) io.out(`  ${mismatch}`);
    io.out(`audit: ${audit.code === 0 ? "no difference" : "differences found"}`);
    if (audit.code !== 0) io.out(audit.stdout);
    const idle = phases.filter((p) => p.injected === 0).map((p) => p.fault);
    if (idle.length > 0) io.out(`  these faults never struck (give more --writes): ${idle.join(", ")}`);
    const exact = last !== undefined && last.lost === 0 && last.doubled === 0 && last.mismatches.length === 0;
    io.out(exact && audit.code === 0 ? "prove: nothing lost, nothing counted twice" : "prove: FAILED");
    return exact && audit.code === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ProveError)) throw error;
    io.err(`prove: ${error.message}`);
    io.err(`the runtime's last output:\n${runtime.log.slice(-3000)}`);
    return 1;
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
