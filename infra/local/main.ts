import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { pipeline } from "../pipeline.ts";
import { keptApiToken } from "./api-token.ts";
import { LocalRuntimeError } from "./errors.ts";
import { parseRuntimeOptions, USAGE, UsageError } from "./options.ts";
import { startRuntime } from "./runtime.ts";

/** A word bash reads back as `text` whatever it holds, so a printed command pastes as printed. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
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

  console.log("ripple: starting DynamoDB Local, the tables, the bus, the stream pollers and the API…");
  let runtime: Awaited<ReturnType<typeof startRuntime>>;
  try {
    const apiToken = keptApiToken(options.dataDir, process.env);
    runtime = await startRuntime({ ...options, pipeline, ...(apiToken === undefined ? {} : { apiToken }) });
  } catch (error) {
    console.error(
      `ripple: ${error instanceof LocalRuntimeError ? error.message : String(error instanceof Error ? (error.stack ?? error.message) : error)}`,
    );
    return 1;
  }
  const e = runtime.endpoints;
  console.log(
    [
      "ripple is running:",
      `  dashboard     ${e.dashboard}`,
      `  API           ${e.api}   (Authorization: Bearer ${runtime.apiToken})`,
      `  OpenAPI       ${e.api}/openapi.json`,
      `  health        ${e.api}/health`,
      `  try           curl -sS -H ${shellQuoted(`Authorization: Bearer ${runtime.apiToken}`)} ${e.api}/car-parks`,
      `  DynamoDB      ${e.dynamodb}   (AWS_ENDPOINT_URL_DYNAMODB=${e.dynamodb}; any credentials, region us-east-1)`,
      `  EventBridge   ${e.eventbridge}   (AWS_ENDPOINT_URL_EVENTBRIDGE=${e.eventbridge}; bus "${runtime.busName}")`,
      `  AWS CLI, SDKs export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_ENDPOINT_URL_DYNAMODB=${e.dynamodb} AWS_ENDPOINT_URL_EVENTBRIDGE=${e.eventbridge}`,
      `  storage       ${options.dataDir === undefined ? "in memory (gone on exit; --data DIR keeps it)" : options.dataDir}`,
      ...(options.recordFile === undefined
        ? []
        : [
            `  recording     every stream record to ${options.recordFile} (replay it: npm run replay -- ${options.recordFile})`,
          ]),
      "Press Ctrl-C to stop.",
    ].join("\n"),
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`\nripple: ${signal} received, stopping…`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await runtime.stop();
  console.log("ripple: stopped.");
  return 0;
}

quietSdkWarningWhereItDoesNotApply();
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
