import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ApiTokenFileError } from "./errors.ts";

/** File in the `--data` folder that keeps the generated API token across restarts. */
export const API_TOKEN_FILE = "api-token";

/** What a kept token may be: printable ASCII without spaces, as a bearer token is sent. */
const TOKEN = /^[\x21-\x7E]{16,512}$/;

/**
 * The API token `npm start` uses: `RIPPLE_API_TOKEN` when set; under `--data DIR` the token kept
 * in `DIR/api-token` (generated and written with mode 0600 on the first start, so saved requests
 * keep working after a restart); otherwise undefined, and the runtime generates one per start.
 *
 * @throws ApiTokenFileError when the kept file holds no usable token
 */
export function keptApiToken(dataDir: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.RIPPLE_API_TOKEN;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (dataDir === undefined) return undefined;
  mkdirSync(resolve(dataDir), { recursive: true });
  const file = join(resolve(dataDir), API_TOKEN_FILE);
  try {
    // "wx": only the first start writes it; a concurrent or earlier one's token is read instead.
    const token = randomBytes(18).toString("base64url");
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const kept = readFileSync(file, "utf8").trim();
  if (!TOKEN.test(kept)) {
    throw new ApiTokenFileError(
      `${file} holds no usable API token (found ${kept.length} characters; expected 16 to 512 printable characters without spaces); delete the file to have a new token generated, or set RIPPLE_API_TOKEN`,
    );
  }
  return kept;
}
