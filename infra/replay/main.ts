import { pipeline } from "../pipeline.ts";
import { runReplay } from "./cli.ts";

/** Entry of `npm run replay`; see `cli.ts`. */
// The summary lists what was set aside; the handlers' own warnings would bury it.
process.env.POWERTOOLS_LOG_LEVEL ??= "ERROR";
const onTerminal = process.stderr.isTTY === true;
process.exitCode = await runReplay(process.argv.slice(2), pipeline, {
  out: (line) => {
    if (onTerminal) process.stderr.write("\r\x1b[2K");
    console.log(line);
  },
  err: (line) => console.error(line),
  ...(onTerminal ? { progress: (line: string) => process.stderr.write(`\r\x1b[2K${line}`) } : {}),
});
