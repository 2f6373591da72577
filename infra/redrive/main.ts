import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { runRedrive } from "./cli.ts";

/** Entry of `npm run redrive`; see `cli.ts`. */
quietSdkWarningWhereItDoesNotApply();
// Given-up batches run through the fan-out's handler here: its logs and metrics would bury the report.
process.env.POWERTOOLS_LOG_LEVEL ??= "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.exitCode = await runRedrive(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
