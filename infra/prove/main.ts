import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { pipeline } from "../pipeline.ts";
import { runProve } from "./cli.ts";

/** Entry of `npm run prove`; see `cli.ts`. */
quietSdkWarningWhereItDoesNotApply();
// Stopped from outside, exit as the shell expects; the runtime this started goes with it (see
// runtime-process.ts), where Node's default would end this process alone.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    console.error(`prove: ${signal}, stopping the runtime it started`);
    process.exit(code);
  });
}
process.exitCode = await runProve(process.argv.slice(2), pipeline, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
