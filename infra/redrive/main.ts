import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { runRedrive } from "./cli.ts";

/** Entry of `npm run redrive`; see `cli.ts`. */
quietSdkWarningWhereItDoesNotApply();
process.exitCode = await runRedrive(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
