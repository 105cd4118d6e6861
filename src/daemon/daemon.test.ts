import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import type { MemorySensor, MemorySnapshot, Pressure } from '../core/memory.js';
import type { Guard } from '../guard/guard.js';
import { Daemon, type DaemonDeps } from './daemon.js';
import type { DaemonState } from './state-file.js';
import { fixedWindowServerStatus } from '../windowserver/watch.js';

function snapshot(at: number, pressure: Pressure, errors?: string[]): MemorySnapshot {
  const base: MemorySnapshot = {
    at,
    totalBytes: 100,
    availableBytes: 50,
    freeBytes: 10,
    wiredBytes: 5,
    compressedBytes: 5,
    swapUsedBytes: 0,
    swapTotalBytes: 0,
    pressure,
  };
  return errors ? { ...base, errors } : base;
}

/** A sensor that plays a script: a pressure level, or an Error to throw. */
function scriptedSensor(clock: SimClock, script: Array<Pressure | Error>): MemorySensor & { closed: boolean } {
  let i = 0;
  return {
    closed: false,
    sample: () => {
      const step = script[Math.min(i++, script.length - 1)]!;
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(snapshot(clock.now(), step));
    },
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

function makeDaemon(script: Array<Pressure | Error>, stateWriteIntervalMs?: number) {
  return daemonWith(stateWriteIntervalMs !== undefined ? { stateWriteIntervalMs } : {}, script);
}

/** A daemon on a sim clock with a scripted sensor (normal by default) and the given parts, saving every state it writes. */
function daemonWith(parts: Partial<DaemonDeps>, script: Array<Pressure | Error> = ['normal']) {
  const clock = new SimClock();
  const logger = captureLogger();
  const saved: DaemonState[] = [];
  const daemon = new Daemon({
    sensor: scriptedSensor(clock, script),
    clock,
    logger,
    platform: 'linux',
    intervalMs: 1000,
    stateFile: '/unused',
    pid: 42,
    saveState: (_file, state) => void saved.push(structuredClone(state)),
    ...parts,
  });
  return { clock, logger, saved, daemon };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Daemon', () => {
  it('samples once per interval on the clock and saves the state after each sample', async () => {
    const { clock, saved, daemon } = makeDaemon(['normal']);
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    await settle();
    expect(saved).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await settle();
    }
    expect(saved.map((s) => s.samples)).toEqual([1, 2, 3, 4]);
    expect(saved.at(-1)).toMatchObject({ pid: 42, platform: 'linux', lastSampleAt: clock.now(), memory: { pressure: 'normal' } });
    controller.abort();
    await running;
    expect(saved.at(-1)?.stoppedAt).toBe(clock.now());
  });

  it('gives the probes a look every tick (to catch up a run missed in sleep) and keeps their status in the state', async () => {
    let ticks = 0;
    const status = { schedule: '*/30 * * * *', nextRunAt: 123, running: false, failedRuns: 1, lastRun: null };
    const { saved, daemon } = daemonWith({ probes: { tick: () => void (ticks += 1), status: () => status } });
    await daemon.tick();
    await daemon.tick();
    expect(ticks).toBe(2);
    expect(saved.at(-1)?.probe).toEqual(status);
  });

  it('gives the Docker watch its turn every tick and keeps its status in the state', async () => {
    let ticks = 0;
    const status = { profile: 'default', state: 'healthy' as const, summary: 'Docker answers on /u/.colima/default/docker.sock', checkedAt: 1, lastHealthyAt: 1, lastRecovery: null, dryRun: false };
    const { saved, daemon } = daemonWith({ docker: { tick: () => void (ticks += 1), status: () => status } });
    await daemon.tick();
    await daemon.tick();
    expect(ticks).toBe(2);
    expect(saved.at(-1)?.docker).toEqual(status);
  });

  it('runs the WindowServer watch, the guard with its emergency, the process guard at the stage the guard opens, and the heaviest, in that order, and keeps them in the state', async () => {
    const calls: string[] = [];
    const wsStatus = { ...fixedWindowServerStatus('unknown', 'x'), health: 'strained' as const, reason: 'CPU 95% of a core', emergency: 'WindowServer CPU 95%' };
    const guard = {
      policyState: { level: 'warn' },
      processStage: 'critical',
      alert: true,
      tick: (_memory: MemorySnapshot, _signal: AbortSignal | undefined, emergency: string | null) => {
        calls.push(`guard ${emergency}`);
        return Promise.resolve([]);
      },
      status: () => null,
    } as unknown as Guard;
    const heaviest = { sampledAt: 1, processes: [{ pid: 5, name: 'python', command: 'python -m mlx_lm.lora', uid: 501, bytes: 10, metric: 'footprint' as const }] };
    const action = { at: 2, pid: 5, name: 'python', rule: 0, action: 'term' as const, memory: null, outcome: { kind: 'exited' as const, afterMs: 1, signal: 'SIGTERM' as const }, dryRun: false };
    const { saved, daemon } = daemonWith({
      platform: 'darwin',
      guard,
      windowServer: {
        tick: (_memory, raised) => void calls.push(`windowserver raised=${raised}`),
        emergency: () => 'WindowServer CPU 95%',
        status: () => wsStatus,
      },
      processGuard: { tick: (stage) => void calls.push(`processes ${stage}`), recentActions: [action], guarded: 1, dryRun: false },
      heaviest: { tick: (raised) => void calls.push(`heaviest raised=${raised}`), latest: heaviest },
    });
    await daemon.tick();
    // The kernel says normal, but the guard is at warn: pressure counts as raised.
    expect(calls).toEqual(['windowserver raised=true', 'guard WindowServer CPU 95%', 'processes critical', 'heaviest raised=true']);
    expect(saved.at(-1)).toMatchObject({ windowServer: wsStatus, processes: { heaviest, guarded: 1, dryRun: false, actions: [action] } });
  });

  it('keeps running when the sensor throws, recording an unknown sample', async () => {
    const { clock, saved, logger, daemon } = makeDaemon(['normal', new Error('sysctl exploded'), 'warn']);
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    await settle();
    clock.advance(1000);
    await settle();
    clock.advance(1000);
    await settle();
    controller.abort();
    await running;
    expect(saved.slice(0, 3).map((s) => s.memory?.pressure)).toEqual(['normal', 'unknown', 'warn']);
    expect(saved[1]?.memory?.errors).toEqual(['memory sensor failed: sysctl exploded']);
    expect(logger.entries.filter((e) => e.level !== 'debug').map((e) => [e.level, e.message, e.fields.to])).toEqual([
      ['info', 'memory pressure changed', 'normal'],
      ['warn', 'memory sample incomplete', undefined],
      ['info', 'memory pressure changed', 'unknown'],
      ['info', 'memory sample complete again', undefined],
      ['warn', 'memory pressure changed', 'warn'],
    ]);
  });

  it('logs each pressure change once, with the snapshot that caused it', async () => {
    const { logger, daemon } = makeDaemon(['normal', 'normal', 'critical', 'critical', 'normal']);
    for (let i = 0; i < 5; i++) await daemon.tick();
    const changes = logger.entries.filter((e) => e.message === 'memory pressure changed');
    expect(changes.map((e) => [e.fields.from, e.fields.to])).toEqual([
      [null, 'normal'],
      ['normal', 'critical'],
      ['critical', 'normal'],
    ]);
    expect(changes[1]?.fields.snapshot).toMatchObject({ pressure: 'critical' });
    expect(changes[1]?.level).toBe('warn');
  });

  it('logs a state-file failure and carries on', async () => {
    const { logger, daemon } = daemonWith({
      stateFile: '/nope/state.json',
      saveState: () => {
        throw new Error('EROFS');
      },
    });
    await daemon.tick();
    await daemon.tick();
    expect(daemon.current.samples).toBe(2);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'could not write the state file',
      'could not write the state file',
    ]);
  });
});

describe('Daemon state writes', () => {
  async function runTicks(daemon: Daemon, clock: SimClock, ticks: number): Promise<AbortController> {
    const controller = new AbortController();
    void daemon.run(controller.signal);
    await settle();
    for (let i = 1; i < ticks; i++) {
      clock.advance(1000);
      await settle();
    }
    return controller;
  }

  it('writes the file at most every stateWriteIntervalMs while nothing notable changes, while `current` follows every tick', async () => {
    const { clock, saved, daemon } = makeDaemon(['normal'], 5000);
    const controller = await runTicks(daemon, clock, 12);
    expect(saved.map((s) => s.samples)).toEqual([1, 6, 11]);
    expect(daemon.current).toMatchObject({ samples: 12, lastSampleAt: clock.now() });
    controller.abort();
    await settle();
    // The stop is written at once, with every sample counted.
    expect(saved.at(-1)).toMatchObject({ samples: 12, stoppedAt: clock.now() });
  });

  it('writes at once when the kernel pressure or the sample errors change', async () => {
    const { clock, saved, daemon } = makeDaemon(['normal', 'normal', 'warn', 'warn', new Error('sysctl hung'), new Error('sysctl hung'), 'normal'], 60_000);
    const controller = await runTicks(daemon, clock, 7);
    expect(saved.map((s) => [s.samples, s.memory?.pressure])).toEqual([
      [1, 'normal'],
      [3, 'warn'],
      [5, 'unknown'],
      [7, 'normal'],
    ]);
    controller.abort();
    await settle();
  });

  it('writes at once when the guard changes level or starts an unload', async () => {
    const status = { level: 'normal', dryRun: false, incident: null, unloading: null as string[] | null, lastUnload: null };
    const guard = { alert: false, policyState: { level: 'normal' }, processStage: null, tick: () => Promise.resolve([]), status: () => ({ ...status }) } as unknown as Guard;
    const { saved, daemon } = daemonWith({ guard, stateWriteIntervalMs: 60_000 });
    await daemon.tick();
    await daemon.tick();
    status.level = 'warn';
    await daemon.tick();
    await daemon.tick();
    status.unloading = ['llama3.3:70b'];
    await daemon.tick();
    expect(saved.map((s) => [s.samples, s.guard?.level, s.guard?.unloading])).toEqual([
      [1, 'normal', null],
      [3, 'warn', null],
      [5, 'warn', ['llama3.3:70b']],
    ]);
  });

  it('writes after every sample with stateWriteIntervalMs 0, the default of the class', async () => {
    const { clock, saved, daemon } = makeDaemon(['normal'], 0);
    const controller = await runTicks(daemon, clock, 3);
    expect(saved.map((s) => s.samples)).toEqual([1, 2, 3]);
    controller.abort();
    await settle();
    const defaults = makeDaemon(['normal']);
    const stopDefaults = await runTicks(defaults.daemon, defaults.clock, 3);
    expect(defaults.saved.map((s) => s.samples)).toEqual([1, 2, 3]);
    stopDefaults.abort();
    await settle();
  });
});

describe('Daemon pacing', () => {
  it('samples every fastIntervalMs while the guard is alert, and every intervalMs otherwise', () => {
    const clock = new SimClock();
    const base = { sensor: scriptedSensor(clock, ['normal']), clock, logger: captureLogger(), platform: 'linux' as const, intervalMs: 1000, fastIntervalMs: 250, stateFile: '/unused', pid: 1, saveState: () => undefined };
    const guard = { alert: false } as unknown as Guard;
    const daemon = new Daemon({ ...base, guard });
    expect(daemon.nextIntervalMs).toBe(1000);
    (guard as unknown as { alert: boolean }).alert = true;
    expect(daemon.nextIntervalMs).toBe(250);
    // A fast interval above the normal one is never slower than it.
    expect(new Daemon({ ...base, intervalMs: 200, guard }).nextIntervalMs).toBe(200);
    expect(new Daemon({ ...base, guard: null }).nextIntervalMs).toBe(1000);
  });
});
