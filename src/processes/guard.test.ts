import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { GiB } from '../core/units.js';
import type { MemoryUse, ProcessDetails, ProcessInspector, Signaller } from '../ports/processes.js';
import { ProcessGuard, SCAN_INTERVAL_MS } from './guard.js';
import type { GuardedRule } from './rules.js';

const ME = 501;
const OWN_PID = 4000;
const LORA = '/Users/u/venv/bin/python -m mlx_lm.lora --model qwen3-0.6b --train';

function detailsOf(row: ProcessDetails): ProcessDetails {
  return { pid: row.pid, ppid: row.ppid, uid: row.uid, startKey: row.startKey, command: row.command, rssBytes: row.rssBytes, cpuMs: row.cpuMs };
}

/** A process table and signaller in one: each process dies on the signals it is told to. */
class FakeProcesses implements ProcessInspector, Signaller {
  readonly ownUid = ME;
  readonly ownPid = OWN_PID;
  readonly sent: Array<[number, string]> = [];
  readonly rows = new Map<number, ProcessDetails & { diesOn: Array<'SIGTERM' | 'SIGKILL'> }>();
  lists = 0;
  aliveChecks = 0;
  gets = 0;
  /** Called on each get(), so a test can change a process between the scan and the signal. */
  onGet: ((pid: number) => void) | null = null;

  add(pid: number, command: string, options: { uid?: number; diesOn?: Array<'SIGTERM' | 'SIGKILL'>; ppid?: number } = {}): void {
    this.rows.set(pid, { pid, ppid: options.ppid ?? 390, uid: options.uid ?? ME, startKey: `start-${pid}`, command, rssBytes: GiB, cpuMs: 0, diesOn: options.diesOn ?? ['SIGTERM', 'SIGKILL'] });
  }
  list() {
    this.lists += 1;
    return Promise.resolve([...this.rows.values()].map(detailsOf));
  }
  get(pid: number) {
    this.gets += 1;
    this.onGet?.(pid);
    const row = this.rows.get(pid);
    return Promise.resolve(row ? detailsOf(row) : null);
  }
  heaviest(): Promise<MemoryUse[]> {
    return Promise.resolve([]);
  }
  memoryOf(pid: number): Promise<MemoryUse | null> {
    return Promise.resolve(this.rows.has(pid) ? { pid, bytes: 5 * GiB, metric: 'footprint' } : null);
  }
  alive(pid: number): boolean {
    this.aliveChecks += 1;
    return this.rows.has(pid);
  }
  send(pid: number, signal: NodeJS.Signals): boolean {
    this.sent.push([pid, signal]);
    const row = this.rows.get(pid);
    if (row?.diesOn.includes(signal as 'SIGTERM' | 'SIGKILL')) this.rows.delete(pid);
    return row !== undefined;
  }
}

function rule(action: GuardedRule['action'], stage: GuardedRule['stage'] = 'critical', pattern = 'mlx_lm\\.lora', graceMs = 1000): GuardedRule {
  return { index: 0, pattern: new RegExp(pattern), stage, action, graceMs };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(rules: GuardedRule[], options: { dryRun?: boolean; cooldownMs?: number; stopping?: AbortSignal } = {}) {
  const clock = new SimClock();
  const processes = new FakeProcesses();
  const notifier = new RecordingNotifier();
  const logger = captureLogger();
  const guard = new ProcessGuard({
    inspector: processes,
    signaller: processes,
    clock,
    logger,
    notifier,
    rules,
    cooldownMs: options.cooldownMs ?? 60_000,
    dryRun: options.dryRun ?? false,
    protectedPids: () => [{ pid: 4100, what: "headroom's pm2 daemon" }],
    knownMemory: () => null,
    ...(options.stopping ? { stopping: options.stopping } : {}),
  });
  /** Ticks at `stage`, then runs the clock for `ms` in 100 ms steps, ticking at each. */
  const run = async (stage: 'warn' | 'critical' | null, ms = 0) => {
    guard.tick(stage);
    await settle();
    for (let elapsed = 0; elapsed < ms; elapsed += 100) {
      clock.advance(100);
      guard.tick(stage);
      await settle();
    }
  };
  return { clock, processes, notifier, logger, guard, run };
}

describe('ProcessGuard', () => {
  it('notify: tells the user the name, footprint and pattern, and signals nothing', async () => {
    const { processes, notifier, guard, run } = setup([rule('notify', 'warn')]);
    processes.add(5000, LORA);
    await run('warn');
    expect(processes.sent).toEqual([]);
    expect(notifier.sent).toEqual([
      {
        title: 'headroom: python is using 5.0 GiB',
        message: `Memory pressure warn: python (pid 5000, 5.0 GiB footprint) matches guarded pattern /mlx_lm\\.lora/. headroom does not stop it (action: notify). Command: ${LORA}`,
      },
    ]);
    expect(guard.recentActions).toMatchObject([{ pid: 5000, action: 'notify', outcome: { kind: 'notified' }, dryRun: false }]);
  });

  it('term: SIGTERM, and a process that exits is reported stopped', async () => {
    const { processes, notifier, run } = setup([rule('term')]);
    processes.add(5000, LORA);
    await run('critical');
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
    expect(notifier.sent[0]?.title).toBe('headroom: stopped python');
    expect(notifier.sent[0]?.message).toContain('Sent SIGTERM: it exited after 0 ms.');
  });

  it('term: one that ignores SIGTERM is reported still running after the grace, and gets no SIGKILL', async () => {
    const { processes, notifier, logger, run } = setup([rule('term', 'critical', 'mlx_lm\\.lora', 1000)]);
    processes.add(5000, LORA, { diesOn: ['SIGKILL'] });
    await run('critical', 1500);
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
    expect(notifier.sent[0]?.message).toContain('Sent SIGTERM: it still runs 1.0 s later (action: term, so no SIGKILL).');
    expect(logger.entries.find((e) => e.message === 'guarded process acted on')?.level).toBe('error');
  });

  it('term-then-kill: SIGKILL after the grace to one that ignores SIGTERM', async () => {
    const { processes, notifier, run } = setup([rule('term-then-kill', 'critical', 'mlx_lm\\.lora', 1000)]);
    processes.add(5000, LORA, { diesOn: ['SIGKILL'] });
    await run('critical', 1500);
    expect(processes.sent).toEqual([
      [5000, 'SIGTERM'],
      [5000, 'SIGKILL'],
    ]);
    expect(notifier.sent[0]).toMatchObject({ title: 'headroom: stopped python', message: expect.stringContaining('Sent SIGTERM, then SIGKILL after 1.0 s: it is gone.') as string });
    // The waits poll with signal 0; the process table is read again only before each signal.
    expect(processes.gets).toBe(2);
    expect(processes.aliveChecks).toBeGreaterThan(5);
  });

  it('acts at a rule\'s stage only: a critical rule waits through warn', async () => {
    const { processes, run } = setup([rule('term', 'critical')]);
    processes.add(5000, LORA);
    await run('warn');
    await run(null, SCAN_INTERVAL_MS);
    expect(processes.sent).toEqual([]);
    await run('critical');
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
  });

  it('dry run: signals nothing and says what it would do', async () => {
    const { processes, notifier, guard, logger, run } = setup([rule('term-then-kill')], { dryRun: true });
    processes.add(5000, LORA);
    await run('critical', 2000);
    expect(processes.sent).toEqual([]);
    expect(notifier.sent[0]?.message).toContain('Would send SIGTERM, then SIGKILL after 1.0 s (dry run).');
    expect(guard.recentActions[0]).toMatchObject({ dryRun: true, outcome: { kind: 'dry-run' } });
    expect(logger.entries.map((e) => e.message)).toContain('would signal a guarded process (dry run)');
  });

  it('never signals the protected set or another user\'s process, even when the pattern matches them', async () => {
    const { processes, notifier, logger, run } = setup([rule('term-then-kill', 'warn', 'WindowServer|loginwindow|launchd|ollama|node|mlx_lm')]);
    processes.add(372, '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon', { uid: 88, ppid: 1 });
    processes.add(377, '/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow console', { ppid: 1 });
    processes.add(390, '/sbin/launchd', { ppid: 1 });
    processes.add(59923, '/Applications/Ollama.app/Contents/Resources/ollama serve');
    processes.add(OWN_PID, '/opt/homebrew/bin/node dist/cli/main.js run');
    processes.add(4100, '/opt/homebrew/bin/node pm2 God Daemon');
    processes.add(5002, '/Users/them/venv/bin/python -m mlx_lm.lora', { uid: 502 });
    await run('critical', 3000);
    expect(processes.sent).toEqual([]);
    expect(notifier.sent).toEqual([]);
    const skipped = logger.entries.filter((e) => e.message === 'guarded pattern matches a process headroom leaves alone');
    // Logged once each, though scanned twice.
    expect(skipped.map((e) => [e.fields.targetPid, e.fields.why])).toEqual([
      [372, 'protected: a system process (WindowServer)'],
      [377, 'protected: a system process (loginwindow)'],
      [390, 'protected: a system process (launchd)'],
      [59923, 'protected: Ollama (freed by unloading models, never by a signal)'],
      [OWN_PID, 'protected: headroom itself'],
      [4100, "protected: headroom's pm2 daemon"],
      [5002, "another user's (uid 502)"],
    ]);
  });

  it('logs a process left alone again once it has gone and come back', async () => {
    const { processes, logger, run } = setup([rule('term', 'warn', 'mlx_lm')]);
    const leftAlone = () => logger.entries.filter((e) => e.message === 'guarded pattern matches a process headroom leaves alone').length;
    processes.add(5002, '/Users/them/venv/bin/python -m mlx_lm.lora', { uid: 502 });
    await run('critical', 2000);
    expect(leftAlone()).toBe(1);
    processes.rows.delete(5002);
    await run('critical', 2000);
    processes.add(5002, '/Users/them/venv/bin/python -m mlx_lm.lora', { uid: 502 });
    await run('critical', 2000);
    expect(leftAlone()).toBe(2);
  });

  it('looks again right before SIGTERM: a reused pid, or one now owned by another user, is left alone', async () => {
    const reused = setup([rule('term')]);
    reused.processes.add(5000, LORA);
    reused.processes.onGet = (pid) => {
      const row = reused.processes.rows.get(pid);
      if (row) row.startKey = 'a later start';
    };
    await reused.run('critical');
    expect(reused.processes.sent).toEqual([]);
    expect(reused.guard.recentActions[0]?.outcome).toEqual({ kind: 'left-alone', why: 'its pid now belongs to another process' });

    const other = setup([rule('term')]);
    other.processes.add(5000, LORA);
    other.processes.onGet = (pid) => {
      const row = other.processes.rows.get(pid);
      if (row) row.uid = 0;
    };
    await other.run('critical');
    expect(other.processes.sent).toEqual([]);
    expect(other.guard.recentActions[0]?.outcome).toEqual({ kind: 'left-alone', why: 'it belongs to another user (uid 0)' });
  });

  it('sends no SIGKILL to a pid another process took between SIGTERM and SIGKILL', async () => {
    const { processes, notifier, guard, run } = setup([rule('term-then-kill', 'critical', 'mlx_lm\\.lora', 1000)]);
    processes.add(5000, LORA, { diesOn: ['SIGTERM'] });
    const send = processes.send.bind(processes);
    processes.send = (pid, signal) => {
      const sent = send(pid, signal);
      // It exits on SIGTERM and an unrelated process takes its pid at once: signal 0 never sees the pid free.
      if (signal === 'SIGTERM') processes.add(5000, '/usr/bin/vim notes.txt', { diesOn: ['SIGKILL'] });
      return sent;
    };
    processes.rows.get(5000)!.startKey = 'the first start';
    await run('critical', 1500);
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
    expect(processes.rows.get(5000)?.command).toBe('/usr/bin/vim notes.txt');
    expect(guard.recentActions[0]?.outcome).toEqual({ kind: 'exited', signal: 'SIGTERM', afterMs: 1000, pidReused: true });
    expect(notifier.sent[0]?.message).toContain('Sent SIGTERM: it exited within 1.0 s, and another process took its pid (left alone, no SIGKILL).');
  });

  it('sends no SIGKILL once SIGTERM reached headroom, before its commands are canceled, and starts nothing new', async () => {
    const stop = new AbortController();
    const { processes, guard, notifier, run } = setup([rule('term-then-kill', 'critical', 'mlx_lm\\.lora', 1000)], { stopping: stop.signal });
    processes.add(5000, LORA, { diesOn: ['SIGKILL'] });
    await run('critical', 500);
    stop.abort();
    await run('critical', 3000);
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
    expect(guard.recentActions.map((a) => a.outcome)).toEqual([{ kind: 'left-alone', why: 'headroom is stopping: SIGKILL was not sent' }]);
    expect(notifier.sent[0]?.message).toContain('Left alone: headroom is stopping: SIGKILL was not sent.');
    // The scan due at 2 s did not happen.
    expect(processes.lists).toBe(1);
  });

  it('acts on nothing it decided while headroom was being told to stop', async () => {
    const stop = new AbortController();
    const { processes, guard, run } = setup([rule('term')], { stopping: stop.signal });
    processes.add(5000, LORA);
    const list = processes.list.bind(processes);
    processes.list = () => {
      stop.abort(); // SIGTERM arrives while ps -axww runs
      return list();
    };
    await run('critical');
    expect(processes.sent).toEqual([]);
    expect(guard.recentActions).toEqual([]);
  });

  it('sends no SIGKILL when the pressure eased during the grace', async () => {
    const { processes, guard, run } = setup([rule('term-then-kill', 'critical', 'mlx_lm\\.lora', 1000)]);
    processes.add(5000, LORA, { diesOn: ['SIGKILL'] });
    await run('critical', 500);
    await run('warn', 1000);
    expect(processes.sent).toEqual([[5000, 'SIGTERM']]);
    expect(guard.recentActions[0]?.outcome).toEqual({ kind: 'left-alone', why: 'it outlived SIGTERM, and SIGKILL was not sent: the memory pressure eased (stage now warn)' });
  });

  it('reads the table at most every 2 s while the stage is open, never while it is shut, and waits the cooldown per process', async () => {
    const { processes, notifier, run } = setup([rule('notify')], { cooldownMs: 10_000 });
    processes.add(5000, LORA);
    await run(null, 1000);
    expect(processes.lists).toBe(0);
    await run('critical', 5000);
    expect(processes.lists).toBe(3);
    expect(notifier.sent).toHaveLength(1);
  });

  it('acts on a process again after the cooldown', async () => {
    const { processes, notifier, run } = setup([rule('notify')], { cooldownMs: 4000 });
    processes.add(5000, LORA);
    await run('critical', 3000);
    expect(notifier.sent).toHaveLength(1);
    await run('critical', 2000);
    expect(notifier.sent).toHaveLength(2);
  });

  it('logs a process table that cannot be read, and acts on nothing', async () => {
    const { processes, logger, run } = setup([rule('term')]);
    processes.list = () => Promise.reject(new Error('ps -axww: timed out after 2000 ms'));
    await run('critical');
    expect(processes.sent).toEqual([]);
    expect(logger.entries.find((e) => e.message === 'could not read the process table')?.fields).toMatchObject({ err: 'ps -axww: timed out after 2000 ms' });
  });
});
