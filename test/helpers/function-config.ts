import { declaredNames, functionEnvironment } from "#infra/function-config.ts";
import { functionsOf } from "#infra/model.ts";
import { model } from "#infra/pipeline.ts";
import type { ApiLimits } from "../../functions/api/route.ts";

/**
 * Every function's configuration variable (`RIPPLE_CONFIG_<SERVICE>`), rendered from ripple's
 * model as the CDK app and the local runtime render it: table names from `table` (default the
 * declared ones), the bus named `busName` (default the declared one).
 */
export function functionEnvironments(
  options: { readonly table?: (key: string) => string; readonly busName?: string } = {},
): Record<string, string> {
  const declared = declaredNames(model);
  const names = { table: options.table ?? declared.table, busName: options.busName ?? declared.busName };
  return Object.assign({}, ...functionsOf(model).map((fn) => functionEnvironment(model, fn, names)));
}

/** The API's limits as the model gives them to the API handler. */
export const apiLimits: ApiLimits = {
  maxBodyBytes: model.api.maxBodyBytes,
  idempotencyTtlSeconds: model.api.idempotencyTtlSeconds,
  timeoutSeconds: model.api.timeoutSeconds,
};
