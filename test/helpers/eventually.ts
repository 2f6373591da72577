/**
 * Asks `probe` every 50 ms until it finds something, and answers that; throws once `timeoutMs`
 * have passed with nothing found. For what arrives asynchronously (a delivered event, a record).
 *
 * @example
 * const event = await eventually(() => received.find((e) => e.id === "x"), 20_000);
 */
export async function eventually<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing arrived within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
