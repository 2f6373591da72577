/**
 * The local runtime's metrics: what the handlers emit (their EMF lines) and what AWS measures
 * around them (DynamoDB latency, iterator age, invocations, dead letters, API requests), kept in
 * memory at 1-second resolution for the last hour, then read back per period with CloudWatch's
 * statistics. CloudWatch itself has no local counterpart, hence this small store.
 */

/** One metric's identity: namespace, name and dimensions, as CloudWatch tells series apart. */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Samples of one second of one series. */
interface Second {
  at: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Kept for percentiles, up to {@link SAMPLES_PER_SECOND}. */
  values: number[];
}

/** How far back the store keeps samples. */
export const RETENTION_SECONDS = 3600;
/** Samples kept per series and second for percentiles; counts and sums stay exact beyond it. */
const SAMPLES_PER_SECOND = 500;

/** The key of a series: dimensions in name order, so the order they were given in does not matter. */
export function metricKey(id: MetricId): string {
  const dims = Object.keys(id.dimensions)
    .sort()
    .map((k) => `${k}=${id.dimensions[k]}`)
    .join(",");
  return `${id.namespace}|${id.metricName}|${dims}`;
}

const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?)$/;

/** Statistics CloudWatch computes that this store computes too. */
export function isSupportedStatistic(statistic: string): boolean {
  return (
    ["Sum", "Average", "Maximum", "Minimum", "SampleCount"].includes(statistic) || PERCENTILE.test(statistic)
  );
}

/** A statistic of one period's samples, as CloudWatch computes it; undefined when there are none. */
function statisticOf(seconds: readonly Second[], statistic: string): number | undefined {
  const count = seconds.reduce((n, s) => n + s.count, 0);
  if (count === 0) return undefined;
  switch (statistic) {
    case "Sum":
      return seconds.reduce((n, s) => n + s.sum, 0);
    case "SampleCount":
      return count;
    case "Average":
      return seconds.reduce((n, s) => n + s.sum, 0) / count;
    case "Maximum":
      return Math.max(...seconds.map((s) => s.max));
    case "Minimum":
      return Math.min(...seconds.map((s) => s.min));
  }
  const p = PERCENTILE.exec(statistic);
  if (p === null) throw new Error(`statistic "${statistic}" is not one the local store computes`);
  const values = seconds.flatMap((s) => s.values).sort((a, b) => a - b);
  // Nearest rank, as CloudWatch's percentiles of raw samples.
  const rank = Math.max(1, Math.ceil((Number(p[1]) / 100) * values.length));
  return values[rank - 1];
}

export class MetricsStore {
  private readonly series = new Map<string, (Second | undefined)[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds one sample (a count, a duration, a gauge reading) at `atMs` (default now). */
  put(id: MetricId, value: number, atMs: number = this.now()): void {
    if (!Number.isFinite(value)) return;
    const key = metricKey(id);
    let ring = this.series.get(key);
    if (ring === undefined) {
      ring = new Array<Second | undefined>(RETENTION_SECONDS);
      this.series.set(key, ring);
    }
    const at = Math.floor(atMs / 1000);
    const slot = at % RETENTION_SECONDS;
    let second = ring[slot];
    if (second === undefined || second.at !== at) {
      second = { at, count: 0, sum: 0, min: value, max: value, values: [] };
      ring[slot] = second;
    }
    second.count++;
    second.sum += value;
    second.min = Math.min(second.min, value);
    second.max = Math.max(second.max, value);
    if (second.values.length < SAMPLES_PER_SECOND) second.values.push(value);
  }

  /** Whether any sample of this metric is kept. */
  has(id: MetricId): boolean {
    return this.series.has(metricKey(id));
  }

  /**
   * The statistic per period of `periodSeconds`, for the `periods` periods that end at `endSec`
   * (exclusive, epoch seconds), oldest first; null where there is no sample (missing data).
   */
  query(
    id: MetricId,
    statistic: string,
    periodSeconds: number,
    periods: number,
    endSec: number = Math.floor(this.now() / 1000),
  ): (number | null)[] {
    const ring = this.series.get(metricKey(id));
    const out: (number | null)[] = [];
    const oldest = Math.floor(this.now() / 1000) - RETENTION_SECONDS + 1;
    for (let i = periods; i >= 1; i--) {
      const start = endSec - i * periodSeconds;
      if (ring === undefined) {
        out.push(null);
        continue;
      }
      const seconds: Second[] = [];
      for (let at = Math.max(start, oldest); at < start + periodSeconds; at++) {
        const s = ring[at % RETENTION_SECONDS];
        if (s !== undefined && s.at === at) seconds.push(s);
      }
      out.push(statisticOf(seconds, statistic) ?? null);
    }
    return out;
  }

  /** Every metric with samples kept, for a caller that lists them. */
  keys(): string[] {
    return [...this.series.keys()];
  }
}
