import { afterAll, beforeAll } from "vitest";

/**
 * Starts something before a test file's tests and stops it after them: the test file reads it as
 * if it were the started thing itself (`db.client`, `api.request(…)`).
 *
 * @example
 * const db = startedForSuite(() => startTestDynamoDb());
 */
export function startedForSuite<T extends { stop(): Promise<void> }>(
  start: () => Promise<T>,
  timeoutMs?: number,
): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, timeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as T, {
    get(_, property) {
      if (started === undefined) throw new Error(`read .${String(property)} before beforeAll started it`);
      const value: unknown = Reflect.get(started, property);
      return typeof value === "function" ? value.bind(started) : value;
    },
  });
}
