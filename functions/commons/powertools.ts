import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE } from "#schemas/contracts.ts";

export { METRICS_NAMESPACE };

/**
 * A Powertools logger for one function (service). Log level from `POWERTOOLS_LOG_LEVEL`,
 * default INFO.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/**
 * A Powertools EMF metrics instance for one function (service) in ripple's namespace (`schemas/contracts.ts`).
 * Call `publishStoredMetrics()` once per invocation.
 */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * Publishes what the invocation recorded; an invocation that recorded nothing (it failed before
 * counting, or metrics are disabled, as in the local runtime) publishes nothing and says nothing.
 */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
