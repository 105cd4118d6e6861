import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installShutdownSignals, type ShutdownSignalDeps } from './shutdown-signals.js';

/** The handler on an emitter of its own, with timers run by hand. */
function harness(overrides: Partial<ShutdownSignalDeps> = {}) {
  const signals = new EventEmitter();
  const timers: Array<{ at: number; run: () => void }> = [];
  const events: string[] = [];
  const deps: ShutdownSignalDeps = {
    signals,
    stop: new AbortController(),
    cancel: new AbortController(),
    cancelAfterMs: 1000,
    deadlineMs: 1800,
    markCleanStop: () => events.push('clean stop marked'),
    log: {
      info: (_fields, message) => events.push(`info: ${message}`),
      warn: (_fields, message) => events.push(`warn: ${message}`),
      error: (_fields, message) => events.push(`error: ${message}`),
    },
    flush: () => events.push('flushed'),
    exit: (code) => events.push(`exit ${code}`),
    setTimer: (run, ms) => timers.push({ at: ms, run }),
    ...overrides,
  };
  const remove = installShutdownSignals(deps);
  /** Runs the timers due by `ms` after the signal, in order. */
  const advanceTo = (ms: number): void => {
    for (const timer of timers.filter((t) => t.at <= ms).sort((a, b) => a.at - b.at)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
  };
  return { signals, deps, events, remove, advanceTo };
}

describe('installShutdownSignals', () => {
  it('on SIGTERM marks a clean stop and stops the loop, cancels the tick at 1 s, and exits 0 at the deadline when still running', () => {
    const { signals, deps, events, advanceTo } = harness();
    signals.emit('SIGTERM', 'SIGTERM');
    expect(events).toEqual(['info: stopping', 'clean stop marked']);
    expect(deps.stop.signal.aborted).toBe(true);
    expect(deps.cancel.signal.aborted).toBe(false);
    advanceTo(999);
    expect(deps.cancel.signal.aborted).toBe(false);
    advanceTo(1000);
    expect(deps.cancel.signal.aborted).toBe(true);
    expect(events).not.toContain('exit 0');
    advanceTo(1800);
    expect(events.slice(2)).toEqual(['warn: shutdown deadline reached: exiting without waiting further', 'flushed', 'exit 0']);
  });

  it('exits 130 at once on a second signal (SIGINT after SIGTERM)', () => {
    const { signals, events } = harness();
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(events.slice(2)).toEqual(['warn: second signal: exiting now', 'flushed', 'exit 130']);
  });

  it('stops all the same when the clean-stop marker cannot be written, and says so', () => {
    const { signals, deps, events } = harness({
      markCleanStop: () => {
        throw new Error('EROFS');
      },
    });
    signals.emit('SIGINT', 'SIGINT');
    expect(events).toEqual(['info: stopping', 'error: could not write the clean-stop marker']);
    expect(deps.stop.signal.aborted).toBe(true);
  });

  it('listens no more once removed', () => {
    const { signals, deps, events, remove } = harness();
    remove();
    signals.emit('SIGTERM', 'SIGTERM');
    expect(events).toEqual([]);
    expect(deps.stop.signal.aborted).toBe(false);
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });
});
