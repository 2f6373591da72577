import type { Context } from "aws-lambda";

/** What a recording handler saw: each event (a deep copy) and its context, by handler name. */
export interface Recorded {
  readonly event: unknown;
  readonly context: Context;
}

const KEY = Symbol.for("ripple.test.recorded");

/**
 * Invocations the recording handlers saw. Kept on `globalThis`: the runtime imports handler
 * modules by file URL, so the test and the runtime may hold different instances of this module.
 */
export function recorded(name: string): Recorded[] {
  const store = globalThis as Record<symbol, Map<string, Recorded[]> | undefined>;
  const all = store[KEY] ?? new Map<string, Recorded[]>();
  store[KEY] = all;
  const list = all.get(name) ?? [];
  all.set(name, list);
  return list;
}

/** Wraps a Lambda handler so every invocation is recorded under `name`, then runs the real one. */
export function recording<E, R>(name: string, real: (event: E, context: Context) => Promise<R>) {
  return async (event: E, context: Context): Promise<R> => {
    recorded(name).push({ event: structuredClone(event), context });
    return real(event, context);
  };
}
