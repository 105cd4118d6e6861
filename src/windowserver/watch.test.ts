import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import type { MemorySnapshot, Pressure } from '../core/memory.js';
import type { StartFacts } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';
import type { CrashReport, CrashReports, LogPrecursor, PrecursorLog, WindowServerProcess, WindowServerSensor } from '../ports/windowserver.js';
import type { IdentityStore } from './identity-file.js';
import { identityOf, type WindowServerIdentity } from './restart.js';
import { WindowServerWatch } from './watch.js';

const RULES = { cpuPercent: 70, cpuSustainMs: 10_000, intervalMs: 10_000, fastIntervalMs: 2000, logIntervalMs: 60_000 };
const BOOT: BootIdentity = { id: 'boot-1', bootedAt: Date.UTC(2026, 10, 21, 8, 0, 0) };

/** A WindowServer whose CPU time the test moves; `pid` null: none runs. */
class FakeWindowServer implements WindowServerSensor {
  pid: number | null = 372;
  startKey = 'Sat Nov 21 08:00:30 2026';
  cpuMs = 1_000_000;
  fail: string | null = null;
  calls: string[] = [];
  find(): Promise<number | null> {
    this.calls.push('find');
    return this.fail ? Promise.reject(new Error(this.fail)) : Promise.resolve(this.pid);
  }
  read(pid: number): Promise<WindowServerProcess | null> {
    this.calls.push(`read ${pid}`);
    if (this.fail) return Promise.reject(new Error(this.fail));
    return Promise.resolve(pid === this.pid ? { pid, startKey: this.startKey, startedAt: Date.UTC(2026, 10, 21, 8, 0, 30), cpuMs: this.cpuMs } : null);
  }
}

class FakeLog implements PrecursorLog {
  lines: LogPrecursor[] = [];
  reads = 0;
  fail = false;
  read(): Promise<LogPrecursor[]> {
    this.reads += 1;
    return this.fail ? Promise.reject(new Error('log: Could not open local log store')) : Promise.resolve(this.lines);
  }
}

/** Crash reports the test lays down; records which times it was asked from. */
class FakeCrashReports implements CrashReports {
  reports: CrashReport[] = [];
  asked: number[] = [];
  windowServerSince(since: number) {
    this.asked.push(since);
    return Promise.resolve({ reports: this.reports.filter((r) => r.at >= since), errors: [] });
  }
}

class MemoryIdentity implements IdentityStore {
  constructor(public stored: WindowServerIdentity | null = null) {}
  read() {
    return this.stored;
  }
  write(identity: WindowServerIdentity) {
    this.stored = identity;
  }
}

function memory(at: number, pressure: Pressure): MemorySnapshot {
  return { at, totalBytes: 1, availableBytes: 1, freeBytes: 1, wiredBytes: 1, compressedBytes: 1, swapUsedBytes: 0, swapTotalBytes: 0, pressure };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(options: { identity?: WindowServerIdentity | null; start?: StartFacts | null; log?: boolean } = {}) {
  const clock = new SimClock();
  const sensor = new FakeWindowServer();
  const log = new FakeLog();
  const identity = new MemoryIdentity(options.identity ?? null);
  const notifier = new RecordingNotifier();
  const logger = captureLogger();
  const start = options.start === undefined ? { boot: BOOT, previous: null, rebooted: null, uncleanStop: null } : options.start;
  const crashReports = new FakeCrashReports();
  const watch = new WindowServerWatch({ sensor, log: options.log === false ? null : log, identity, crashReports, start: Promise.resolve(start), clock, logger, notifier, rules: RULES });
  /** Moves the clock, adds CPU time at `percent` of a core over the step, and ticks. */
  const step = async (ms: number, percent: number, pressure: Pressure = 'normal', raised = pressure !== 'normal') => {
    clock.advance(ms);
    sensor.cpuMs += (percent / 100) * ms;
    watch.tick(memory(clock.now(), pressure), raised);
    await settle();
  };
  return { clock, sensor, log, identity, crashReports, notifier, logger, watch, step };
}

describe('WindowServerWatch', () => {
  it('finds WindowServer once, then follows its pid every intervalMs, and says ok with its CPU', async () => {
    const { sensor, watch, step } = setup();
    await step(0, 0);
    expect(sensor.calls).toEqual(['find', 'read 372']);
    expect(watch.status()).toMatchObject({ health: 'unknown', pid: 372, reason: 'pid 372, measuring its CPU (two readings needed)' });
    await step(5000, 5);
    expect(sensor.calls).toHaveLength(2);
    await step(5000, 5);
    expect(sensor.calls).toEqual(['find', 'read 372', 'read 372']);
    expect(watch.status()).toMatchObject({ health: 'ok', reason: 'CPU 5% of a core', cpuPercent: 5, startedAt: Date.UTC(2026, 10, 21, 8, 0, 30) });
  });

  it('reads every fastIntervalMs while pressure is not normal', async () => {
    const { sensor, step } = setup();
    await step(0, 0);
    for (let i = 0; i < 3; i++) await step(2000, 5, 'warn');
    expect(sensor.calls.filter((c) => c.startsWith('read'))).toHaveLength(4);
  });

  it('is strained after sustained high CPU; an emergency for the guard only while the kernel reports warn or critical', async () => {
    const { watch, step, logger } = setup({ log: false });
    await step(0, 0);
    await step(10_000, 95);
    expect(watch.status()).toMatchObject({ health: 'strained', emergency: null });
    expect(watch.emergency()).toBeNull();
    await step(2000, 95, 'warn');
    expect(watch.emergency()).toBe('WindowServer CPU 95% of a core, at or over 70% for 12 s, with memory pressure raised');
    await step(2000, 10, 'warn');
    expect(watch.emergency()).toBeNull();
    expect(logger.entries.map((e) => e.message)).toEqual(
      expect.arrayContaining(['WindowServer strained', 'WindowServer emergency: the screen may freeze', 'WindowServer emergency over', 'WindowServer ok']),
    );
  });

  it('reads the log only while pressure is not normal and at most once per logIntervalMs; a new precursor is an emergency until the next read', async () => {
    const { log, watch, step } = setup();
    await step(0, 0);
    await step(10_000, 1);
    expect(log.reads).toBe(0);
    log.lines = [{ at: Date.UTC(2026, 10, 21, 12, 0, 5), kind: 'low swap', text: 'kernel: low swap: failed to create swapfile' }];
    await step(1000, 1, 'warn');
    expect(log.reads).toBe(1);
    expect(watch.emergency()).toBe('unified log: low swap (kernel: low swap: failed to create swapfile)');
    await step(30_000, 1, 'warn');
    expect(log.reads).toBe(1);
    expect(watch.emergency()).not.toBeNull();
    // The next read finds only what it saw already: the emergency ends.
    await step(30_000, 1, 'warn');
    expect(log.reads).toBe(2);
    expect(watch.emergency()).toBeNull();
    expect(watch.status().lastPrecursor).toMatchObject({ kind: 'low swap' });
    // Past its read window a precursor no longer counts, even with no read since (pressure back to normal).
    log.lines = [...log.lines, { at: Date.UTC(2026, 10, 21, 12, 1, 30), kind: 'timed out fence', text: 'WindowServer: timed out fence' }];
    await step(60_000, 1, 'critical');
    expect(watch.emergency()).toBe('unified log: timed out fence (WindowServer: timed out fence)');
    await step(60_000, 1, 'normal');
    expect(log.reads).toBe(3);
    expect(watch.emergency()).toBeNull();
  });

  it('logs a log that cannot be read, and goes on', async () => {
    const { log, watch, step, logger } = setup();
    log.fail = true;
    await step(0, 0, 'warn');
    expect(watch.emergency()).toBeNull();
    expect(logger.entries.find((e) => e.message === 'could not read the unified log')?.fields).toMatchObject({ err: 'log: Could not open local log store' });
  });

  it('at start, tells a WindowServer restart without a reboot from a reboot, notifies once, and records the new one', async () => {
    const stored = identityOf({ pid: 300, startKey: 'Sat Nov 21 07:00:00 2026', startedAt: null, cpuMs: 0 }, BOOT, Date.UTC(2026, 10, 21, 7, 0, 5));
    const restarted = setup({ identity: stored, start: { boot: BOOT, previous: null, rebooted: false, uncleanStop: true } });
    await restarted.step(0, 0);
    expect(restarted.notifier.sent).toEqual([{ title: 'headroom: the GUI session was lost', message: expect.stringMatching(/^WindowServer restarted 4\.0 h ago since headroom last ran \(pid 300 → 372\) without a reboot/) as string }]);
    expect(restarted.watch.status().restart).toMatchObject({ previous: { pid: 300 }, current: { pid: 372 }, duringRun: false, lostSession: true });
    expect(restarted.identity.stored).toMatchObject({ pid: 372, startKey: 'Sat Nov 21 08:00:30 2026', bootId: 'boot-1' });
    await restarted.step(10_000, 1);
    expect(restarted.notifier.sent).toHaveLength(1);

    const rebooted = setup({ identity: { ...stored, bootId: 'boot-0' } });
    await rebooted.step(0, 0);
    expect(rebooted.notifier.sent).toEqual([]);
    expect(rebooted.watch.status().restart).toBeNull();
    expect(rebooted.logger.entries.map((e) => e.message)).toContain('WindowServer is new since the reboot');

    const same = setup({ identity: identityOf({ pid: 372, startKey: 'Sat Nov 21 08:00:30 2026', startedAt: null, cpuMs: 0 }, BOOT, 0) });
    await same.step(0, 0);
    expect(same.notifier.sent).toEqual([]);
  });

  it('calls a restart a lost session only on evidence: an unclean stop of the run before, or a crash report since the old WindowServer started', async () => {
    const oldStart = Date.UTC(2026, 10, 21, 7, 0, 0);
    const stored = identityOf({ pid: 300, startKey: 'Sat Nov 21 07:00:00 2026', startedAt: oldStart, cpuMs: 0 }, BOOT, oldStart + 5000);
    const clean = { boot: BOOT, previous: null, rebooted: false, uncleanStop: false };

    // A logout: headroom got SIGTERM, and no WindowServer crash report. Still an incident, told calmly.
    const logout = setup({ identity: stored, start: clean });
    logout.crashReports.reports = [{ file: '/Library/Logs/DiagnosticReports/WindowServer-2026-11-21-065000.ips', at: oldStart - 600_000 }];
    await logout.step(0, 0);
    expect(logout.crashReports.asked).toEqual([oldStart]);
    expect(logout.notifier.sent).toEqual([
      {
        title: 'headroom: WindowServer restarted',
        message:
          'WindowServer restarted 4.0 h ago since headroom last ran (pid 300 → 372) without a reboot. A logout does this too; headroom stopped cleanly and no WindowServer crash report was found, so nothing says the session was lost.',
      },
    ]);
    expect(logout.watch.status().restart).toMatchObject({ lostSession: false, evidence: [] });
    const logged = logout.logger.entries.find((e) => e.message.startsWith('WindowServer restarted without a reboot'));
    expect([logged?.level, logged?.message]).toEqual(['warn', 'WindowServer restarted without a reboot: a logout, or a restart with no crash report']);

    // A crash report written after the old WindowServer started: the session was lost.
    const crashed = setup({ identity: stored, start: clean });
    const report = { file: '/Library/Logs/DiagnosticReports/WindowServer-2026-11-21-075959.ips', at: Date.UTC(2026, 10, 21, 7, 59, 59) };
    crashed.crashReports.reports = [report];
    await crashed.step(0, 0);
    expect(crashed.notifier.sent[0]).toEqual({
      title: 'headroom: the GUI session was lost',
      message: expect.stringContaining(`(crash report ${report.file} (2026-11-21T07:59:59.000Z))`) as string,
    });
    const error = crashed.logger.entries.find((e) => e.message.startsWith('WindowServer restarted without a reboot'));
    expect([error?.level, error?.message]).toEqual(['error', 'WindowServer restarted without a reboot: the GUI session was lost']);

    // An unclean stop of the run before: the session was lost.
    const killed = setup({ identity: stored, start: { ...clean, uncleanStop: true } });
    await killed.step(0, 0);
    expect(killed.watch.status().restart).toMatchObject({ lostSession: true, evidence: ['the previous headroom run ended without SIGTERM (a logout sends one)'] });
  });

  it('notices a restart while it runs: the pid is gone, another WindowServer is found', async () => {
    const { sensor, watch, notifier, identity, step } = setup();
    await step(0, 0);
    sensor.pid = 9121;
    sensor.startKey = 'Sat Nov 21 12:00:05 2026';
    await step(10_000, 1);
    expect(sensor.calls).toEqual(['find', 'read 372', 'read 372', 'find', 'read 9121']);
    expect(watch.status()).toMatchObject({ pid: 9121, health: 'unknown', restart: { previous: { pid: 372 }, current: { pid: 9121 }, duringRun: true } });
    expect(notifier.sent.map((n) => n.message)).toEqual([expect.stringContaining('while headroom ran (pid 372 → 9121)')]);
    expect(identity.stored?.pid).toBe(9121);
  });

  it('tells a restart across a spell with no WindowServer at all', async () => {
    const { sensor, watch, notifier, step } = setup();
    await step(0, 0);
    sensor.pid = null;
    await step(10_000, 0);
    expect(watch.status()).toMatchObject({ pid: null, health: 'unknown' });
    sensor.pid = 9121;
    await step(10_000, 0);
    expect(watch.status().restart).toMatchObject({ previous: { pid: 372 }, current: { pid: 9121 }, duringRun: true });
    expect(notifier.sent).toHaveLength(1);
  });

  it('says unknown, with the reason, when WindowServer is not running or cannot be read', async () => {
    const { sensor, watch, step } = setup();
    sensor.pid = null;
    await step(0, 0);
    expect(watch.status()).toMatchObject({ health: 'unknown', reason: 'WindowServer is not running (no GUI session)', pid: null });
    sensor.fail = 'pgrep -x WindowServer: timed out after 2000 ms';
    await step(10_000, 0);
    expect(watch.status()).toMatchObject({ health: 'unknown', reason: 'cannot read WindowServer: pgrep -x WindowServer: timed out after 2000 ms' });
  });

  it('never starts a second reading while one is under way', async () => {
    const clock = new SimClock();
    let release: () => void = () => undefined;
    let finds = 0;
    const slow: WindowServerSensor = {
      find: () => ((finds += 1), new Promise((resolve) => (release = () => resolve(372)))),
      read: (pid) => Promise.resolve({ pid, startKey: 'k', startedAt: null, cpuMs: 1 }),
    };
    const watch = new WindowServerWatch({ sensor: slow, log: null, identity: new MemoryIdentity(), crashReports: null, start: Promise.resolve(null), clock, logger: captureLogger(), notifier: null, rules: RULES });
    watch.tick(memory(clock.now(), 'normal'), false);
    clock.advance(20_000);
    watch.tick(memory(clock.now(), 'normal'), false);
    expect(finds).toBe(1);
    release();
    await watch.settle();
    expect(watch.status().pid).toBe(372);
  });
});
