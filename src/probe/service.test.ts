import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GiB } from '../core/units.js';
import type { MemorySnapshot } from '../core/memory.js';
import { OllamaHttpClient } from '../ollama/client.js';
import type { PlanResult, ServerStatus } from '../ollama/server.js';
import type { Schedule } from '../ports/schedule.js';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeOllama } from '../../test/helpers/fake-ollama.js';
import { memorySnapshot } from '../../test/helpers/memory-snapshot.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { testProbeSettings } from '../../test/helpers/probe-settings.js';
import { ProbeHistoryFile } from './history-file.js';
import { RunLockFile } from './run-lock.js';
import { ProbeRunner, type RunOptions } from './runner.js';
import type { ProbeRun, ProbeTrigger } from './types.js';
import { MISSED_AFTER_MS, ProbeService, type ProbeServiceDeps } from './service.js';
import { NodeCronSchedule } from '../adapters/node-cron-schedule.js';

const HALF_HOUR_MS = 30 * 60_000;
const PROMPTS = ['What is the capital of France?', 'What is 15 + 27?'];

/** node-cron's part, on the simulated clock: fires only when the test says so; next run at the next half hour. */
class FakeSchedule implements Schedule {
  readonly expression = '*/30 * * * *';
  fire: (() => Promise<void>) | null = null;
  constructor(private readonly clock: SimClock) {}
  start(fire: () => Promise<void>): void {
    this.fire = fire;
  }
  stop(): void {
    this.fire = null;
  }
  nextRunAt(): number | null {
    return this.fire ? (Math.floor(this.clock.now() / HALF_HOUR_MS) + 1) * HALF_HOUR_MS : null;
  }
}

/** headroom's Ollama server, as far as the probes see it. */
class FakeServer {
  restarts = 0;
  current: ServerStatus | null = null;
  /** What restart() does: succeed, or fail the way OllamaServer does when someone else serves. */
  outcome: 'ok' | 'refused' = 'ok';
  restart(): Promise<PlanResult> {
    this.restarts += 1;
    if (this.outcome === 'refused') return Promise.reject(new Error('Ollama is served by Ollama.app, not by headroom: nothing of headroom\'s to restart'));
    return Promise.resolve({ plan: { actions: [], summary: 'restart' }, steps: ['deleted and started pm2 app headroom-ollama'], ok: true, readyAfterMs: 300 });
  }
}

describe('ProbeService', () => {
  let fake: FakeOllama;
  let dir: string;
  let clock: SimClock;
  let schedule: FakeSchedule;
  let server: FakeServer;
  let notifier: RecordingNotifier;
  let samples: MemorySnapshot[];
  let logger: ReturnType<typeof captureLogger>;
  const services: ProbeService[] = [];

  beforeEach(async () => {
    fake = new FakeOllama();
    await fake.start();
    fake.installed = [{ name: 'granite3.3:2b', size: 1.5 * GiB, digest: 'a' }];
    fake.showFrom('granite3.3:2b', 'show-text.json');
    answerRight();
    dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-probes-'));
    // On a half hour, as node-cron would fire.
    clock = new SimClock(Date.UTC(2026, 10, 21, 12, 0, 0));
    schedule = new FakeSchedule(clock);
    server = new FakeServer();
    notifier = new RecordingNotifier();
    samples = [];
    logger = captureLogger();
  });
  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function answerRight(): void {
    fake.answers.set(PROMPTS[0]!, { response: 'Paris is the capital of France.' });
    fake.answers.set(PROMPTS[1]!, { response: 'The sum is 42.' });
  }
  function answerWrong(): void {
    fake.answers.set(PROMPTS[0]!, { response: 'I do not know that.' });
  }

  function service(overrides: Partial<ProbeServiceDeps> = {}): ProbeService {
    const runner = new ProbeRunner({
      api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 2000 }),
      sample: () => Promise.resolve(samples.shift() ?? memorySnapshot({ at: clock.now() })),
      clock,
      settings: testProbeSettings(),
      logger,
    });
    const created = new ProbeService({
      runner,
      schedule,
      history: new ProbeHistoryFile(path.join(dir, 'probes.json'), 20),
      lock: new RunLockFile(path.join(dir, 'probe.lock')),
      server,
      failuresBeforeRestart: 2,
      restartServer: true,
      notifier,
      clock,
      logger,
      dryRun: false,
      ...overrides,
    });
    services.push(created);
    created.start();
    return created;
  }

  /** What node-cron does at a scheduled time. */
  async function scheduledRun(): Promise<void> {
    clock.advance(HALF_HOUR_MS);
    await schedule.fire!();
  }

  it('runs on the schedule, logs the run and keeps it', async () => {
    const probes = service();
    expect(probes.status()).toMatchObject({ schedule: '*/30 * * * *', nextRunAt: clock.now() + HALF_HOUR_MS, running: false, lastRun: null });
    await scheduledRun();
    const status = probes.status();
    expect(status.lastRun).toMatchObject({ trigger: 'schedule', outcome: 'passed', model: 'granite3.3:2b' });
    expect(status.nextRunAt).toBe(clock.now() + HALF_HOUR_MS);
    expect(new ProbeHistoryFile(path.join(dir, 'probes.json'), 20).load().runs).toHaveLength(1);
    expect(logger.entries.some((e) => e.level === 'info' && e.message === 'probes passed with granite3.3:2b')).toBe(true);
  });

  it('restarts Ollama and notifies after 2 failed runs in a row, once, and notifies again on recovery', async () => {
    const probes = service();
    answerWrong();
    await scheduledRun();
    expect(server.restarts).toBe(0);
    expect(notifier.sent).toEqual([]);
    await scheduledRun();
    expect(server.restarts).toBe(1);
    expect(notifier.sent).toEqual([
      {
        title: 'headroom: Ollama probes failing',
        message: 'The known-answer probes failed 2 runs in a row (granite3.3:2b: capital fail, answer does not contain "paris"). Restarted Ollama.',
      },
    ]);
    expect(probes.status()).toMatchObject({ failedRuns: 2, lastRun: { escalation: 'restarted Ollama' } });
    await scheduledRun();
    expect(server.restarts).toBe(1);
    expect(notifier.sent).toHaveLength(1);
    answerRight();
    await scheduledRun();
    expect(notifier.sent[1]).toEqual({ title: 'headroom: Ollama probes pass again', message: 'The known-answer probes pass again with granite3.3:2b, after 3 failed runs.' });
    expect(probes.status().failedRuns).toBe(0);
  });

  it('restarts once per streak even when the streak outlasts the kept runs', async () => {
    service({ history: new ProbeHistoryFile(path.join(dir, 'probes.json'), 1) });
    answerWrong();
    for (let i = 0; i < 6; i++) await scheduledRun();
    expect(server.restarts).toBe(1);
    expect(notifier.sent).toHaveLength(1);
    answerRight();
    await scheduledRun();
    expect(notifier.sent[1]?.title).toBe('headroom: Ollama probes pass again');
  });

  it('says so when the restart is refused (someone else serves)', async () => {
    server.outcome = 'refused';
    const probes = service();
    answerWrong();
    await scheduledRun();
    await scheduledRun();
    expect(probes.status().lastRun?.escalation).toBe("could not restart Ollama: Ollama is served by Ollama.app, not by headroom: nothing of headroom's to restart");
    expect(notifier.sent[0]!.message).toMatch(/\. Could not restart Ollama: Ollama is served by Ollama\.app/);
  });

  it('notifies without restarting when probe.restartServer is false', async () => {
    service({ restartServer: false });
    answerWrong();
    await scheduledRun();
    await scheduledRun();
    expect(notifier.sent[0]!.message).toMatch(/Notified \(probe\.restartServer is false\)\.$/);
    expect(server.restarts).toBe(0);
  });

  it('does not restart Ollama for a configured model that is not installed: that would not help', async () => {
    const runner = new ProbeRunner({
      api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 2000 }),
      sample: () => Promise.resolve(memorySnapshot()),
      clock,
      settings: testProbeSettings({ probes: [{ name: 'capital', prompt: PROMPTS[0]!, expect: 'paris' }], model: 'nope:1b' }),
      logger,
    });
    const probes = service({ runner });
    await scheduledRun();
    await scheduledRun();
    expect(server.restarts).toBe(0);
    expect(probes.status().lastRun?.escalation).toBe('notified (the model is not installed: restarting Ollama would not help)');
    expect(notifier.sent[0]!.message).toContain("HTTP 404: model 'nope:1b' not found");
  });

  it('never restarts Ollama while stopping, even on the failure that would escalate', async () => {
    // A runner whose second run fails only once the service stops (a run that ends as shutdown begins).
    const failed = (trigger: ProbeTrigger): ProbeRun => ({ startedAt: clock.now(), finishedAt: clock.now(), trigger, outcome: 'failed', reason: null, model: 'm', modelWhy: null, results: [] });
    let calls = 0;
    const runner = {
      run: (trigger: ProbeTrigger, options?: RunOptions): Promise<ProbeRun> => {
        calls += 1;
        if (calls === 1) return Promise.resolve(failed(trigger));
        return new Promise((resolve) => options?.signal?.addEventListener('abort', () => resolve(failed(trigger))));
      },
    };
    const probes = service({ runner });
    await scheduledRun();
    clock.advance(HALF_HOUR_MS);
    const run = probes.trigger('schedule');
    await probes.stop();
    await run;
    expect(server.restarts).toBe(0);
    expect(notifier.sent).toEqual([]);
  });

  it('keeps the loop alive when a catch-up run cannot even take its lock', async () => {
    const probes = service({ lock: { acquire: () => { throw new Error('EACCES: permission denied'); } } });
    clock.advance(8 * 3600_000);
    probes.tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(probes.status().lastRun).toMatchObject({ outcome: 'skipped', reason: 'cannot take the probe lock: EACCES: permission denied' });
  });

  it('does not count a run skipped under pressure as a failure', async () => {
    service();
    answerWrong();
    await scheduledRun();
    samples = [memorySnapshot({ pressure: 'warn' })];
    await scheduledRun();
    expect(server.restarts).toBe(0);
    // Logged as "skipped: pressure", at info: a skip is no failure.
    const skips = logger.entries.filter((entry) => entry.fields.component === 'probe' && entry.message.startsWith('probe run skipped: pressure'));
    expect(skips.map((entry) => entry.level)).toEqual(['info']);
    await scheduledRun();
    expect(server.restarts).toBe(1);
  });

  it('carries a failure streak over a daemon restart (it is kept in probes.json)', async () => {
    const first = service();
    answerWrong();
    await scheduledRun();
    await first.stop();
    const second = service();
    expect(second.status().failedRuns).toBe(1);
    await scheduledRun();
    expect(server.restarts).toBe(1);
  });

  it('notifies without restarting when headroom runs no server', async () => {
    service({ server: null });
    answerWrong();
    await scheduledRun();
    await scheduledRun();
    expect(notifier.sent[0]!.message).toMatch(/Notified \(headroom runs no Ollama server: ollama\.manage is false\)\.$/);
    expect(server.restarts).toBe(0);
  });

  it('runs once after a sleep that missed a scheduled run, and not again', async () => {
    const probes = service();
    // Nothing is due before the next half hour plus the grace.
    clock.advance(HALF_HOUR_MS + MISSED_AFTER_MS - 1000);
    probes.tick();
    await Promise.resolve();
    expect(fake.requestsTo('/api/generate')).toHaveLength(0);
    // The Mac sleeps for 8 hours: node-cron's timer cannot fire meanwhile, the daemon's next tick sees the gap.
    clock.advance(8 * 3600_000);
    probes.tick();
    probes.tick();
    await probes.trigger('schedule');
    const runs = new ProbeHistoryFile(path.join(dir, 'probes.json'), 20).load().runs;
    expect(runs.map((r) => r.trigger)).toEqual(['wake']);
    expect(fake.requestsTo('/api/generate')).toHaveLength(2);
    probes.tick();
    expect(probes.status().running).toBe(false);
    expect(probes.status().nextRunAt).toBeGreaterThan(clock.now());
    expect(logger.entries.some((e) => e.message.startsWith('a scheduled probe run was missed'))).toBe(true);
  });

  it('catches up a run missed during a sleep with the real node-cron schedule too', async () => {
    // node-cron's own timers run on real time; the service judges lateness on its clock, here
    // simulated: it starts now and jumps 8 hours, as a Mac waking up sees it.
    clock = new SimClock(Date.now());
    const cron = new NodeCronSchedule('*/30 * * * *', logger, MISSED_AFTER_MS);
    const probes = service({ schedule: cron, clock });
    const dueAt = probes.status().nextRunAt!;
    expect(dueAt - Date.now()).toBeLessThanOrEqual(HALF_HOUR_MS);
    probes.tick();
    await Promise.resolve();
    expect(fake.requestsTo('/api/generate')).toHaveLength(0);
    clock.advance(8 * 3600_000);
    probes.tick();
    await probes.trigger('schedule');
    expect(new ProbeHistoryFile(path.join(dir, 'probes.json'), 20).load().runs.map((r) => r.trigger)).toEqual(['wake']);
    // After the run the next slot comes from node-cron again: due in the future of the real clock.
    expect(probes.status().nextRunAt).toBeGreaterThanOrEqual(dueAt);
  });

  it('never runs two at once: a trigger during a run joins it', async () => {
    fake.answers.set(PROMPTS[0]!, { response: 'Paris.', delayMs: 300 });
    const probes = service();
    clock.advance(HALF_HOUR_MS);
    const first = schedule.fire!();
    const second = probes.trigger('schedule');
    expect(probes.status().running).toBe(true);
    await Promise.all([first, second]);
    expect(fake.requestsTo('/api/generate')).toHaveLength(2);
    expect(new ProbeHistoryFile(path.join(dir, 'probes.json'), 20).load().runs).toHaveLength(1);
    expect(logger.entries.some((e) => e.message === 'probe run not started: the previous one is still under way')).toBe(true);
  });

  it('skips while another process holds the probe lock (headroom probe)', async () => {
    // The parent of this test process is alive and is not this process.
    writeFileSync(path.join(dir, 'probe.lock'), `${process.ppid}\n`);
    const probes = service();
    await scheduledRun();
    expect(probes.status().lastRun).toMatchObject({ outcome: 'skipped', reason: `another probe run is under way (pid ${process.ppid})` });
    expect(fake.requests).toHaveLength(0);
  });

  it('skips while the user has stopped the server', async () => {
    server.current = { stoppedByUser: true } as ServerStatus;
    const probes = service();
    await scheduledRun();
    expect(probes.status().lastRun).toMatchObject({ outcome: 'skipped', reason: 'the Ollama server is stopped ("headroom ollama stop")' });
    expect(fake.requests).toHaveLength(0);
  });

  it('cancels the run under way when it stops', async () => {
    fake.answers.set(PROMPTS[0]!, { response: 'Paris.', delayMs: 5000 });
    const probes = service();
    clock.advance(HALF_HOUR_MS);
    const run = probes.trigger('schedule');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await probes.stop();
    expect((await run).outcome).toBe('skipped');
    expect(schedule.fire).toBeNull();
  });

  it('in a dry run sends nothing, keeps nothing and never escalates', async () => {
    const probes = service({ dryRun: true });
    answerWrong();
    await scheduledRun();
    await scheduledRun();
    expect(probes.status().lastRun?.reason).toMatch(/^dry run: would send 2 probes to granite3\.3:2b/);
    expect(fake.requestsTo('/api/generate')).toHaveLength(0);
    expect(server.restarts).toBe(0);
  });
});
