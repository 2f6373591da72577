import { quietSdkWarningWhereItDoesNotApply } from "../node-support.ts";
import { runAudit } from "./cli.ts";

/** Entry of `npm run audit`; see `cli.ts`. */
quietSdkWarningWhereItDoesNotApply();
process.exitCode = await runAudit(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
