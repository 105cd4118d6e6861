import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeOllama, type FakeLoadedModel } from '../../test/helpers/fake-ollama.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { systemClock } from '../adapters/system-clock.js';
import { InstantClock } from '../../test/helpers/instant-clock.js';
import type { Clock } from '../ports/clock.js';
import type { MemorySnapshot, Pressure } from '../core/memory.js';
import { GiB, MiB } from '../core/units.js';
import { OllamaHttpClient } from '../ollama/client.js';
import { OllamaWatcher, type StillPacing } from '../ollama/watcher.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { Guard } from './guard.js';
import type { ProcessInspector, ProcessTable, Signaller } from '../ports/processes.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import { FakeRunner } from '../../test/helpers/fake-runner.js';
import { OsascriptNotifier } from '../platform/darwin/notify.js';
import type { GuardRules } from './types.js';
import { defaultConfig } from '../config/schema.js';
import { guardRules } from './rules.js';

/** The shipped defaults (docs/policy.md). */
const RULES: GuardRules = guardRules(defaultConfig());
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function memory(t: number, pressure: Pressure, availableGiB: number): MemorySnapshot {
  return {
    at: T0 + t * 1000,
    totalBytes: 48 * GiB,
    availableBytes: availableGiB * GiB,
    freeBytes: GiB,
    wiredBytes: GiB,
    compressedBytes: GiB,
    swapUsedBytes: 0,
    swapTotalBytes: 0,
    pressure,
  };
}

function loaded(name: string, sizeGiB: number, expiresInS: number): FakeLoadedModel {
  return { name, size: sizeGiB * GiB, size_vram: sizeGiB * GiB, digest: name, expires_at: new Date(T0 + expiresInS * 1000).toISOString(), details: { family: 'llama', families: ['llama'] } };
}

let fake: FakeOllama;
let notifier: RecordingNotifier;
let logger: ReturnType<typeof captureLogger>;
let fresh: MemorySnapshot;

type FakeEntry = { pid: number; ppid?: number; command: string; uid: number; startKey?: string };

/** A process table with one Ollama runner (pid 4242 unless said), owned by us unless said. */
class FakeProcesses implements ProcessTable, Pick<ProcessInspector, 'get'>, Signaller {
  readonly ownUid = 501;
  readonly ownPid = 1;
  readonly sent: Array<[number, string]> = [];
  living = new Set<number>();
  gets = 0;
  aliveChecks = 0;
  /** Called on each signal-0 look, so a test can change the table during the grace. */
  onAlive: (() => void) | null = null;
  /** Called after each signal is sent. */
  onSend: ((pid: number, signal: NodeJS.Signals) => void) | null = null;
  constructor(
    readonly table: FakeEntry[],
    private readonly diesOn: NodeJS.Signals | null = 'SIGTERM',
  ) {
    for (const entry of table) this.living.add(entry.pid);
  }
  /** Every entry is a child of Ollama's server (pid 4000) unless it says otherwise. */
  private rows(): Array<Required<FakeEntry>> {
    const server = { pid: 4000, ppid: 1, command: '/Applications/Ollama.app/Contents/Resources/ollama serve', uid: 501, startKey: 'start-4000' };
    return [server, ...this.table.filter((p) => this.living.has(p.pid)).map(({ pid, ppid = server.pid, command, uid, startKey = `start-${pid}` }) => ({ pid, ppid, command, uid, startKey }))];
  }
  list() {
    return Promise.resolve(this.rows().map(({ pid, ppid, command }) => ({ pid, ppid, command })));
  }
  get(pid: number) {
    this.gets += 1;
    const row = this.rows().find((p) => p.pid === pid);
    return Promise.resolve(row ? { ...row, rssBytes: null, cpuMs: null } : null);
  }
  ownerUid(pid: number) {
    return Promise.resolve(this.rows().find((p) => p.pid === pid)?.uid ?? null);
  }
  alive(pid: number) {
    this.aliveChecks += 1;
    this.onAlive?.();
    return this.living.has(pid);
  }
  send(pid: number, signal: NodeJS.Signals) {
    this.sent.push([pid, signal]);
    if (signal === this.diesOn || signal === 'SIGKILL') this.living.delete(pid);
    this.onSend?.(pid, signal);
    return true;
  }
}

const RUNNER = '/Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/u/.ollama/models/blobs/sha256-' + 'a'.repeat(64) + ' --port 50123';

function makeGuard(rules: GuardRules = RULES, processes: FakeProcesses | null = null, options: { clock?: Clock; stopping?: AbortSignal; still?: StillPacing } = {}): Guard {
  const api = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 500 });
  return new Guard({
    watcher: new OllamaWatcher({ api, clock: options.clock ?? systemClock, logger, pollIntervalMs: 2000, ...(options.still ? { still: options.still } : {}), processes }),
    api,
    notifier,
    clock: options.clock ?? systemClock,
    logger,
    rules,
    resample: () => Promise.resolve(fresh),
    unloadTimeoutMs: 2000,
    unloadPollMs: 20,
    inspector: processes,
    signaller: processes,
    ...(options.stopping ? { stopping: options.stopping } : {}),
    readBudgetMs: 1000,
  });
}

type RunnerOutcome = { gone: boolean; error?: string };
/** The guard's stop of one loading runner, called directly. */
const terminate = (guard: Guard, pid = 4242): Promise<RunnerOutcome> =>
  (guard as unknown as { terminateRunner(model: string, pid: number): Promise<RunnerOutcome> }).terminateRunner('m', pid);

const messages = () => logger.entries.map((e) => e.message);

beforeEach(async () => {
  fake = new FakeOllama();
  await fake.start();
  fake.loaded = [loaded('old:8b', 5, 100), loaded('new:8b', 5, 280)];
  fake.showFrom('old:8b', 'show-text.json');
  fake.showFrom('new:8b', 'show-text.json');
  notifier = new RecordingNotifier();
  logger = captureLogger();
});
afterEach(async () => {
  await fake.stop();
});

describe('Guard', () => {
  it('unloads the least recently used model after a sustained warn, and tells the user', async () => {
    const guard = makeGuard();
    fresh = memory(2.1, 'warn', 10);
    await guard.tick(memory(0, 'warn', 10));
    expect(guard.alert).toBe(true);
    await guard.tick(memory(2, 'warn', 10));
    expect(guard.status().unloading).toEqual(['old:8b']);
    await guard.settle();
    expect(fake.unloads).toEqual(['old:8b']);
    expect(fake.loaded.map((m) => m.name)).toEqual(['new:8b']);
    expect(guard.status()).toMatchObject({ level: 'warn', unloading: null, lastUnload: { rule: 'warn', outcomes: [{ model: 'old:8b', gone: true }] } });
    expect(notifier.sent).toEqual([
      { title: 'headroom: memory pressure warn', message: '10.0 GiB available of 48.0 GiB (floor 4.8 GiB): kernel pressure warn. Unloading old:8b (5.0 GiB).' },
    ]);
    expect(messages()).toEqual(expect.arrayContaining(['guard level warn', 'notification', 'unloading', 'model unloaded']));
    const unloading = logger.entries.find((e) => e.message === 'unloading');
    // The event carries the snapshot the unload was decided on: the fresh second look.
    expect(unloading?.fields).toMatchObject({ rule: 'warn', models: ['old:8b'], snapshot: { at: T0 + 2100, memory: { pressure: 'warn' } } });
    // Every decision and action event carries the snapshot behind it.
    for (const message of ['guard level warn', 'notification', 'unloading', 'model unloaded']) {
      const event = logger.entries.find((e) => e.message === message);
      expect(event?.fields, message).toMatchObject({ snapshot: { memory: { pressure: 'warn', availableBytes: expect.any(Number) as unknown }, ollama: { status: 'ok' } } });
    }
  });

  it('at calm, asks /api/ps again only when the tick\'s memory moved, or the last answer is stillPollIntervalMs old', async () => {
    const clock = new SimClock(T0);
    const guard = makeGuard(RULES, null, { clock, still: { pollIntervalMs: 30_000, withinBytes: 256 * MiB } });
    await guard.tick(memory(0, 'normal', 20));
    // [seconds since the first tick, GiB available, /api/ps reads so far]
    const steps: Array<[number, number, number]> = [
      [5, 20, 1], // still: the first answer stands
      [6, 14, 2], // a 6 GiB model loaded: available memory fell by its size
      [35, 14, 2], // still since that read
      [36, 14, 3], // that read is 30 s old
    ];
    for (const [seconds, availableGiB, reads] of steps) {
      clock.advance(T0 + seconds * 1000 - clock.now());
      await guard.tick(memory(seconds, 'normal', availableGiB));
      expect(fake.requestsTo('/api/ps'), `at ${seconds} s`).toHaveLength(reads);
    }
  });

  it('unloads every model at once on an emergency, even on calm memory, tells the user, and opens the process stage after the cooldown', async () => {
    const guard = makeGuard({ ...RULES, cooldownMs: 1000 });
    fresh = memory(0.1, 'normal', 20);
    await guard.tick(memory(0, 'normal', 20), undefined, 'WindowServer: timed out fence');
    expect(guard.processStage).toBeNull();
    await guard.settle();
    expect([...fake.unloads].sort()).toEqual(['new:8b', 'old:8b']);
    expect(notifier.sent).toEqual([{ title: 'headroom: memory emergency, the screen may freeze', message: expect.stringContaining('emergency: WindowServer: timed out fence. Unloading') as string }]);
    fresh = memory(2.1, 'normal', 20);
    await guard.tick(memory(2, 'normal', 20), undefined, 'WindowServer: timed out fence');
    expect(guard.processStage).toBe('critical');
    await guard.tick(memory(3, 'normal', 20));
    expect(guard.processStage).toBeNull();
  });

  it('re-samples before acting: skips the unload when memory has recovered, tells nobody, and starts no cooldown', async () => {
    const guard = makeGuard();
    fresh = memory(2.1, 'normal', 20);
    await guard.tick(memory(0, 'warn', 10));
    await guard.tick(memory(2, 'warn', 10));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(notifier.sent).toEqual([]);
    expect(logger.entries.find((e) => e.message === 'unload skipped')?.fields).toMatchObject({ skipped: 'not needed on a fresh sample', models: ['old:8b'] });
    // The normal fresh reading broke the sustain; warn holds again from t=3, and at t=5 it acts:
    // without a cooldown charged for the skipped unload, which would have lasted until t=12.
    for (const t of [3, 4, 5]) {
      fresh = memory(t + 0.1, 'warn', 10);
      await guard.tick(memory(t, 'warn', 10));
    }
    await guard.settle();
    expect(fake.unloads).toEqual(['old:8b']);
  });

  it('acts on the first look when the fresh sample fails', async () => {
    const api = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 500 });
    const guard = new Guard({
      watcher: new OllamaWatcher({ api, clock: systemClock, logger, pollIntervalMs: 2000, processes: null }),
      api,
      notifier,
      clock: systemClock,
      logger,
      rules: RULES,
      resample: () => Promise.reject(new Error('sysctl hung')),
      unloadTimeoutMs: 2000,
      unloadPollMs: 20,
      inspector: null,
      signaller: null,
      readBudgetMs: 1000,
    });
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect([...fake.unloads].sort()).toEqual(['new:8b', 'old:8b']);
  });

  it('unloads every model at once on critical', async () => {
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect([...fake.unloads].sort()).toEqual(['new:8b', 'old:8b']);
    expect(fake.loaded).toEqual([]);
  });

  it('sends nothing to Ollama in a dry run, and says "would unload"', async () => {
    const guard = makeGuard({ ...RULES, dryRun: true });
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(messages()).toContain('would unload (dry run)');
    expect(logger.entries.find((e) => e.message === 'would unload (dry run)')?.fields).toMatchObject({ rule: 'critical', snapshot: { memory: { pressure: 'critical' } } });
    expect(notifier.sent[0]?.message).toMatch(/Would unload old:8b \(5\.0 GiB\), new:8b \(5\.0 GiB\)\.$/);
  });

  it('unloads an oversize model at once and says its size and the limit', async () => {
    fake.loaded = [loaded('llama3.3:70b', 40, 300)];
    fake.showFrom('llama3.3:70b', 'show-text.json');
    const guard = makeGuard();
    fresh = memory(0.1, 'normal', 20);
    await guard.tick(memory(0, 'normal', 20));
    await guard.settle();
    expect(fake.unloads).toEqual(['llama3.3:70b']);
    expect(notifier.sent).toEqual([
      {
        title: 'headroom: llama3.3:70b is too large for this Mac',
        message: 'Unloading llama3.3:70b: 40.0 GiB is over the 30.0 GiB limit for text models (62.5% of 48.0 GiB). To keep it, add it to guard.allowLargeModels.',
      },
    ]);
  });

  it('keeps going when Ollama is down or answers garbage, and reports it', async () => {
    fake.faults.set('/api/ps', { kind: 'garbage', body: '{"models": 7}' });
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(notifier.sent[0]?.message).toMatch(/Ollama answers with errors: no model can be unloaded\.$/);
    fake.faults.set('/api/ps', { kind: 'hang' });
    await guard.tick(memory(1, 'critical', 1));
    await guard.settle();
    fake.faults.set('/api/version', { kind: 'hang' });
    await guard.tick(memory(2, 'critical', 1));
    await guard.settle();
    // That read outlives the tick's budget (two 500 ms timeouts): it lands in the background.
    for (let i = 0; i < 40 && !messages().includes('ollama unreachable'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    // A /api/ps that hangs while the server answers is "busy" (a load holds Ollama's lock); one
    // that hangs with the server is "unreachable".
    expect(messages()).toEqual(expect.arrayContaining(['ollama error', 'ollama busy', 'ollama unreachable']));
  });

  it('logs a model that stays loaded after the unload', async () => {
    fake.unloadDelayMs = 60_000;
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    const stuck = logger.entries.filter((e) => e.message === 'model still loaded after the unload');
    expect(stuck.map((e) => e.fields.model).sort()).toEqual(['new:8b', 'old:8b']);
    expect(stuck[0]?.level).toBe('error');
  });

  it('stops a model still loading by signalling its runner, when /api/ps is busy', async () => {
    fake.loaded = [loaded('old:8b', 5, 100)];
    // The 70B's /api/show names the blob its runner loads (show-text.json with its FROM line changed).
    fake.shows.set('llama3.3:70b', { ...(JSON.parse(readFixture('ollama', 'show-text.json')) as object), modelfile: `FROM /Users/u/.ollama/models/blobs/sha256-${'a'.repeat(64)}\n` });
    fake.installed = [
      { name: 'old:8b', size: 5 * GiB, digest: 'b'.repeat(64) },
      { name: 'llama3.3:70b', size: 40 * GiB, digest: 'c'.repeat(64) },
    ];
    const processes = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 501 }]);
    fresh = memory(0.1, 'normal', 30);
    const client = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 300 });
    const busyGuard = new Guard({
      watcher: new OllamaWatcher({ api: client, clock: systemClock, logger, pollIntervalMs: 0, processes }),
      api: client,
      notifier,
      clock: systemClock,
      logger,
      rules: RULES,
      resample: () => Promise.resolve(fresh),
      unloadTimeoutMs: 2000,
      unloadPollMs: 20,
      inspector: processes,
      signaller: processes,
      readBudgetMs: 2000,
    });
    await busyGuard.tick(memory(1, 'normal', 30)); // /api/ps answers: old:8b is loaded
    fake.loading = true; // a client asks for llama3.3:70b: Ollama holds the runner's lock while it loads
    await busyGuard.tick(memory(2, 'normal', 30));
    await busyGuard.settle();
    expect(processes.sent).toEqual([[4242, 'SIGTERM']]);
    expect(fake.unloads).toEqual([]);
    expect(notifier.sent.at(-1)?.message).toMatch(/^Stopping the load of llama3\.3:70b: 40\.0 GiB is over the 30\.0 GiB limit/);
    expect(logger.entries.find((e) => e.message === 'ollama busy')?.fields).toMatchObject({ status: 'busy', models: ['old:8b', 'llama3.3:70b'] });
    fake.finishLoading();
  });

  it('never signals a runner of another user, a pid that is no longer a runner, nor one no Ollama server started', async () => {
    const foreign = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 0 }]);
    expect(await terminate(makeGuard(RULES, foreign))).toMatchObject({ gone: false, error: 'pid 4242 left alone: it belongs to another user (uid 0)' });
    const reused = new FakeProcesses([{ pid: 4242, command: '/usr/bin/vim notes.txt', uid: 501 }]);
    expect(await terminate(makeGuard(RULES, reused))).toMatchObject({ gone: false, error: 'pid 4242 left alone: it is not an Ollama runner' });
    // A runner command line that no Ollama server started (llama.cpp's own server, run by hand).
    const handRun = new FakeProcesses([{ pid: 4242, ppid: 1, command: RUNNER, uid: 501 }]);
    expect(await terminate(makeGuard(RULES, handRun))).toMatchObject({ gone: false, error: 'pid 4242 left alone: its parent is not an ollama serve' });
    expect([...foreign.sent, ...reused.sent, ...handRun.sent]).toEqual([]);
    // A load that ended on its own: nothing to stop.
    const ended = new FakeProcesses([]);
    expect(await terminate(makeGuard(RULES, ended))).toMatchObject({ gone: true });
    expect(ended.sent).toEqual([]);
  });

  it('follows SIGTERM with SIGKILL when the runner does not stop, waiting with signal 0 and looking again only before each signal', async () => {
    const stubborn = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 501 }], null);
    const clock = new InstantClock(T0);
    const outcome = await terminate(makeGuard(RULES, stubborn, { clock }));
    expect(outcome.gone).toBe(true);
    expect(stubborn.sent).toEqual([
      [4242, 'SIGTERM'],
      [4242, 'SIGKILL'],
    ]);
    // Two looks (the runner and its parent each): no ps per poll.
    expect(stubborn.gets).toBe(4);
    expect(stubborn.aliveChecks).toBeGreaterThan(40);
    expect(clock.now() - T0).toBe(5000);
    expect(logger.entries.find((e) => e.message === 'sent SIGKILL to a runner that outlived SIGTERM')?.fields).toMatchObject({ model: 'm', targetPid: 4242 });
  });

  it('sends no SIGKILL to a pid another process took during the grace, even another runner of the same server', async () => {
    const runner = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 501, startKey: 'the first start' }]);
    // The runner exits on SIGTERM, and Ollama starts a runner for another model that gets its pid at once.
    runner.onSend = (pid, signal) => {
      if (signal !== 'SIGTERM') return;
      runner.table.splice(0, 1, { pid, command: RUNNER.replace('a'.repeat(64), 'b'.repeat(64)), uid: 501, startKey: 'a later start' });
      runner.living.add(pid);
    };
    const outcome = await terminate(makeGuard(RULES, runner, { clock: new InstantClock(T0) }));
    expect(runner.sent).toEqual([[4242, 'SIGTERM']]);
    expect(outcome).toMatchObject({ gone: true });
  });

  it('looks again before SIGKILL: a runner whose parent is no longer an ollama serve is left alone', async () => {
    const orphan = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 501 }], null);
    // Ollama's server dies during the grace; its runner is handed to launchd.
    orphan.onSend = (_pid, signal) => {
      if (signal === 'SIGTERM') orphan.table[0]!.ppid = 1;
    };
    const outcome = await terminate(makeGuard(RULES, orphan, { clock: new InstantClock(T0) }));
    expect(orphan.sent).toEqual([[4242, 'SIGTERM']]);
    expect(outcome).toMatchObject({ gone: false, error: 'pid 4242 left alone: it outlived SIGTERM, and SIGKILL was not sent: its parent is not an ollama serve' });
  });

  it('sends no SIGKILL to a runner once SIGTERM reached headroom', async () => {
    const stubborn = new FakeProcesses([{ pid: 4242, command: RUNNER, uid: 501 }], null);
    const stop = new AbortController();
    stubborn.onAlive = () => stubborn.aliveChecks === 5 && stop.abort();
    const outcome = await terminate(makeGuard(RULES, stubborn, { clock: new InstantClock(T0), stopping: stop.signal }));
    expect(stubborn.sent).toEqual([[4242, 'SIGTERM']]);
    expect(outcome).toMatchObject({ gone: false, error: 'pid 4242 left alone: headroom is stopping: SIGKILL was not sent' });
  });

  it('keeps a hostile model name out of the notification script, all the way from /api/ps to osascript', async () => {
    const hostile = 'x" & do shell script "touch /tmp/pwned" & "';
    fake.loaded = [loaded(hostile, 40, 300)];
    fake.shows.set(hostile, JSON.parse(readFixture('ollama', 'show-text.json')) as object);
    const runner = new FakeRunner(() => ({}));
    const api = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 500 });
    const guard = new Guard({
      watcher: new OllamaWatcher({ api, clock: systemClock, logger, pollIntervalMs: 2000, processes: null }),
      api,
      notifier: new OsascriptNotifier(runner, 5000),
      clock: systemClock,
      logger,
      rules: RULES,
      resample: () => Promise.resolve(memory(0.1, 'normal', 20)),
      unloadTimeoutMs: 2000,
      unloadPollMs: 20,
      inspector: null,
      signaller: null,
      readBudgetMs: 1000,
    });
    await guard.tick(memory(0, 'normal', 20));
    await guard.settle();
    expect(fake.unloads).toEqual([hostile]);
    const argv = runner.calls[0]!.args;
    expect(argv.slice(0, 6)).toEqual(['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run']);
    expect(argv.slice(6).every((text) => text.includes(hostile))).toBe(true);
  });
});
