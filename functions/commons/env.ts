import * as z from "zod";
import { configVariable } from "#schemas/function-config.ts";
import { MissingConfigurationError } from "./errors.ts";

/**
 * Reads a required environment variable, failing loudly at module load when it is missing.
 *
 * @example
 * const token = getStringFromEnv("RIPPLE_API_TOKEN");
 */
export function getStringFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new MissingConfigurationError(
      `environment variable ${name} is not set; the CDK app and the local runtime set it from the resolved pipeline model (infra/model.ts) — set it when running this handler by hand`,
    );
  }
  return value;
}

/**
 * A function's configuration: the JSON in `RIPPLE_CONFIG_<SERVICE>` (set by the CDK app and the
 * local runtime from the resolved model), checked against its schema once, at module load.
 *
 * @example
 * const config = configFromEnv(FanOutConfigSchema, "fan-out");
 * @throws {MissingConfigurationError} when the variable is missing, is not JSON, or fails the schema
 */
export function configFromEnv<S extends z.ZodType>(
  schema: S,
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const name = configVariable(service);
  const text = getStringFromEnv(name, env);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MissingConfigurationError(
      `environment variable ${name} is not JSON (given ${JSON.stringify(text.slice(0, 80))}); set it to the configuration the resolved model renders for ${service}`,
      { cause: error },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new MissingConfigurationError(
      `environment variable ${name} is not a valid configuration of ${service}: ${z.prettifyError(parsed.error)}; set it to what the resolved model renders (infra/model.ts)`,
    );
  }
  return parsed.data;
}
