/** A clock tests move by hand; sleep() resolves when the clock is advanced past its deadline. */
import type { Clock } from '../../src/ports/clock.js';

/** Simulated time in epoch milliseconds. */
export class SimClock implements Clock {
  private sleepers: Array<{ until: number; resolve: () => void }> = [];

  constructor(private time = Date.UTC(2026, 10, 21, 12, 0, 0)) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      };
      const sleeper = {
        until: this.time + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.until <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.until > this.time);
    for (const sleeper of due) sleeper.resolve();
  }

  /** How many sleep() calls are waiting. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }
}
