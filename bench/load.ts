/** What every benchmark module shares: its result rows, and running load with a fixed number in flight. */

/** One line of the benchmark table. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: string;
}

/** Nearest-rank percentile `p` (0–100) of ascending `sorted` values; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/** When a run of {@link runInFlight} began, and when each call started and finished (`performance.now()`). */
export interface LoadTimes {
  readonly startedAt: number;
  readonly callStartedAt: readonly number[];
  readonly callDoneAt: readonly number[];
}

/** Runs `work(i)` for every `i` below `count`, `inFlight` calls at a time, in order of start. */
export async function runInFlight(
  count: number,
  inFlight: number,
  work: (i: number) => Promise<unknown>,
): Promise<LoadTimes> {
  const callStartedAt: number[] = new Array(count);
  const callDoneAt: number[] = new Array(count);
  const startedAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        callStartedAt[i] = performance.now();
        await work(i);
        callDoneAt[i] = performance.now();
      }
    }),
  );
  return { startedAt, callStartedAt, callDoneAt };
}
