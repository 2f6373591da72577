import { LocalRuntimeError } from "./errors.ts";

/** How `npm start` is asked to run. */
export interface RuntimeOptions {
  /** API and dashboard port. @default 3000 */
  readonly apiPort: number;
  /** DynamoDB Local port. @default 8000 */
  readonly dynamodbPort: number;
  /** Local EventBridge port. @default 8010 */
  readonly eventbridgePort: number;
  /** Folder that keeps tables and stream checkpoints across restarts. @default in memory */
  readonly dataDir?: string;
  /**
   * File every stream record the pollers deliver is appended to, one JSON line each, in Lambda's
   * shape: what `npm run replay` reads. @default nothing recorded
   */
  readonly recordFile?: string;
  /**
   * Wait before a consumer's first asynchronous retry (the second waits twice as long), from
   * `RIPPLE_ASYNC_RETRY_DELAY_MS`. @default 60000, Lambda's one minute
   */
  readonly asyncRetryDelayMs?: number;
}

/** Bad command-line input: the message says which flag, the value and the fix. */
export class UsageError extends LocalRuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

export const USAGE = `Usage: npm start -- [options]

Runs the whole ripple pipeline on this machine: DynamoDB Local, the stream pollers,
the local EventBridge endpoint, the consumers and the HTTP API with its dashboard.

Options:
  --api-port N           API and dashboard port (default 3000, env RIPPLE_API_PORT)
  --dynamodb-port N      DynamoDB Local port (default 8000, env RIPPLE_DYNAMODB_PORT)
  --eventbridge-port N   local EventBridge port (default 8010, env RIPPLE_EVENTBRIDGE_PORT)
  --data DIR             keep tables, stream checkpoints and the API token in DIR
                         across restarts (default: in memory, gone on exit)
  --record FILE          append every stream record the pollers deliver to FILE, one JSON
                         line each, for \`npm run replay -- FILE\`
  -h, --help             show this help
`;

const PORT_FLAGS = {
  "--api-port": { key: "apiPort", env: "RIPPLE_API_PORT", fallback: 3000, role: "API and dashboard" },
  "--dynamodb-port": {
    key: "dynamodbPort",
    env: "RIPPLE_DYNAMODB_PORT",
    fallback: 8000,
    role: "DynamoDB Local",
  },
  "--eventbridge-port": {
    key: "eventbridgePort",
    env: "RIPPLE_EVENTBRIDGE_PORT",
    fallback: 8010,
    role: "EventBridge",
  },
} as const;

/** One of the runtime's ports with what it serves and the flag and variable that change it. */
export interface PortSetting {
  readonly port: number;
  readonly role: string;
  readonly flag: string;
  readonly env: string;
}

/** The three ports of `options`, each with its flag and environment variable. */
export function portSettings(options: RuntimeOptions): PortSetting[] {
  return Object.entries(PORT_FLAGS).map(([flag, spec]) => ({
    port: options[spec.key],
    role: spec.role,
    flag,
    env: spec.env,
  }));
}

/**
 * The one line `npm start` prints when a port is taken.
 *
 * @example
 * portInUseMessage({ port: 3000, role: "API and dashboard", flag: "--api-port", env: "RIPPLE_API_PORT" })
 * // "port 3000 (API and dashboard) is already in use; choose another with --api-port N or RIPPLE_API_PORT=N, or stop what listens on it (ss -ltnp 'sport = :3000')"
 */
export function portInUseMessage(setting: PortSetting): string {
  return `port ${setting.port} (${setting.role}) is already in use; choose another with ${setting.flag} N or ${setting.env}=N, or stop what listens on it (ss -ltnp 'sport = :${setting.port}')`;
}

/** `RIPPLE_ASYNC_RETRY_DELAY_MS`: `npm run prove` shortens Lambda's minute between retries. */
function asyncRetryDelay(env: NodeJS.ProcessEnv): { asyncRetryDelayMs?: number } {
  const text = env.RIPPLE_ASYNC_RETRY_DELAY_MS;
  if (text === undefined || text === "") return {};
  const ms = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms >= 1)) {
    throw new UsageError(
      `RIPPLE_ASYNC_RETRY_DELAY_MS must be whole milliseconds from 1 to 9999999, e.g. 1000 (given ${JSON.stringify(text)}); unset it for Lambda's 60000`,
    );
  }
  return { asyncRetryDelayMs: ms };
}

const EXAMPLES: Readonly<Record<string, string>> = { "--data": ".data", "--record": "rec.jsonl" };

function parsePort(flag: string, text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new UsageError(`${flag} must be a port number between 1 and 65535 (given ${JSON.stringify(text)})`);
  }
  return port;
}

/**
 * Parses `npm start` arguments; returns `"help"` for `--help`.
 *
 * @example
 * parseRuntimeOptions(["--api-port", "3100", "--data", ".data"], process.env)
 */
export function parseRuntimeOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): RuntimeOptions | "help" {
  const ports: Record<string, number> = {};
  for (const spec of Object.values(PORT_FLAGS)) {
    const fromEnv = env[spec.env];
    ports[spec.key] = fromEnv === undefined || fromEnv === "" ? spec.fallback : parsePort(spec.env, fromEnv);
  }
  let dataDir: string | undefined;
  let recordFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) {
        throw new UsageError(`${flag} needs a value (e.g. ${flag} ${EXAMPLES[flag] ?? "3000"})`);
      }
      return v;
    };
    if (flag === "-h" || flag === "--help") return "help";
    if (flag in PORT_FLAGS) {
      const spec = PORT_FLAGS[flag as keyof typeof PORT_FLAGS];
      ports[spec.key] = parsePort(flag, value());
    } else if (flag === "--data") {
      dataDir = value();
      if (dataDir.trim() === "") throw new UsageError('--data needs a folder path (given "")');
    } else if (flag === "--record") {
      recordFile = value();
      if (recordFile.trim() === "")
        throw new UsageError('--record needs a file path, e.g. --record rec.jsonl (given "")');
    } else {
      throw new UsageError(
        `unknown option ${JSON.stringify(arg)}; run \`npm start -- --help\` for the options`,
      );
    }
  }
  const options: RuntimeOptions = {
    apiPort: ports.apiPort!,
    dynamodbPort: ports.dynamodbPort!,
    eventbridgePort: ports.eventbridgePort!,
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(recordFile === undefined ? {} : { recordFile }),
    ...asyncRetryDelay(env),
  };
  const used = new Map<number, string>();
  for (const [name, port] of [
    ["API", options.apiPort],
    ["DynamoDB Local", options.dynamodbPort],
    ["EventBridge", options.eventbridgePort],
  ] as const) {
    const other = used.get(port);
    if (other !== undefined)
      throw new UsageError(`${other} and ${name} both asked for port ${port}; give each its own port`);
    used.set(port, name);
  }
  return options;
}
