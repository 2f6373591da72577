import { tableEnvVar } from "#infra/topology.ts";
import { MissingConfigurationError } from "./errors.ts";

/**
 * Reads a required environment variable, failing loudly at module load when it is missing.
 *
 * @example
 * const busName = getStringFromEnv("EVENT_BUS_NAME");
 */
export function getStringFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new MissingConfigurationError(
      `environment variable ${name} is not set; the CDK app and the local runtime set it from infra/pipeline.ts — set it when running this handler by hand`,
    );
  }
  return value;
}

/** Physical name of a declared table, from the variable the deployment sets (`TABLE_<KEY>`). */
export function tableNameFromEnv(key: string, env: NodeJS.ProcessEnv = process.env): string {
  return getStringFromEnv(tableEnvVar(key), env);
}
