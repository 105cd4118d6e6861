import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import type { StartFacts } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';
import type { LockResult } from '../probe/run-lock.js';
import type { GaveUpRecord } from './gave-up-file.js';
import type { RecoveryOutcome, RecoveryReport, RecoveryTrigger } from './recovery.js';
import { DockerService, type DockerServiceDeps } from './service.js';

const BOOT: BootIdentity = { id: 'B1', bootedAt: 1_000_000 };
const START: StartFacts = { boot: BOOT, previous: { pid: 1, startedAt: 1, bootId: 'B0', bootedAt: 1, stoppedAt: null }, rebooted: true, uncleanStop: true };

function report(outcome: RecoveryOutcome, trigger: RecoveryTrigger, summary = outcome): RecoveryReport {
  return { trigger, startedAt: 0, finishedAt: 0, outcome, summary, findings: [], actions: outcome === 'recovered' ? [{ kind: 'start', tier: 'start', reason: 'r', ok: true, dryRun: false, detail: 'colima started' }] : [], startAttempts: 0, services: [] };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function make(outcomes: RecoveryOutcome[], overrides: Partial<DockerServiceDeps> = {}) {
  const clock = new SimClock();
  const calls: Array<{ trigger: RecoveryTrigger; boot: BootIdentity | null; signal: AbortSignal }> = [];
  const pings = { up: true, count: 0 };
  let record: GaveUpRecord | null = null;
  const startCount = { cleared: 0 };
  let lock: LockResult = { held: true, release: () => undefined };
  const notifier = new RecordingNotifier();
  const logger = captureLogger();
  const service = new DockerService({
    profile: 'default',
    installed: true,
    recover: (trigger, boot, signal) => {
      calls.push({ trigger, boot, signal });
      return Promise.resolve(report(outcomes.shift() ?? 'healthy', trigger));
    },
    ping: () => {
      pings.count += 1;
      return Promise.resolve({ socket: '/u/docker.sock', ok: pings.up, error: pings.up ? null : 'GET /_ping: ECONNREFUSED', timedOut: false, durationMs: 1 });
    },
    watchIntervalMs: 30_000,
    start: Promise.resolve(START),
    gaveUp: {
      blocking: (profile, boot) => (record && record.profile === profile && record.bootId === boot?.id ? record : null),
      write: (r) => void (record = { schemaVersion: 1, ...r }),
      clear: () => void (record = null),
    },
    startCount: { clear: () => void (startCount.cleared += 1) },
    lock: { acquire: () => lock },
    notifier,
    clock,
    logger,
    dryRun: false,
    ...overrides,
  });
  return {
    service,
    clock,
    calls,
    pings,
    notifier,
    logger,
    record: () => record,
    startCount,
    setRecord: (r: GaveUpRecord | null) => void (record = r),
    setLock: (l: LockResult) => void (lock = l),
    /** One loop tick, then time moves on by `ms`. */
    async tick(ms = 30_000) {
      service.tick();
      await settle();
      clock.advance(ms);
    },
  };
}

describe('DockerService', () => {
  it('without colima: says inactive and never checks', async () => {
    const t = make([], { installed: false });
    t.service.start();
    await t.tick();
    await t.tick();
    expect(t.calls).toEqual([]);
    expect(t.pings.count).toBe(0);
    expect(t.service.status()).toMatchObject({ state: 'inactive', summary: 'colima is not installed (not found on PATH): nothing to watch' });
  });

  it('checks at start once the boot is known, saying why (an unclean shutdown), then pings every watchIntervalMs', async () => {
    const t = make(['healthy']);
    await t.tick(); // before the start check: nothing
    t.service.start();
    await settle();
    expect(t.calls.map((c) => [c.trigger, c.boot])).toEqual([['start', BOOT]]);
    expect(t.logger.entries.map((e) => e.message)).toContain('docker check after an unclean shutdown of the machine');
    expect(t.service.status()).toMatchObject({ state: 'healthy' });
    await t.tick(10_000); // the start check just read: no ping yet
    expect(t.pings.count).toBe(0);
    await t.tick(20_000);
    await t.tick(30_000);
    expect(t.pings.count).toBe(1);
    await t.tick();
    expect(t.pings.count).toBe(2);
    expect(t.calls).toHaveLength(1);
  });

  it('one recovery per down time: Docker going down starts one; while it stays down only pings run; after it answers again, the next fall starts another', async () => {
    const t = make(['healthy', 'failed', 'recovered']);
    t.service.start();
    await settle();
    t.clock.advance(30_000);
    t.pings.up = false;
    await t.tick();
    expect(t.calls.map((c) => c.trigger)).toEqual(['start', 'watch']);
    expect(t.service.status()).toMatchObject({ state: 'gave-up' });
    expect(t.record()).toMatchObject({ profile: 'default', bootId: 'B1', summary: 'failed' });
    expect(t.notifier.sent.map((n) => n.title)).toEqual(['headroom: Docker could not be recovered']);
    for (let i = 0; i < 5; i++) await t.tick();
    expect(t.calls).toHaveLength(2);
    t.pings.up = true;
    await t.tick();
    expect(t.service.status()).toMatchObject({ state: 'healthy' });
    expect(t.record()).toBeNull();
    t.pings.up = false;
    await t.tick();
    expect(t.calls.map((c) => c.trigger)).toEqual(['start', 'watch', 'watch']);
    expect(t.notifier.sent.map((n) => n.title)).toEqual(['headroom: Docker could not be recovered', 'headroom: Docker is back']);
  });

  it("Docker answering again, whoever brought it back, clears this boot's start count (a later fall gets its starts)", async () => {
    const t = make(['failed']);
    t.pings.up = false;
    t.service.start();
    await settle();
    t.clock.advance(30_000);
    await t.tick();
    expect(t.startCount.cleared).toBe(0);
    t.pings.up = true;
    await t.tick();
    expect(t.startCount.cleared).toBe(1);
    await t.tick();
    expect(t.startCount.cleared).toBe(1);
  });

  it('a colima start under way (waiting) is looked at again at the next ping', async () => {
    const t = make(['waiting', 'recovered']);
    t.pings.up = false;
    t.service.start();
    await settle();
    expect(t.service.status().state).toBe('down');
    t.clock.advance(30_000);
    await t.tick();
    expect(t.calls.map((c) => c.trigger)).toEqual(['start', 'watch']);
  });

  it('after a recovery gave up in this boot (a restarted daemon), does not recover at start', async () => {
    const t = make([]);
    t.setRecord({ schemaVersion: 1, profile: 'default', bootId: 'B1', bootedAt: BOOT.bootedAt, at: 5, summary: 'colima start failed 3 times' });
    t.pings.up = false;
    t.service.start();
    await settle();
    expect(t.calls).toEqual([]);
    expect(t.service.status().summary).toMatch(/^a recovery gave up earlier in this boot \(.*: colima start failed 3 times\); waiting for Docker to answer, or "headroom docker recover"$/);
    await t.tick();
    await t.tick();
    expect(t.calls).toEqual([]);
    t.pings.up = true;
    await t.tick();
    expect(t.record()).toBeNull();
  });

  it('a record from another boot does not hold it back', async () => {
    const t = make(['recovered']);
    t.setRecord({ schemaVersion: 1, profile: 'default', bootId: 'B0', bootedAt: 1, at: 5, summary: 'old' });
    t.service.start();
    await settle();
    expect(t.calls.map((c) => c.trigger)).toEqual(['start']);
  });

  it('skips a recovery while another holds the lock (headroom docker recover), and tries at the next tick', async () => {
    const t = make(['healthy']);
    t.setLock({ held: false, holderPid: 4242 });
    t.service.start();
    await settle();
    expect(t.calls).toEqual([]);
    expect(t.logger.entries.map((e) => e.message)).toContain('docker recovery skipped: another one is under way (pid 4242)');
  });

  it('never overlaps, and stop() cancels the recovery under way', async () => {
    let release: (r: RecoveryReport) => void = () => undefined;
    let signal: AbortSignal | null = null;
    const t = make([], {
      recover: (trigger, _boot, s) => {
        signal = s;
        return new Promise((resolve) => {
          release = resolve;
          s.addEventListener('abort', () => resolve(report('canceled', trigger)));
        });
      },
    });
    t.service.start();
    await settle();
    await t.tick();
    await t.tick();
    expect(t.pings.count).toBe(0);
    expect(t.service.status().state).toBe('recovering');
    await t.service.stop();
    expect(signal!.aborted).toBe(true);
    release(report('healthy', 'start'));
  });
});
