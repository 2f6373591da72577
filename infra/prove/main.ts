import { pipeline } from "../pipeline.ts";
import { runProve } from "./cli.ts";

/** Entry of `npm run prove`; see `cli.ts`. */
process.exitCode = await runProve(process.argv.slice(2), pipeline, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
