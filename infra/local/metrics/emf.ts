import type { MetricsStore } from "./store.ts";

/**
 * The handlers' Powertools metrics, read where CloudWatch Logs reads them: the EMF lines they
 * print on standard output. In Lambda, CloudWatch extracts the metrics from those lines; the
 * local runtime runs the handlers in-process, so it reads the same lines off `process.stdout`
 * into its store (and keeps them off the runtime's output, where they would drown the log).
 */

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string }[];
}

/** Adds the samples of one EMF document to the store; false when the text is not one. */
export function recordEmf(store: MetricsStore, text: string): boolean {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  const aws = doc._aws as { Timestamp?: number; CloudWatchMetrics?: EmfDirective[] } | undefined;
  if (aws === undefined || !Array.isArray(aws.CloudWatchMetrics)) return false;
  const at = typeof aws.Timestamp === "number" ? aws.Timestamp : undefined;
  for (const directive of aws.CloudWatchMetrics) {
    for (const dimensionSet of directive.Dimensions.length === 0 ? [[]] : directive.Dimensions) {
      const dimensions = Object.fromEntries(dimensionSet.map((d) => [d, String(doc[d])]));
      for (const { Name } of directive.Metrics) {
        const raw = doc[Name];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (typeof value === "number")
            store.put({ namespace: directive.Namespace, metricName: Name, dimensions }, value, at);
        }
      }
    }
  }
  return true;
}

const EMF_START = '{"_aws":';

/**
 * Reads every EMF line written to `process.stdout` into the store until the returned function is
 * called; other output passes through unchanged.
 */
export function captureEmf(store: MetricsStore): () => void {
  const original = process.stdout.write;
  const write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === "string" && chunk.startsWith(EMF_START)) {
      const lines = chunk.split("\n").filter((l) => l !== "");
      if (lines.every((line) => recordEmf(store, line))) {
        const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        callback?.();
        return true;
      }
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  process.stdout.write = write as typeof process.stdout.write;
  return () => {
    if (process.stdout.write === write) process.stdout.write = original;
  };
}
