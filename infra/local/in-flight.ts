/**
 * Counts work that is queued, running or waiting to retry, so a caller can wait until none is
 * left (`drained`) and a shutdown can cancel what is only waiting (`cancelWaiting`).
 *
 * Each piece of work calls {@link InFlight.begin} once and {@link InFlight.end} once, however
 * many attempts and waits lie between.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves once every piece of work begun so far (and any begun meanwhile) has ended. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs `next` after `delayMs`, unless cancelled first; `onCancel` then runs instead (it must
   * end the piece of work).
   */
  wait(delayMs: number, next: () => void, onCancel: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      next();
    }, delayMs);
    this.timers.set(timer, onCancel);
  }

  /** Cancels every pending wait, running its `onCancel`; returns how many there were. */
  cancelWaiting(): number {
    const cancelled = [...this.timers.entries()];
    this.timers.clear();
    for (const [timer, onCancel] of cancelled) {
      clearTimeout(timer);
      onCancel();
    }
    return cancelled.length;
  }
}
