import { readFileSync } from "node:fs";
import { basename } from "node:path";

/** A process the runtime was started through, identified by pid and start time (pids get reused). */
export interface Launcher {
  readonly pid: number;
  /** Start time in clock ticks since boot (`/proc/PID/stat` field 22); "" off Linux. */
  readonly startTime: string;
  /** What it runs, for the line printed when it goes away (`npm`, `sh`, `tsx`…). */
  readonly name: string;
}

/** How far up to look for the `npm`/`npx` that started the runtime. */
const MAX_DEPTH = 6;

interface ProcStat {
  readonly ppid: number;
  readonly startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  // A zombie has exited already; only its parent has not collected it yet.
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return Number.isInteger(ppid) && startTime !== undefined ? { ppid, startTime } : undefined;
}

function commandName(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // npm retitles itself ("npm start …", "npm exec …" for npx) in one argument; started as
    // `node …/npm-cli.js start`, the script names the program.
    const [first = "?", second] = argv;
    const program = basename(first.split(" ")[0] ?? first);
    return program === "node" && second !== undefined
      ? basename(second).replace(/(-cli)?\.[cm]?js$/, "")
      : program;
  } catch {
    return "?";
  }
}

/**
 * The processes between this one and the `npm`/`npx` that launched it (`npm` → `sh` → `tsx` →
 * this), nearest first, or just the parent when no `npm`/`npx` is among the ancestors (started
 * with `tsx` or `node` directly).
 *
 * Linux reads them from `/proc`; elsewhere only the parent is known (its pid, no start time).
 */
export function launchers(pid: number = process.pid): Launcher[] {
  const chain: Launcher[] = [];
  let current = procStat(pid);
  if (current === undefined) return [{ pid: process.ppid, startTime: "", name: "parent" }];
  for (let depth = 0; depth < MAX_DEPTH && current !== undefined && current.ppid > 1; depth++) {
    const parent: number = current.ppid;
    const stat = procStat(parent);
    if (stat === undefined) break;
    const name = commandName(parent);
    chain.push({ pid: parent, startTime: stat.startTime, name });
    if (name === "npm" || name === "npx") return chain;
    current = stat;
  }
  return chain.slice(0, 1);
}

/** Whether the launcher still runs (the same process, not a new one that got its pid). */
export function isAlive(launcher: Launcher): boolean {
  if (launcher.startTime === "") {
    try {
      process.kill(launcher.pid, 0);
      return process.ppid === launcher.pid;
    } catch {
      return false;
    }
  }
  return procStat(launcher.pid)?.startTime === launcher.startTime;
}

/**
 * Calls `onGone` once, the first time one of the processes the runtime was launched through
 * exits: `kill <pid of npm start>` stops npm without waiting for its script, and `sh`, `tsx` and
 * the runtime would otherwise live on, holding the ports. Checks every `intervalMs`; the timer
 * does not keep the process alive.
 *
 * @returns a function that stops watching
 */
export function watchLaunchers(
  onGone: (launcher: Launcher) => void,
  options: { readonly intervalMs?: number; readonly watched?: readonly Launcher[] } = {},
): () => void {
  const watched = options.watched ?? launchers();
  const timer = setInterval(() => {
    const gone = watched.find((launcher) => !isAlive(launcher));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, options.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
