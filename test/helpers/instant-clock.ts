/** A clock whose sleep() returns at once and moves time forward: for loops whose waits are the subject (backoff, a re-read). */
import type { Clock } from '../../src/ports/clock.js';

/** Simulated time; records every sleep. */
export class InstantClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private time = Date.now()) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}
