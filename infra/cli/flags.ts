import { parseArgs } from "node:util";

/**
 * Flag handling shared by ripple's CLIs (`npm run audit`, `prove`, `redrive`, `replay`): strict
 * parsing through Node's `parseArgs`, a CLI's own usage error for whatever it refuses, and the
 * usual exits (2 on bad flags, 0 after `--help`). What each flag means stays with its CLI.
 */

/** The flags a CLI read: each string flag given (absent when not), each boolean flag (false when not). */
export interface ParsedFlags<S extends string, B extends string> {
  readonly values: { readonly [K in S]?: string } & { readonly [K in B]: boolean };
  readonly positionals: string[];
}

/**
 * Parses `argv` strictly (`node:util` `parseArgs`): flags that take a value (`strings`) and flags
 * that do not (`booleans`, false unless given); positional arguments only when `allowPositionals`.
 * What `parseArgs` refuses (an unknown flag, a missing value) is thrown as the error `refuse`
 * builds from its message.
 *
 * @example
 * const { values } = parseFlags(argv, { strings: ["seed"], booleans: ["help"] }, (message, cause) =>
 *   new ProveUsageError(`${message}\n${USAGE}`, { cause }),
 * );
 */
export function parseFlags<const S extends string = never, const B extends string = never>(
  argv: readonly string[],
  flags: { readonly strings?: readonly S[]; readonly booleans?: readonly B[] },
  refuse: (message: string, cause: unknown) => Error,
  allowPositionals = false,
): ParsedFlags<S, B> {
  const options: Record<string, { type: "string" } | { type: "boolean"; default: false }> = {};
  for (const name of flags.strings ?? []) options[name] = { type: "string" };
  for (const name of flags.booleans ?? []) options[name] = { type: "boolean", default: false };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { values: values as ParsedFlags<S, B>["values"], positionals };
  } catch (error) {
    throw refuse(error instanceof Error ? error.message : String(error), error);
  }
}

/** Where a CLI writes: its output, and its errors. */
export interface CliOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** How a CLI names itself when its flags are wrong or help is asked for. */
export interface CliUsage {
  readonly usage: string;
  /** The error its flag parser throws for flags it refuses. */
  readonly UsageError: abstract new (
    ...args: never[]
  ) => Error;
  /** What its error lines begin with ("prove: "). */
  readonly prefix: string;
}

/**
 * Runs a CLI's flag parser and answers the flags, or the exit code when there is nothing to run:
 * 2 after writing a usage error to `err`, 0 after writing the usage for `--help`.
 */
export function flagsOrExit<F extends { readonly help: boolean }>(
  parse: () => F,
  cli: CliUsage,
  io: CliOutput,
): F | number {
  let flags: F;
  try {
    flags = parse();
  } catch (error) {
    if (!(error instanceof cli.UsageError)) throw error;
    io.err(`${cli.prefix}${error.message}`);
    return 2;
  }
  if (flags.help) {
    io.out(cli.usage);
    return 0;
  }
  return flags;
}
