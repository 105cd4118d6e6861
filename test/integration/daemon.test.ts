import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readState, type DaemonState } from '../../src/daemon/state-file.js';
import { makeSandbox, readLiveState, type CliProcess, runCliProcess, startCliProcess, waitFor, type Sandbox } from '../helpers/cli-process.js';
import { makeFakeDarwinBin, type FakeDarwinBin } from '../helpers/fake-darwin-bin.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { deriveVmStatStream } from '../helpers/vm-stat-stream.js';

const running: CliProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill('SIGKILL');
    await child;
  }
});

function start(args: string[], env: Record<string, string>): CliProcess {
  const child = startCliProcess(args, env);
  running.push(child);
  return child;
}

async function stateAfter(file: string, samples: number): Promise<DaemonState> {
  return waitFor(async () => {
    const state = await readLiveState(file);
    return state && state.samples >= samples ? state : undefined;
  }, 15_000, `${samples} samples in ${file}`);
}

describe('the daemon on linux (fake proc root)', () => {
  let proc: FakeProc;
  let sandbox: Sandbox;
  let config: string;
  let stateFile: string;
  beforeAll(async () => {
    proc = await makeFakeProc();
    sandbox = await makeSandbox();
    config = path.join(sandbox.home, 'config.yaml');
    // ollama.manage false: these tests are about sampling, and must not start an ollama found on PATH.
    await writeFile(config, `daemon:\n  intervalMs: 100\nlinux:\n  procRoot: ${proc.root}\nollama:\n  manage: false\n`);
    stateFile = path.join(sandbox.linuxStateDir, 'state.json');
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await proc.cleanup();
  });

  it('samples, writes its state, shows in status, refuses a second instance, and exits 0 on SIGTERM', async () => {
    const daemon = start(['run', '--platform', 'linux', '--config', config], sandbox.env);
    const state = await stateAfter(stateFile, 3);
    expect(state).toMatchObject({ schemaVersion: 1, pid: daemon.pid, platform: 'linux', memory: { pressure: 'normal', totalBytes: 24684092 * 1024 } });
    // The probe schedule runs on node-cron: the next run is the next half hour.
    expect(state.probe).toMatchObject({ schedule: '*/30 * * * *', running: false, failedRuns: 0 });
    expect(state.probe!.nextRunAt! % (30 * 60_000)).toBe(0);
    expect(state.probe!.nextRunAt! - Date.now()).toBeLessThanOrEqual(30 * 60_000);

    const status = await runCliProcess(['status', '--json', '--platform', 'linux', '--config', config], sandbox.env);
    expect(status.exitCode).toBe(0);
    const parsed = JSON.parse(status.stdout) as { daemon: { pid: number; lastSampleAt: number }; memory: { at: number } };
    expect(parsed.daemon.pid).toBe(daemon.pid);
    expect(parsed.memory.at).toBe(parsed.daemon.lastSampleAt);
    const people = await runCliProcess(['status', '--platform', 'linux', '--config', config], sandbox.env);
    expect(people.stdout).toMatch(/^probes {4}no run yet; next in .+$/m);

    const second = await runCliProcess(['run', '--platform', 'linux', '--config', config], sandbox.env);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another headroom daemon is already running for this user (pid ${daemon.pid}`);

    await proc.stage('meminfo-24g-critical-3.6pct.txt', 'pressure-memory-critical-3.6pct.txt');
    await waitFor(async () => (await readLiveState(stateFile))?.memory?.pressure === 'critical', 10_000, 'critical pressure');

    daemon.kill('SIGTERM');
    const exit = await daemon;
    expect(exit.exitCode).toBe(0);
    const final = await readState(stateFile);
    expect(final?.stoppedAt).toBeGreaterThan(0);
    await expect(access(path.join(sandbox.linuxStateDir, 'headroom.sock'))).rejects.toThrow();

    const log = await readFile(path.join(sandbox.linuxStateDir, 'headroom.log'), 'utf8');
    const events = log.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string; to?: string });
    expect(events[0]?.msg).toBe('headroom started');
    expect(events.some((e) => e.msg === 'memory pressure changed' && e.to === 'critical' && e.level === 'warn')).toBe(true);
    expect(events.at(-1)?.msg).toBe('headroom stopped');
    await proc.stage('meminfo-24g-idle.txt', 'pressure-memory-idle.txt');
  });

  it('exits 0 on SIGINT too, after finishing the tick under way (no canceled sample)', async () => {
    const daemon = start(['run', '--platform', 'linux', '--config', config], sandbox.env);
    await waitFor(async () => (await readLiveState(stateFile))?.pid === daemon.pid, 15_000, 'the daemon');
    daemon.kill('SIGINT');
    expect((await daemon).exitCode).toBe(0);
    const final = await readState(stateFile);
    expect(final?.stoppedAt).toBeGreaterThan(0);
    expect(final?.memory?.errors).toBeUndefined();
  });

  it('prints pretty log lines on stdout with log.stdout pretty, and nothing by default when stdout is no terminal', async () => {
    const quiet = start(['run', '--platform', 'linux', '--config', config], sandbox.env);
    await waitFor(async () => (await readLiveState(stateFile))?.pid === quiet.pid, 15_000, 'the daemon');
    quiet.kill('SIGTERM');
    expect(await quiet).toMatchObject({ exitCode: 0, stdout: '' });

    const prettyConfig = path.join(sandbox.home, 'pretty.yaml');
    await writeFile(prettyConfig, `${await readFile(config, 'utf8')}log:\n  stdout: pretty\n`);
    const daemon = start(['run', '--platform', 'linux', '--config', prettyConfig], sandbox.env);
    await waitFor(async () => (await readLiveState(stateFile))?.pid === daemon.pid, 15_000, 'the daemon');
    daemon.kill('SIGTERM');
    const { exitCode, stdout } = await daemon;
    expect(exitCode).toBe(0);
    const lines = String(stdout).trim().split('\n');
    // pino-pretty's shape: "[HH:MM:ss.lll] INFO: message", then the fields indented; no JSON line.
    expect(lines.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: headroom stopped$/.test(line))).toBe(true);
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('tells at start whether the run before stopped cleanly and whether the machine rebooted since', async () => {
    const runOnce = async (stopWith: 'SIGTERM' | 'SIGKILL'): Promise<DaemonState> => {
      const daemon = start(['run', '--platform', 'linux', '--config', config], sandbox.env);
      const state = await waitFor(async () => {
        const current = await readLiveState(stateFile);
        return current && current.pid === daemon.pid && current.start ? current : undefined;
      }, 15_000, 'the start facts');
      daemon.kill(stopWith);
      await daemon;
      return state;
    };
    const bootId = path.join(proc.root, 'sys', 'kernel', 'random', 'boot_id');
    await runOnce('SIGTERM');
    const afterClean = await runOnce('SIGKILL');
    expect(afterClean.start).toMatchObject({ boot: { id: '70340dcb-ebad-4789-932f-7fefa0db4727', bootedAt: 1796165144000 }, rebooted: false, uncleanStop: false });
    await writeFile(bootId, '11111111-2222-4333-8444-555555555555\n');
    const afterKill = await runOnce('SIGTERM');
    expect(afterKill.start).toMatchObject({ rebooted: true, uncleanStop: true, previous: { pid: afterClean.pid, bootId: '70340dcb-ebad-4789-932f-7fefa0db4727', stoppedAt: null } });
    const log = await readFile(path.join(sandbox.linuxStateDir, 'headroom.log'), 'utf8');
    expect(log).toContain('"msg":"the previous run did not stop cleanly, and the machine rebooted since: a power cut, a panic or a forced restart"');
    await writeFile(bootId, readFixture('linux', 'boot_id.txt'));
  });

  it('keeps a valid state file however often it is SIGKILLed mid-run, and restarts over the stale socket', { timeout: 120_000 }, async () => {
    // A write after every sample, so that the kills land in and around writes (the default writes at most every 10 s).
    const everyTick = path.join(sandbox.home, 'every-tick.yaml');
    await writeFile(everyTick, (await readFile(config, 'utf8')).replace('daemon:\n', 'daemon:\n  stateWriteIntervalMs: 0\n'));
    const kills = 12;
    for (let i = 0; i < kills; i++) {
      const daemon = start(['run', '--platform', 'linux', '--config', everyTick], sandbox.env);
      // The file, not the socket: the socket answers before the first sample writes the file, and
      // on a loaded machine that first sample can come after the kill below.
      await waitFor(async () => (await readState(stateFile).catch(() => null))?.pid === daemon.pid, 15_000, 'the new daemon\'s first state file');
      // Kill at a different point of the 100 ms tick each time.
      await new Promise((resolve) => setTimeout(resolve, 20 + ((i * 37) % 150)));
      daemon.kill('SIGKILL');
      await daemon;
      const state = await readState(stateFile); // throws on a half-written file
      expect(state?.pid).toBe(daemon.pid);
    }
    // A reader polling while a daemon writes never sees a half-written file either.
    const daemon = start(['run', '--platform', 'linux', '--config', everyTick], sandbox.env);
    const deadline = Date.now() + 1500;
    let reads = 0;
    while (Date.now() < deadline) {
      const text = await readFile(stateFile, 'utf8');
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      reads += 1;
    }
    expect(reads).toBeGreaterThan(10);
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
  });
});

describe('the daemon on darwin (fake sysctl and vm_stat)', () => {
  let bin: FakeDarwinBin;
  let sandbox: Sandbox;
  let config: string;
  let stateFile: string;
  let streamDir: string;
  beforeAll(async () => {
    // Derived, not captured: the M4 16 GiB one-shot capture laid out as `vm_stat 1` prints it
    // (test/helpers/vm-stat-stream.ts).
    streamDir = await mkdtemp(path.join(os.tmpdir(), 'hr-stream-'));
    const streamFile = path.join(streamDir, 'vm_stat-stream-derived.txt');
    await writeFile(streamFile, deriveVmStatStream(readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt')));
    bin = await makeFakeDarwinBin({
      // Composite: both sysctl files are captures of the same M4 24 GiB Mac.
      sysctlFiles: [fixturePath('darwin', 'sysctl-hw-m4-24g.txt'), fixturePath('darwin', 'sysctl-pressure-warn-m4-24g.txt')],
      vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
      vmStatStreamFile: streamFile,
    });
    sandbox = await makeSandbox(bin.dir);
    config = path.join(sandbox.home, 'config.yaml');
    await writeFile(config, 'daemon:\n  intervalMs: 200\n  commandTimeoutMs: 300\nollama:\n  manage: false\n');
    stateFile = path.join(sandbox.darwinStateDir, 'state.json');
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await bin.cleanup();
    await rm(streamDir, { recursive: true, force: true });
  });

  async function nextSamples(count: number): Promise<DaemonState> {
    const now = (await readLiveState(stateFile))?.samples ?? 0;
    return stateAfter(stateFile, now + count);
  }

  it('reads the fixture figures through a long-lived vm_stat and an xargs pump running one sysctl per sample', async () => {
    await writeFile(path.join(bin.dir, 'sysctl.calls'), '');
    const daemon = start(['run', '--platform', 'darwin', '--config', config], sandbox.env);
    const state = await stateAfter(stateFile, 5);
    expect(state.memory).toMatchObject({
      totalBytes: 25769803776,
      availableBytes: 16327507968,
      freeBytes: 395526144,
      swapUsedBytes: 13906277827,
      pressure: 'warn',
    });
    const vmStatCalls = (await readFile(path.join(bin.dir, 'vm_stat.calls'), 'utf8')).split('\n').slice(0, -1);
    // One streaming child, at a fifth of the 200 ms interval, floored at 100 ms. A loaded machine may delay its first row past the wait and cost a
    // one-shot `vm_stat` (an empty argument line) now and then, but never one per sample.
    expect(vmStatCalls.filter((args) => args !== '')).toEqual(['0.1']);
    expect(vmStatCalls.filter((args) => args === '').length).toBeLessThan(state.samples / 4);
    const sysctlCalls = (await readFile(path.join(bin.dir, 'sysctl.calls'), 'utf8')).trim().split('\n');
    // One call at start for the boot identity, then the pump's.
    const bootCall = 'kern.bootsessionuuid kern.boottime';
    expect(sysctlCalls.filter((args) => args === bootCall)).toHaveLength(1);
    const pumpCalls = sysctlCalls.filter((args) => args !== bootCall);
    expect(pumpCalls.length).toBeGreaterThanOrEqual(5);
    expect(new Set(pumpCalls)).toEqual(new Set(['hw.memsize vm.swapusage kern.memorystatus_vm_pressure_level kern.memorystatus_level hw.memsize']));
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
  });

  it('keeps sampling while sysctl hangs, fails or prints garbage, and recovers', async () => {
    const daemon = start(['run', '--platform', 'darwin', '--config', config], sandbox.env);
    await stateAfter(stateFile, 2);
    const expectations: Array<['hang' | 'fail' | 'garbage', RegExp]> = [
      ['hang', /timed out after \d+ ms/],
      ['fail', /: fake sysctl: failing on purpose$/],
      ['garbage', /no "name: value" lines/],
    ];
    for (const [mode, message] of expectations) {
      await bin.setSysctlMode(mode);
      const state = await waitFor(async () => {
        const current = await readLiveState(stateFile);
        return current?.memory?.errors?.some((error) => message.test(error)) ? current : undefined;
      }, 10_000, `a sample showing sysctl ${mode}`);
      expect(state.memory).toMatchObject({ pressure: 'unknown', totalBytes: null, freeBytes: 395526144 });
      const later = await nextSamples(2);
      expect(later.pid).toBe(daemon.pid);
    }
    await bin.setSysctlMode('ok');
    await waitFor(async () => (await readLiveState(stateFile))?.memory?.pressure === 'warn', 10_000, 'recovery');
    const log = await readFile(path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log'), 'utf8');
    expect(log).toContain('"msg":"memory sample incomplete"');
    expect(log).toContain('"msg":"memory sample complete again"');
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
  });

  /** A daemon whose first sysctl hangs (a 60 s command timeout): its tick is stuck in it. The caller restores the mode. Wrapped: the process itself is a promise. */
  async function startWithHungSysctl(): Promise<{ daemon: CliProcess }> {
    const slowConfig = path.join(sandbox.home, 'slow.yaml');
    await writeFile(slowConfig, 'daemon:\n  intervalMs: 200\n  commandTimeoutMs: 60000\n');
    await bin.setSysctlMode('hang');
    await writeFile(path.join(bin.dir, 'sysctl.calls'), '');
    const daemon = start(['run', '--platform', 'darwin', '--config', slowConfig], sandbox.env);
    await waitFor(async () => (await readFile(path.join(bin.dir, 'sysctl.calls'), 'utf8')).length > 0, 10_000, 'a sysctl call');
    return { daemon };
  }

  it('a second signal while the first one is being handled exits at once with 130', async () => {
    try {
      const { daemon } = await startWithHungSysctl();
      // The tick is stuck in sysctl: the first signal waits up to 1 s before canceling it.
      daemon.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      daemon.kill('SIGINT');
      expect((await daemon).exitCode).toBe(130);
      const log = await readFile(path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log'), 'utf8');
      expect(log.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('second signal: exiting now');
    } finally {
      await bin.setSysctlMode('ok');
    }
  });

  it('on SIGTERM cancels a hung sysctl, finishes the tick and exits 0, well before the forced-exit deadline', async () => {
    try {
      const { daemon } = await startWithHungSysctl();
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
      const log = await readFile(path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log'), 'utf8');
      const events = log.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; errors?: string[] });
      const afterStop = events.slice(events.findLastIndex((e) => e.msg === 'stopping'));
      // The hung call was canceled, the tick finished and the loop ended on its own: no
      // "shutdown deadline reached" forced exit.
      expect(afterStop.map((e) => e.msg)).not.toContain('shutdown deadline reached: exiting without waiting further');
      expect(afterStop.at(-1)?.msg).toBe('headroom stopped');
      expect(afterStop.find((e) => e.msg === 'memory sample incomplete')?.errors?.[0]).toMatch(/: canceled$/);
      expect((await readState(stateFile))?.stoppedAt).toBeGreaterThan(0);
    } finally {
      await bin.setSysctlMode('ok');
    }
  });
});
