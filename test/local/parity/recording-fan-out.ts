import { handler as fanOut } from "../../../functions/fan-out/handler.ts";
import { recording } from "./recording.ts";

/** The fan-out, recording what the local event source mapping hands it. */
export const handler = recording("fan-out", fanOut);
