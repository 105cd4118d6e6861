/**
 * Recoveries end to end on a fake Colima home: the real gather (files, mtimes, socket probes,
 * /_ping on a fake Docker socket), the real diagnosis and executor, and a scripted runner playing
 * colima and limactl (their outputs from the captures, their effects on the files as the real
 * tools have them). Exact argv sequences; waits on an instant clock.
 */
import { existsSync, lstatSync, rmSync } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeDockerSocket } from '../../test/helpers/fake-docker-socket.js';
import { makeFakeColimaHome, type FakeColimaHome } from '../../test/helpers/fake-colima-home.js';
import { FakeRunner, type FakeAnswer } from '../../test/helpers/fake-runner.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import { InstantClock } from '../../test/helpers/instant-clock.js';
import type { PidOwner } from '../ports/pid-lookup.js';
import { ActionExecutor } from './executor.js';
import { gatherFacts } from './gather.js';
import { recover, type RecoveryTrigger } from './recovery.js';
import type { ServiceResult } from './services.js';
import { StartCountFile, type StartCounter } from './start-count-file.js';

const NOW = Date.now();
const BOOTED_AT = NOW - 3_600_000;
const BEFORE_BOOT = BOOTED_AT - 86_400_000;
const SINCE_BOOT = NOW - 600_000;
const UID = 501;

let fake: FakeColimaHome;
let docker: FakeDockerSocket;

beforeEach(async () => {
  fake = makeFakeColimaHome();
  docker = await new FakeDockerSocket(fake.profile.dockerSocket).listen();
  docker.up = false;
});
afterEach(async () => {
  await docker.close();
  fake.cleanup();
});

/** What the fake tools answer; `start` decides each colima start. */
interface Script {
  status?: FakeAnswer;
  lima?: (state: { starts: number }) => string;
  start?: (state: { starts: number }) => FakeAnswer;
  owners?: Record<number, PidOwner>;
}

function limaLine(status: string, errors: string[] = []): string {
  return `${JSON.stringify({ name: 'colima', status, dir: fake.profile.instanceDir, vmType: 'vz', errors })}\n`;
}

/** A colima start that works: the VM and Docker come up. */
function started(): FakeAnswer {
  docker.up = true;
  return { exitCode: 0, stderr: 'INFO[0000] starting colima\nINFO[0031] done\n' };
}

function setup(script: Script, options: { dryRun?: boolean; services?: ServiceResult[] | null; allow?: { deleteVm: boolean; deleteData: boolean; killProcesses: boolean }; starts?: StartCounter } = {}) {
  const state = { starts: 0 };
  const runner = new FakeRunner((file, args) => {
    const command = [file, ...args].join(' ');
    if (command === 'colima status --profile default --json') return script.status ?? { exitCode: 1, stderr: readFixture('colima', 'colima-status-not-running-nontty.txt') };
    if (command === 'limactl list --json colima') return { stdout: script.lima?.(state) ?? limaLine('Stopped') };
    if (command === 'limactl disk unlock colima') {
      rmSync(fake.at('_lima/_disks/colima/in_use_by'), { force: true });
      return { stderr: 'time="x" level=info msg="Unlocked disk `colima`"\n' };
    }
    if (command === 'colima stop --profile default' || command === 'colima stop --force --profile default') {
      // As limactl stop --force: the *.pid and *.sock files of the instance go.
      for (const name of ['ha.pid', 'vz.pid', 'ha.sock']) rmSync(fake.at(`_lima/colima/${name}`), { force: true });
      return {};
    }
    if (command === 'colima delete --force --profile default') return {};
    if (command === 'colima start --profile default') {
      state.starts += 1;
      return script.start?.(state) ?? started();
    }
    return { exitCode: 127, stderr: `unexpected: ${command}` };
  });
  const sent: Array<[number, string]> = [];
  const clock = new InstantClock(NOW);
  const logger = captureLogger();
  const dead: PidOwner = { state: 'dead' };
  const pids = { lookup: (pid: number): Promise<PidOwner> => Promise.resolve(script.owners?.[pid] ?? dead) };
  const env = { colima: { COLIMA_HOME: fake.profile.colimaHome }, lima: { LIMA_HOME: fake.profile.limaHome } };
  const executor = new ActionExecutor({
    profile: fake.profile,
    runner,
    pids,
    signaller: { ownUid: UID, ownPid: 1, alive: () => false, send: (pid, signal) => (sent.push([pid, signal]), true) },
    clock,
    logger,
    env,
    commandTimeoutMs: 1000,
    startTimeoutMs: 600_000,
    stopTimeoutMs: 120_000,
    killGraceMs: 1000,
    backupDir: fake.at('../backup'),
    dryRun: options.dryRun ?? false,
  });
  const deps = {
    gather: (signal?: AbortSignal) =>
      gatherFacts(
        { profile: fake.profile, homeWhy: 'test', installed: { colima: true, limactl: true, docker: true }, runner, pids, ownUid: UID, env, processEnv: {}, home: fake.home, commandTimeoutMs: 1000, pingTimeoutMs: 500, clock },
        BOOTED_AT,
        signal,
      ),
    executor,
    services: options.services === undefined ? null : () => Promise.resolve(options.services ?? []),
    settings: { start: 'wasRunning' as const, startAttempts: 3, startBackoffMs: 30_000, recheckMs: 10_000, startingGraceMs: 120_000, allow: options.allow ?? { deleteVm: false, deleteData: false, killProcesses: false } },
    starts: options.starts ?? null,
    clock,
    logger,
    dryRun: options.dryRun ?? false,
  };
  const argv = (): string[] => runner.calls.map((c) => [c.file, ...c.args].join(' '));
  return { run: (trigger: RecoveryTrigger = 'start', signal?: AbortSignal) => recover(deps, trigger, signal), argv, sent, clock, logger, state };
}

describe('recover', () => {
  it('healthy: nothing is run, removed or signalled; the services are checked', async () => {
    docker.up = true;
    const haPid = fake.pid('_lima/colima/ha.pid', 612, SINCE_BOOT);
    const t = setup({ owners: { 612: { state: 'alive', name: 'limactl', uid: UID, startedAt: SINCE_BOOT } } }, { services: [{ service: 'chromadb', state: 'running', detail: 'chromadb runs', commands: [] }] });
    const report = await t.run();
    expect(report).toMatchObject({ outcome: 'healthy', actions: [], startAttempts: 0, services: [{ service: 'chromadb', state: 'running' }] });
    expect(t.argv()).toEqual([]);
    expect(t.sent).toEqual([]);
    expect(existsSync(haPid)).toBe(true);
  });

  it('disk in use: removes the stale ha.pid, unlocks our own disk, starts once', async () => {
    const haPid = fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    fake.write('_lima/_disks/colima/datadisk', '');
    fake.lock('colima', 'colima');
    fake.write('_lima/colima/ha.stderr.log', readFixture('colima', 'lima-ha-stderr-disk-in-use.json'));
    const t = setup({ start: () => (existsSync(fake.at('_lima/_disks/colima/in_use_by')) ? { exitCode: 1, stderr: readFixture('colima', 'colima-start-disk-in-use.txt') } : started()) });
    const report = await t.run();
    expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima', 'limactl disk unlock colima', 'colima start --profile default']);
    expect(report.outcome).toBe('recovered');
    expect(report.actions.map((a) => [a.kind, a.ok])).toEqual([['remove-file', true], ['disk-unlock', true], ['start', true]]);
    expect(existsSync(haPid)).toBe(false);
    expect(t.sent).toEqual([]);
  });

  it('ha.sock refused: reads the Broken twice, removes ha.pid and the dead ha.sock, starts', async () => {
    fake.pid('_lima/colima/ha.pid', 612, SINCE_BOOT);
    fake.deadSocket('_lima/colima/ha.sock', SINCE_BOOT);
    const refused = readFixture('colima', 'colima-start-ha-sock-refused.txt').split('\n').find((l) => l.includes('errors inspecting'))!;
    const error = /\[(.*)\]$/.exec(refused)![1]!;
    const t = setup({ lima: () => limaLine('Broken', [error]) });
    const report = await t.run();
    expect(t.clock.sleeps).toEqual([10_000]);
    expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima', 'colima status --profile default --json', 'limactl list --json colima', 'colima start --profile default']);
    expect(report.outcome).toBe('recovered');
    expect(fake.exists('_lima/colima/ha.pid') || fake.exists('_lima/colima/ha.sock')).toBe(false);
    expect(report.findings.map((f) => f.text)).toContain("the host agent's ha.sock refuses connections: its PID file outlived the host agent");
  });

  it('vz driver running but host agent not: the orphaned driver (your limactl) is force-stopped, then started', async () => {
    fake.pid('_lima/colima/ha.pid', 612, SINCE_BOOT);
    fake.pid('_lima/colima/vz.pid', 640, SINCE_BOOT);
    const t = setup({ lima: () => limaLine('Broken', ['vz driver is running but host agent is not']), owners: { 640: { state: 'alive', name: 'limactl', uid: UID, startedAt: SINCE_BOOT - 2000 } } });
    const report = await t.run();
    expect(t.argv().slice(4)).toEqual(['colima stop --force --profile default', 'colima start --profile default']);
    expect(report.actions.map((a) => `${a.tier} ${a.kind}`)).toEqual(['safe remove-file', 'guarded force-stop', 'start start']);
    expect(report.outcome).toBe('recovered');
  });

  it('a false Running while Docker is dead (PID files of the boot before, pids now other programs): files go, nothing is stopped, it starts', async () => {
    fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    fake.pid('_lima/colima/vz.pid', 612, BEFORE_BOOT);
    const t = setup({
      status: { exitCode: 1, stderr: readFixture('colima', 'colima-status-runtime-empty.txt') },
      lima: (s) => limaLine(s.starts === 0 && fake.exists('_lima/colima/ha.pid') ? 'Running' : 'Stopped'),
      owners: { 612: { state: 'alive', name: 'WindowServer', uid: 88, startedAt: BOOTED_AT + 5000 } },
    });
    const report = await t.run('watch');
    expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima', 'colima status --profile default --json', 'limactl list --json colima', 'colima start --profile default']);
    expect(report.outcome).toBe('recovered');
    expect(t.sent).toEqual([]);
  });

  it('a PID recycled by an unrelated process: its file goes, and no colima stop, no signal, while your limactl still runs', async () => {
    const haPid = fake.pid('_lima/colima/ha.pid', 612, SINCE_BOOT);
    const vzPid = fake.pid('_lima/colima/vz.pid', 613, SINCE_BOOT);
    const t = setup({
      lima: () => limaLine('Broken', ['host agent is running but driver is not']),
      owners: { 612: { state: 'alive', name: 'limactl', uid: UID, startedAt: SINCE_BOOT }, 613: { state: 'alive', name: 'Safari', uid: UID, startedAt: SINCE_BOOT - 60_000 } },
    });
    const report = await t.run();
    expect(report.outcome).toBe('failed');
    expect(report.summary).toBe('a PID file named a pid that another program now uses: headroom runs no colima stop in this recovery, so that no signal can reach it');
    expect(t.argv().filter((a) => !a.startsWith('colima status') && !a.startsWith('limactl list'))).toEqual([]);
    expect(t.sent).toEqual([]);
    expect(existsSync(vzPid)).toBe(false);
    expect(existsSync(haPid)).toBe(true);
  });

  it('dry run: the plan is reported and nothing changes (files, lock, argv)', async () => {
    const haPid = fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    const mtime = lstatSync(haPid).mtimeMs;
    fake.write('_lima/_disks/colima/datadisk', '');
    const lock = fake.lock('colima', 'colima');
    const t = setup({}, { dryRun: true });
    const report = await t.run('manual');
    expect(report.outcome).toBe('dry-run');
    expect(report.actions.map((a) => a.detail)).toEqual([`would remove ${haPid}`, 'would run limactl disk unlock colima', 'would run colima start --profile default']);
    expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima']);
    expect(lstatSync(haPid).mtimeMs).toBe(mtime);
    expect(lstatSync(lock).isSymbolicLink()).toBe(true);
  });

  it('start keeps failing: exactly 3 attempts, backed off 30 s then 60 s, then it gives up', async () => {
    fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    const t = setup({ start: () => ({ exitCode: 1, stderr: readFixture('colima', 'colima-start-vz-driver-running.txt') }) });
    const report = await t.run();
    expect(t.argv().filter((a) => a.startsWith('colima start'))).toHaveLength(3);
    expect(t.clock.sleeps).toEqual([30_000, 60_000]);
    expect(report).toMatchObject({ outcome: 'failed', startAttempts: 3 });
    expect(report.summary).toBe('colima start failed 3 times (last: Lima sees the VM driver running but not the host agent (a stale or reused PID)): headroom stops trying until Docker answers again, the next boot, or "headroom docker recover"');
  });

  describe('a /_ping that times out is not a dead Docker', () => {
    let hostAgent: net.Server;
    beforeEach(async () => {
      // Your host agent, live and answering on ha.sock; Colima says Running.
      fake.pid('_lima/colima/ha.pid', 612, SINCE_BOOT);
      fake.pid('_lima/colima/vz.pid', 612, SINCE_BOOT);
      hostAgent = net.createServer((socket) => socket.end());
      await new Promise<void>((resolve) => hostAgent.listen(fake.at('_lima/colima/ha.sock'), resolve));
    });
    afterEach(() => new Promise<void>((resolve) => (hostAgent.listening ? hostAgent.close(() => resolve()) : resolve())));
    const running = { lima: () => limaLine('Running'), owners: { 612: { state: 'alive' as const, name: 'limactl', uid: UID, startedAt: SINCE_BOOT - 1000 } } };

    it('docker.sock accepts but does not answer in time (a swapping VM): the watch waits, and nothing is stopped or started', async () => {
      docker.hang = true;
      const t = setup(running);
      const report = await t.run('watch');
      expect(report).toMatchObject({ outcome: 'waiting', actions: [] });
      expect(report.summary).toMatch(/^Docker is slow, not down: .*docker\.sock accepts connections but \/_ping got no answer in time \(GET \/_ping: no answer within 500 ms\): headroom stops nothing/);
      expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima']);
      expect(t.sent).toEqual([]);
    });

    it('you stop Colima while the watch reads (colima stop): the second read finds it stopped cleanly, and it is left stopped', async () => {
      let reads = 0;
      const t = setup({
        ...running,
        lima: () => {
          reads += 1;
          if (reads > 1) return limaLine('Stopped');
          // Your colima stop finishes during the 10 s before the second read: the host agent exits, its files go.
          hostAgent.close();
          for (const name of ['ha.pid', 'vz.pid', 'ha.sock']) rmSync(fake.at(`_lima/colima/${name}`), { force: true });
          return limaLine('Running');
        },
      });
      const report = await t.run('watch');
      expect(t.clock.sleeps).toEqual([10_000]);
      expect(report).toMatchObject({ outcome: 'left', actions: [], summary: 'Colima is stopped, with no sign it was left running: headroom leaves it stopped' });
      expect(t.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima', 'colima status --profile default --json', 'limactl list --json colima']);
    });

    it('docker.sock hangs up (dockerd dead in the VM): read twice, then a graceful stop and a start', async () => {
      const t = setup(running);
      const report = await t.run('watch');
      expect(t.argv().filter((a) => a.startsWith('colima stop') || a.startsWith('colima start'))).toEqual(['colima stop --profile default', 'colima start --profile default']);
      expect(report.outcome).toBe('recovered');
    });
  });

  describe('starts are counted per boot, across headroom runs', () => {
    const BOOT = { id: 'B1', bootedAt: BOOTED_AT };
    const counter = () => new StartCountFile(fake.at('../docker-starts-default.json')).counter('default', BOOT, () => NOW);

    it('a daemon stopped during colima start, and restarted again and again, runs colima start at most startAttempts times in this boot', async () => {
      fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
      const runs = [];
      for (let restart = 0; restart < 5; restart++) {
        // Each daemon is stopped while its colima start runs (the runner ends it: a signal, no exit code).
        const stop = new AbortController();
        const t = setup({ start: () => (stop.abort(), { signal: 'SIGTERM' }) }, { starts: counter() });
        const report = await t.run('start', stop.signal);
        runs.push({ starts: t.argv().filter((a) => a.startsWith('colima start')).length, sleeps: t.clock.sleeps, outcome: report.outcome, summary: report.summary });
      }
      expect(runs.map((r) => r.starts)).toEqual([1, 1, 1, 0, 0]);
      // The backoff goes on across runs too.
      expect(runs.map((r) => r.sleeps)).toEqual([[], [30_000], [60_000], [], []]);
      expect(runs.map((r) => r.outcome)).toEqual(['canceled', 'canceled', 'canceled', 'failed', 'failed']);
      expect(runs[3]?.summary).toBe('colima start ran 3 times in this boot without Docker answering (3 of them before this run of headroom): headroom stops trying until Docker answers again, the next boot, or "headroom docker recover"');
      expect(counter().used()).toEqual({ starts: 3, vmDeleted: false });
    });

    it('a colima delete (docker.allow.deleteVm) is not run again by a restarted daemon either', async () => {
      const allow = { deleteVm: true, deleteData: false, killProcesses: false };
      counter().record({ starts: 3, vmDeleted: false });
      const stop = new AbortController();
      // The delete runs; the start after it is where this daemon is stopped.
      const t1 = setup({ start: () => (stop.abort(), { signal: 'SIGTERM' }) }, { allow, starts: counter() });
      await t1.run('start', stop.signal);
      expect(t1.argv().filter((a) => a.startsWith('colima delete') || a.startsWith('colima start'))).toEqual(['colima delete --force --profile default', 'colima start --profile default']);
      const t2 = setup({}, { allow, starts: counter() });
      const report = await t2.run('start');
      expect(t2.argv().filter((a) => a.startsWith('colima delete') || a.startsWith('colima start'))).toEqual([]);
      expect(report.outcome).toBe('failed');
      expect(counter().used()).toEqual({ starts: 4, vmDeleted: true });
    });

    it('a read that finds Docker answering clears the count; a dry run counts nothing; headroom docker recover counts from zero', async () => {
      counter().record({ starts: 3, vmDeleted: false });
      const dry = setup({}, { dryRun: true, starts: counter() });
      await dry.run('manual');
      expect(counter().used()).toEqual({ starts: 3, vmDeleted: false });
      const manual = setup({}, { starts: counter() });
      expect((await manual.run('manual')).outcome).toBe('recovered');
      expect(counter().used()).toEqual({ starts: 0, vmDeleted: false });
    });
  });

  it('leaves a cleanly stopped Colima alone at daemon start, and starts it when asked', async () => {
    const auto = setup({});
    expect(await auto.run('start')).toMatchObject({ outcome: 'left', actions: [] });
    expect(auto.argv()).toEqual(['colima status --profile default --json', 'limactl list --json colima']);
    const manual = setup({});
    expect((await manual.run('manual')).outcome).toBe('recovered');
  });
});
