import { readFileSync } from "node:fs";

/**
 * Which Node.js versions ripple runs on, and the AWS SDK's Node-version warning.
 *
 * The supported versions are written once, in package.json `engines.node`. The AWS SDK for
 * JavaScript v3 warns (`NodeVersionSupportWarning`, 10 lines on stderr, once per process) when it
 * runs on a Node.js major below {@link SDK_WARNING_BELOW_MAJOR}: SDK versions published after the
 * first week of January 2027 require Node.js 22. The SDK decides in `@aws-sdk/core`'s
 * `emitWarningIfUnsupportedVersion(process.version)`, called by every client's constructor, and
 * offers one supported way to turn it off: `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`.
 *
 * On a Node.js 20 that package.json supports, the warning does not apply: the lockfile pins SDK
 * versions that run on it, so ripple's commands turn it off there. On Node.js 22 and later the SDK
 * does not warn; on an unsupported Node.js the warning stays, because it applies.
 */

/** The SDK warns on Node.js majors below this one. */
export const SDK_WARNING_BELOW_MAJOR = 22;

/** The SDK's switch for its Node-version warning. */
export const SDK_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

type Version = readonly [major: number, minor: number, patch: number];

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether `version` is in `range`, a package.json `engines` range made of `^X.Y.Z` and `>=X.Y.Z`
 * comparators joined by `||` (the forms ripple's `engines` uses).
 *
 * @throws {RangeError} for a comparator of another form, naming it.
 * @example
 * satisfiesEngines("v20.19.1", "^20.19.0 || >=22.12.0"); // true
 */
export function satisfiesEngines(version: string, range: string): boolean {
  const current = parseVersion(version);
  if (current === undefined) throw new RangeError(`"${version}" is not a Node.js version such as v22.12.0`);
  return range.split("||").some((alternative) => {
    const comparator = alternative.trim();
    const bound = parseVersion(comparator.replace(/^(\^|>=)/, ""));
    if (bound === undefined || !/^(\^|>=)/.test(comparator)) {
      throw new RangeError(
        `engines comparator "${comparator}" is not of the form ^X.Y.Z or >=X.Y.Z; write the range with those`,
      );
    }
    if (comparator.startsWith(">=")) return compare(current, bound) >= 0;
    return current[0] === bound[0] && compare(current, bound) >= 0;
  });
}

/** The Node.js versions ripple supports: package.json `engines.node`. */
export function supportedNodeRange(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    engines?: { node?: string };
  };
  const range = manifest.engines?.node;
  if (range === undefined)
    throw new RangeError("package.json has no engines.node; state the supported Node.js versions there");
  return range;
}

/**
 * The environment that turns the SDK's Node-version warning off where it does not apply: on a
 * supported Node.js below {@link SDK_WARNING_BELOW_MAJOR}. Empty elsewhere.
 */
export function sdkWarningEnvironment(
  version: string = process.version,
  range: string = supportedNodeRange(),
): Record<string, string> {
  const major = parseVersion(version)?.[0] ?? 0;
  return major < SDK_WARNING_BELOW_MAJOR && satisfiesEngines(version, range)
    ? { [SDK_WARNING_SWITCH]: "true" }
    : {};
}

/**
 * Called first by every command (`npm start`, `audit`, `redrive`, `replay`, `prove`, `bench`): turns the SDK's
 * Node-version warning off where it does not apply, leaving a value the user set alone.
 */
export function quietSdkWarningWhereItDoesNotApply(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(sdkWarningEnvironment())) env[name] ??= value;
}
