import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { makeFakeColimaHome, type FakeColimaHome } from '../../test/helpers/fake-colima-home.js';
import { FakeRunner, type FakeAnswer } from '../../test/helpers/fake-runner.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import { InstantClock } from '../../test/helpers/instant-clock.js';
import type { PidOwner } from '../ports/pid-lookup.js';
import { ActionExecutor, type ExecutorDeps } from './executor.js';
import type { Action } from './types.js';

let fake: FakeColimaHome;
beforeEach(() => {
  fake = makeFakeColimaHome();
});
afterEach(() => fake.cleanup());

function executor(answer: (file: string, args: readonly string[]) => FakeAnswer = () => ({}), overrides: Partial<ExecutorDeps> = {}) {
  const runner = new FakeRunner(answer);
  const sent: Array<[number, string]> = [];
  const logs = captureLogger();
  const clock = new InstantClock();
  const exec = new ActionExecutor({
    profile: fake.profile,
    runner,
    pids: { lookup: () => Promise.resolve({ state: 'dead' }) },
    signaller: { ownUid: 501, ownPid: 1, alive: () => false, send: (pid, signal) => (sent.push([pid, signal]), true) },
    clock,
    logger: logs,
    env: { colima: { COLIMA_HOME: fake.profile.colimaHome }, lima: { LIMA_HOME: fake.profile.limaHome } },
    commandTimeoutMs: 1000,
    startTimeoutMs: 600_000,
    stopTimeoutMs: 120_000,
    killGraceMs: 5000,
    backupDir: fake.at('../backup'),
    dryRun: false,
    ...overrides,
  });
  return { exec, runner, sent, logs, clock };
}
const argv = (runner: FakeRunner) => runner.calls.map((c) => [c.file, ...c.args]);

describe('ActionExecutor: safe actions', () => {
  it('removes a stale file only while it is the one judged (same mtime), and logs why', async () => {
    const file = fake.pid('_lima/colima/ha.pid', 612, Date.UTC(2026, 0, 1));
    const { exec, logs } = executor();
    const action: Action = { kind: 'remove-file', tier: 'safe', key: 'k', file, modifiedAt: lstatSync(file).mtimeMs, reason: 'ha.pid is stale: written before this boot' };
    expect(await exec.execute(action)).toMatchObject({ ok: true, detail: `removed ${file}` });
    expect(existsSync(file)).toBe(false);
    expect(logs.entries.map((e) => e.message)).toEqual([`docker recovery: remove ${file}: ha.pid is stale: written before this boot`, `docker recovery: remove-file done: removed ${file}`]);
    expect(await exec.execute(action)).toMatchObject({ ok: true, detail: 'already gone' });
  });

  it('leaves a file that changed since it was read (a start wrote a new one)', async () => {
    const file = fake.pid('_lima/colima/ha.pid', 612, Date.UTC(2026, 0, 1));
    const { exec } = executor();
    const outcome = await exec.execute({ kind: 'remove-file', tier: 'safe', key: 'k', file, modifiedAt: Date.UTC(2025, 0, 1), reason: 'r' });
    expect(outcome).toMatchObject({ ok: false, detail: `${file} changed since it was read: left alone` });
    expect(readFileSync(file, 'utf8')).toBe('612\n');
  });

  it('runs limactl disk unlock with LIMA_HOME, and checks that the link is gone', async () => {
    const lockFile = fake.lock('colima', 'colima');
    const unlock: Action = { kind: 'disk-unlock', tier: 'safe', key: 'k', disk: 'colima', lockFile, reason: 'r' };
    const refused = executor(() => ({ exitCode: 0, stderr: 'time="x" level=warning msg="Cannot unlock disk `colima`, attached instance `colima` has errors: [x]"\n' }));
    expect(await refused.exec.execute(unlock)).toMatchObject({ ok: false, detail: 'disk "colima" is still locked: Cannot unlock disk `colima`, attached instance `colima` has errors: [x]' });
    const done = executor((file, args) => {
      if (file === 'limactl' && args[1] === 'unlock') rmSync(lockFile);
      return {};
    });
    expect(await done.exec.execute(unlock)).toMatchObject({ ok: true, detail: 'disk "colima" unlocked' });
    expect(done.runner.calls.map((c) => [c.file, ...c.args, c.options.env])).toEqual([['limactl', 'disk', 'unlock', 'colima', { LIMA_HOME: fake.profile.limaHome }]]);
  });
});

describe('ActionExecutor: colima', () => {
  it('stops gracefully or by force, with COLIMA_HOME and the stop timeout', async () => {
    const { exec, runner } = executor();
    await exec.execute({ kind: 'stop', tier: 'guarded', key: 'stop', reason: 'r' });
    await exec.execute({ kind: 'force-stop', tier: 'guarded', key: 'force-stop', reason: 'r' });
    expect(argv(runner)).toEqual([['colima', 'stop', '--profile', 'default'], ['colima', 'stop', '--force', '--profile', 'default']]);
    expect(runner.calls.map((c) => [c.options.timeoutMs, c.options.env])).toEqual([[120_000, { COLIMA_HOME: fake.profile.colimaHome }], [120_000, { COLIMA_HOME: fake.profile.colimaHome }]]);
  });

  it('starts after its backoff, with the long timeout, and reads how a start failed (captured output)', async () => {
    const { exec, runner, clock } = executor(() => ({ exitCode: 1, stderr: readFixture('colima', 'colima-start-disk-in-use.txt') }));
    const outcome = await exec.execute({ kind: 'start', tier: 'start', key: 'start:2', attempt: 2, delayMs: 30_000, reason: 'r' });
    expect(clock.sleeps).toEqual([30_000]);
    expect(argv(runner)).toEqual([['colima', 'start', '--profile', 'default']]);
    expect(runner.calls[0]?.options.timeoutMs).toBe(600_000);
    expect(outcome).toMatchObject({ ok: false, start: { mode: 'disk-in-use', message: 'failed to run attach disk "colima", in use by instance "colima"' } });
  });

  it('knows "already running, ignoring" (exit 0) is not a start', async () => {
    const { exec } = executor(() => ({ exitCode: 0, stderr: 'time="x" level=warning msg="already running, ignoring"\n' }));
    expect(await exec.execute({ kind: 'start', tier: 'start', key: 'start:1', attempt: 1, delayMs: 0, reason: 'r' })).toMatchObject({ ok: true, start: { mode: 'already-running' } });
  });

  it('deletes the VM (with --data only when allowed) and keeps colima.yaml', async () => {
    const yaml = path.join(fake.profile.configDir, 'colima.yaml');
    const { exec, runner } = executor((_file, args) => {
      if (args[0] === 'delete') rmSync(fake.profile.configDir, { recursive: true });
      return {};
    });
    expect(await exec.execute({ kind: 'delete-vm', tier: 'destructive', key: 'delete-vm', data: true, reason: 'r' })).toMatchObject({ ok: true });
    expect(argv(runner)).toEqual([['colima', 'delete', '--force', '--data', '--profile', 'default']]);
    expect(readFileSync(yaml, 'utf8')).toBe('cpu: 4\nmemory: 8\ndisk: 100\n');
  });
});

describe('ActionExecutor: kill (docker.allow.killProcesses)', () => {
  const kill: Action = { kind: 'kill', tier: 'destructive', key: 'kill:612', pid: 612, name: 'limactl', startedAt: 1_000_000, reason: 'r' };
  const owners = (...states: PidOwner[]) => {
    let i = 0;
    return { lookup: () => Promise.resolve(states[Math.min(i++, states.length - 1)]!) };
  };

  it('SIGTERM, then SIGKILL after the grace period, while the pid is still your limactl', async () => {
    const ours: PidOwner = { state: 'alive', name: 'limactl', uid: 501, startedAt: 1_000_000 };
    const sent: Array<[number, string]> = [];
    // It ignores SIGTERM and goes at SIGKILL.
    const signaller = { ownUid: 501, ownPid: 1, alive: () => !sent.some(([, s]) => s === 'SIGKILL'), send: (pid: number, signal: NodeJS.Signals) => (sent.push([pid, signal]), true) };
    const { exec, clock } = executor(undefined, { pids: owners(ours, ours), signaller });
    expect(await exec.execute(kill)).toMatchObject({ ok: true, detail: 'limactl (pid 612) ended after SIGKILL' });
    expect(sent).toEqual([[612, 'SIGTERM'], [612, 'SIGKILL']]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(5000);
  });

  it('sends nothing when the pid now names another program or another process', async () => {
    for (const other of [{ state: 'alive', name: 'Safari', uid: 501, startedAt: 1_000_000 }, { state: 'alive', name: 'limactl', uid: 501, startedAt: 9_000_000 }, { state: 'alive', name: 'limactl', uid: 0, startedAt: 1_000_000 }] as PidOwner[]) {
      const { exec, sent } = executor(undefined, { pids: owners(other) });
      expect(await exec.execute(kill)).toMatchObject({ ok: true, detail: 'limactl (pid 612): nothing sent: its pid now belongs to another process' });
      expect(sent).toEqual([]);
    }
  });
});

describe('ActionExecutor: kill needs the start time read', () => {
  it('sends no SIGKILL once headroom is stopping', async () => {
    const sent: Array<[number, string]> = [];
    const stop = new AbortController();
    const signaller = { ownUid: 501, ownPid: 1, alive: () => true, send: (pid: number, signal: NodeJS.Signals) => (sent.push([pid, signal]), stop.abort(), true) };
    const ours: PidOwner = { state: 'alive', name: 'limactl', uid: 501, startedAt: 1_000_000 };
    const { exec } = executor(undefined, { pids: { lookup: () => Promise.resolve(ours) }, signaller });
    const outcome = await exec.execute({ kind: 'kill', tier: 'destructive', key: 'k', pid: 612, name: 'limactl', startedAt: 1_000_000, reason: 'r' }, stop.signal);
    expect(outcome).toMatchObject({ ok: false, detail: 'limactl (pid 612): headroom is stopping: SIGKILL was not sent' });
    expect(sent).toEqual([[612, 'SIGTERM']]);
  });

  const kill: Action = { kind: 'kill', tier: 'destructive', key: 'kill:612', pid: 612, name: 'limactl', startedAt: 1_000_000, reason: 'r' };
  const ours: PidOwner = { state: 'alive', name: 'limactl', uid: 501, startedAt: 1_000_000 };
  const unreadable: PidOwner = { state: 'alive', name: 'limactl', uid: 501, startedAt: null };
  const owners = (...states: PidOwner[]) => {
    let i = 0;
    return { lookup: () => Promise.resolve(states[Math.min(i++, states.length - 1)]!) };
  };

  it('sends nothing when the start time cannot be read before SIGTERM', async () => {
    const { exec, sent } = executor(undefined, { pids: owners(unreadable) });
    expect(await exec.execute(kill)).toMatchObject({ ok: false, detail: 'limactl (pid 612): nothing sent: its start time cannot be read' });
    expect(sent).toEqual([]);
  });

  it('sends no SIGKILL when the start time cannot be read at the re-check after the grace period', async () => {
    const sent: Array<[number, string]> = [];
    const signaller = { ownUid: 501, ownPid: 1, alive: () => true, send: (pid: number, signal: NodeJS.Signals) => (sent.push([pid, signal]), true) };
    const { exec } = executor(undefined, { pids: owners(ours, unreadable), signaller });
    expect(await exec.execute(kill)).toMatchObject({ ok: false, detail: 'limactl (pid 612): it outlived SIGTERM, and SIGKILL was not sent: its start time cannot be read' });
    expect(sent).toEqual([[612, 'SIGTERM']]);
  });
});

describe('ActionExecutor: dry run', () => {
  it('says what it would do, and runs, removes and signals nothing', async () => {
    const file = fake.pid('_lima/colima/ha.pid', 612, Date.UTC(2026, 0, 1));
    const { exec, runner, sent, clock } = executor(() => ({ exitCode: 99 }), { dryRun: true });
    const actions: Action[] = [
      { kind: 'remove-file', tier: 'safe', key: 'a', file, modifiedAt: lstatSync(file).mtimeMs, reason: 'r' },
      { kind: 'disk-unlock', tier: 'safe', key: 'b', disk: 'colima', lockFile: 'x', reason: 'r' },
      { kind: 'force-stop', tier: 'guarded', key: 'c', reason: 'r' },
      { kind: 'kill', tier: 'destructive', key: 'd', pid: 612, name: 'limactl', startedAt: 1_000_000, reason: 'r' },
      { kind: 'start', tier: 'start', key: 'e', attempt: 2, delayMs: 30_000, reason: 'r' },
    ];
    const details = [];
    for (const action of actions) details.push((await exec.execute(action)).detail);
    expect(details).toEqual([
      `would remove ${file}`,
      'would run limactl disk unlock colima',
      'would run colima stop --force --profile default',
      'would end limactl (pid 612) with SIGTERM, then SIGKILL',
      'would wait 30000 ms, then run colima start --profile default',
    ]);
    expect(existsSync(file)).toBe(true);
    expect(runner.calls).toEqual([]);
    expect(sent).toEqual([]);
    expect(clock.sleeps).toEqual([]);
  });
});
