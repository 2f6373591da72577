import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { pipeline } from "../pipeline.ts";
import { keptApiToken } from "./api-token.ts";
import { LocalRuntimeError, PortInUseError } from "./errors.ts";
import { watchLaunchers } from "./launcher-watch.ts";
import {
  type PortSetting,
  parseRuntimeOptions,
  portInUseMessage,
  portSettings,
  type RuntimeOptions,
  USAGE,
  UsageError,
} from "./options.ts";
import { isPortTaken } from "./ports.ts";
import { startRuntime } from "./runtime.ts";

/** Longest a stop may take before the process exits anyway (DynamoDB Local follows it). */
const STOP_TIMEOUT_MS = 15_000;
/** A signal this long after the first one forces the stop. */
const SECOND_SIGNAL_AFTER_MS = 1_000;

/** Prints the line saying why the runtime cannot go on, and stops it (exit code 1). */
let fatalLine: (message: string) => void = () => {};

/** The setting of the taken port when `error` says a port is in use. */
function takenPort(error: unknown, options: RuntimeOptions): PortSetting | undefined {
  const port =
    error instanceof PortInUseError
      ? error.port
      : (error as NodeJS.ErrnoException & { port?: number })?.code === "EADDRINUSE"
        ? (error as { port?: number }).port
        : undefined;
  return portSettings(options).find((setting) => setting.port === port);
}

/** The first of the runtime's ports another process already listens on. */
async function firstTakenPort(options: RuntimeOptions): Promise<PortSetting | undefined> {
  for (const setting of portSettings(options)) {
    if (await isPortTaken(setting.port)) return setting;
  }
  return undefined;
}

/**
 * Resolves with what stopped the runtime: SIGINT or SIGTERM to this process, or one of the
 * processes it was launched through (npm, sh, tsx) exiting — so `kill <pid of npm start>`
 * leaves nothing behind either.
 */
function stopRequested(fatal: Promise<string>): Promise<string> {
  return new Promise((resolve) => {
    void fatal.then(resolve);
    process.once("SIGINT", () => resolve("SIGINT received"));
    process.once("SIGTERM", () => resolve("SIGTERM received"));
    process.once("SIGHUP", () => resolve("SIGHUP received"));
    watchLaunchers((gone) => resolve(`${gone.name} (pid ${gone.pid}) that started ripple exited`));
  });
}

/** A word bash reads back as `text` whatever it holds, so a printed command pastes as printed. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** What `npm start` prints once the runtime is up: where everything is, and how to reach it. */
function runningBanner(
  runtime: Awaited<ReturnType<typeof startRuntime>>,
  options: Exclude<ReturnType<typeof parseRuntimeOptions>, "help">,
): string {
  const e = runtime.endpoints;
  return [
    "ripple is running:",
    `  dashboard     ${e.dashboard}#token=${encodeURIComponent(runtime.apiToken)}   (the link gives the page the token; the page itself holds none)`,
    `  API           ${e.api}   (Authorization: Bearer ${runtime.apiToken})`,
    `  OpenAPI       ${e.api}/openapi.json`,
    `  health        ${e.api}/health`,
    `  try           curl -sS -H ${shellQuoted(`Authorization: Bearer ${runtime.apiToken}`)} ${e.api}/car-parks`,
    `  DynamoDB      ${e.dynamodb}   (AWS_ENDPOINT_URL_DYNAMODB=${e.dynamodb}; any credentials, region us-east-1)`,
    `  EventBridge   ${e.eventbridge}   (AWS_ENDPOINT_URL_EVENTBRIDGE=${e.eventbridge}; bus "${runtime.busName}")`,
    `  AWS CLI, SDKs export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_ENDPOINT_URL_DYNAMODB=${e.dynamodb} AWS_ENDPOINT_URL_EVENTBRIDGE=${e.eventbridge}`,
    options.dataDir === undefined
      ? "  storage       in memory: tables, stream positions, pending deliveries and retries are gone on exit or crash (--data DIR keeps them)"
      : `  storage       ${options.dataDir} (tables, stream positions, pending deliveries and retries survive a stop or crash)`,
    ...(options.recordFile === undefined
      ? []
      : [
          `  recording     every stream record to ${options.recordFile} (replay it: npm run replay -- ${options.recordFile})`,
        ]),
    "Press Ctrl-C to stop.",
  ].join("\n");
}

/**
 * `npm start`: the whole ripple pipeline on this machine, until Ctrl-C or SIGTERM.
 * Exit codes: 0 after a clean stop, 1 when something failed to start, 2 for bad options.
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseRuntimeOptions>;
  try {
    options = parseRuntimeOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`ripple: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }

  // Listening from the start: a stop asked for while starting happens as soon as the start ends.
  let failed = false;
  const fatal = new Promise<string>((resolve) => {
    fatalLine = (message) => {
      failed = true;
      console.error(`ripple: ${message}`);
      resolve("DynamoDB Local cannot be brought back");
    };
  });
  const stop = stopRequested(fatal);
  const taken = await firstTakenPort(options);
  if (taken !== undefined) {
    console.error(`ripple: ${portInUseMessage(taken)}`);
    return 1;
  }
  console.log("ripple: starting DynamoDB Local, the tables, the bus, the stream pollers and the API…");
  let runtime: Awaited<ReturnType<typeof startRuntime>>;
  try {
    const apiToken = keptApiToken(options.dataDir, process.env);
    runtime = await startRuntime({
      ...options,
      pipeline,
      onFatal: (message) => fatalLine(message),
      ...(apiToken === undefined ? {} : { apiToken }),
    });
  } catch (error) {
    const port = takenPort(error, options);
    if (port !== undefined) {
      console.error(`ripple: ${portInUseMessage(port)}`);
      return 1;
    }
    console.error(
      `ripple: ${error instanceof LocalRuntimeError ? error.message : String(error instanceof Error ? (error.stack ?? error.message) : error)}`,
    );
    return 1;
  }
  console.log(runningBanner(runtime, options));

  const reason = await stop;
  console.log(`\nripple: ${reason}, stopping…`);
  // A second Ctrl-C, or a stop that hangs, ends the process at once; DynamoDB Local follows it
  // (it watches its stdin and its parent). A terminal's Ctrl-C reaches this process twice, from
  // the terminal and forwarded by npm: only a signal a second later counts as a second one.
  const stoppingSince = Date.now();
  const forced = (why: string) => {
    console.log(`ripple: ${why}.`);
    console.log("ripple: stopped.");
    process.exit(1);
  };
  const again = (signal: string) => () => {
    if (Date.now() - stoppingSince > SECOND_SIGNAL_AFTER_MS) forced(`second ${signal}, stopping at once`);
  };
  process.on("SIGINT", again("SIGINT"));
  process.on("SIGTERM", again("SIGTERM"));
  setTimeout(
    () => forced(`the stop took over ${STOP_TIMEOUT_MS / 1000} s, exiting`),
    STOP_TIMEOUT_MS,
  ).unref();
  let code = 0;
  try {
    await runtime.stop();
  } catch (error) {
    console.error(`ripple: while stopping: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  }
  console.log("ripple: stopped.");
  return failed ? 1 : code;
}

quietSdkWarningWhereItDoesNotApply();
// Once npm is gone, stdout may be a closed pipe: losing a line must not crash the stop.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
