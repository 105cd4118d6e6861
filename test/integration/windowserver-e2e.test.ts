/**
 * The WindowServer watch and the process guard end to end on the darwin backend: the real daemon
 * (--platform darwin) against fake sysctl/vm_stat, fake pgrep/ps/top/log (answers built here, see
 * each test), a fake osascript that records its argv, and the fake Ollama.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonState } from '../../src/daemon/state-file.js';
import { PS_DETAIL_COLUMNS } from '../../src/platform/darwin/ps-details.js';
import { PRECURSOR_PREDICATE } from '../../src/platform/darwin/unified-log.js';
import { closedAddress, makeSandbox, readJson, readLiveState, runCliProcess, startCliProcess, waitFor, type CliProcess, type Sandbox } from '../helpers/cli-process.js';
import { addRecordingFake, makeFakeDarwinBin, readRecordedArgv, type FakeDarwinBin } from '../helpers/fake-darwin-bin.js';
import { addProcessFakes, psRow, type FakeProcessBin } from '../helpers/fake-process-bin.js';
import { FakeOllama } from '../helpers/fake-ollama.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { PressurePhases } from '../helpers/pressure-phases.js';

const GiB = 1024 ** 3;
const OWN_UID = process.getuid!();
// Rows built from the captures (pid 372's command line from the ps -axo excerpt, its CPU time from
// the ps aux capture, uid 88 from the crash report); the starts are made up.
const WINDOWSERVER = '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon';
const wsRow = (pid: number, lstart: string) => psRow({ pid, uid: 88, rssKiB: 105120, time: '276:18.30', lstart, command: WINDOWSERVER });

const running: CliProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill('SIGKILL');
    await child;
  }
});

describe('the WindowServer watch and the process guard, on the darwin backend', () => {
  let scratch: string;
  let bin: FakeDarwinBin;
  let fakes: FakeProcessBin;
  let sandbox: Sandbox;
  let ollama: FakeOllama;
  let phases: PressurePhases;
  let osascriptLog: string;
  const stateFile = () => path.join(sandbox.darwinStateDir, 'state.json');
  const logFile = () => path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log');


  async function events(pid: number | undefined): Promise<Array<Record<string, unknown> & { msg: string }>> {
    const text = await readFile(logFile(), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string; pid: number })
      .filter((event) => event.pid === pid);
  }

  function start(config: string, extra: string[] = []): CliProcess {
    const child = startCliProcess(['run', ...extra, '--platform', 'darwin', '--config', config], sandbox.env);
    running.push(child);
    return child;
  }

  async function stop(child: CliProcess): Promise<void> {
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
    void running.splice(running.indexOf(child), 1);
  }

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'hr-ws-e2e-'));
    phases = await PressurePhases.create(scratch);
    bin = await makeFakeDarwinBin({
      // kern.boottime from the M1 capture: the same boot for every run of this file.
      sysctlFiles: [phases.sysctlFile, fixturePath('darwin', 'sysctl-hw-m4-24g.txt'), fixturePath('darwin', 'sysctl-hw-m1-16g-boottime.txt')],
      vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
      vmStatStreamFile: phases.vmStatStreamFile,
      vmStatStreamLive: true,
    });
    osascriptLog = await addRecordingFake(bin.dir, 'osascript');
    fakes = await addProcessFakes(bin.dir);
    ollama = new FakeOllama();
    await ollama.start();
    sandbox = await makeSandbox(bin.dir);
  });
  afterAll(async () => {
    await ollama.stop();
    await sandbox.cleanup();
    await bin.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it('records WindowServer in one run, and in the next tells a restart without a reboot: an incident, a notice, the status; a lost session only on evidence', async () => {
    const config = path.join(sandbox.home, 'restart.yaml');
    await writeFile(config, `daemon:\n  intervalMs: 200\nollama:\n  manage: false\n  url: ${ollama.url}\nwindowServer:\n  intervalMs: 1000\n`);
    await fakes.setWindowServer(372);
    await fakes.setRows([wsRow(372, 'Wed Dec  2 08:00:30 2026')]);
    const first = start(config);
    await waitFor(async () => (await readLiveState(stateFile()))?.windowServer?.pid === 372, 15_000, 'WindowServer followed');
    await waitFor(async () => (await readJson<{ pid: number }>(path.join(sandbox.darwinStateDir, 'windowserver.json')))?.pid === 372, 15_000, 'windowserver.json');
    await stop(first);
    expect(await readRecordedArgv(osascriptLog)).toEqual([]);
    expect((await fakes.calls('pgrep'))[0]).toEqual(['-x', 'WindowServer']);
    expect(await fakes.calls('ps')).toContainEqual(['-ww', '-o', PS_DETAIL_COLUMNS, '-p', '372']);

    // Same boot (the fake sysctl's kern.boottime), another WindowServer, after a clean stop and
    // with no crash report: an incident, told calmly (a logout does the same).
    await fakes.setWindowServer(9121);
    await fakes.setRows([wsRow(9121, 'Wed Dec  6 11:58:00 2023')]);
    const second = start(config);
    const state = await waitFor(async () => {
      const current = await readLiveState(stateFile());
      return current && current.pid === second.pid && current.windowServer?.restart ? current : undefined;
    }, 15_000, 'the restart in the state');
    expect(state.windowServer?.restart).toMatchObject({ previous: { pid: 372 }, current: { pid: 9121, startedAt: Date.UTC(2023, 11, 6, 11, 58, 0) }, duringRun: false, lostSession: false, evidence: [] });
    const notices = await waitFor(async () => {
      const calls = await readRecordedArgv(osascriptLog);
      return calls.length > 0 ? calls : undefined;
    }, 15_000, 'the notice');
    expect(notices.map((argv) => argv.slice(6))).toEqual([['headroom: WindowServer restarted', expect.stringMatching(/since headroom last ran \(pid 372 → 9121\) without a reboot\. A logout does this too/) as string]]);
    expect((await events(second.pid)).find((e) => e.msg.startsWith('WindowServer restarted without a reboot'))).toMatchObject({ level: 'warn', msg: 'WindowServer restarted without a reboot: a logout, or a restart with no crash report' });
    const status = await runCliProcess(['status', '--platform', 'darwin', '--config', config], sandbox.env);
    expect(status.stdout).toMatch(/\ndisplay {3}WindowServer (unknown|ok) \(pid 9121: .*\)\n {10}restarted without a reboot .* \(pid 372 → 9121\): a logout, or a restart with no crash report\n/);
    const record = path.join(sandbox.darwinStateDir, 'windowserver.json');
    expect(JSON.parse(await readFile(record, 'utf8'))).toMatchObject({ pid: 9121, startKey: 'Wed Dec 6 11:58:00 2023' });
    expect((await stat(record)).mode & 0o777).toBe(0o600);

    // Killed (no SIGTERM: not a logout), and WindowServer's crash report in the user's
    // DiagnosticReports (the captured report's head; it was written after 9121's made-up start):
    // the next run calls it a lost session, and says why.
    second.kill('SIGKILL');
    await second;
    void running.splice(running.indexOf(second), 1);
    const reports = path.join(sandbox.home, 'Library', 'Logs', 'DiagnosticReports');
    await mkdir(reports, { recursive: true });
    const report = path.join(reports, 'WindowServer-2024-02-08-220920.ips');
    await writeFile(report, readFixture('darwin', 'windowserver-crash-ips-head-m1-air.txt'));
    await fakes.setWindowServer(9500);
    await fakes.setRows([wsRow(9500, 'Fri Feb  9 03:09:40 2024')]);
    const third = start(config);
    const lost = await waitFor(async () => {
      const current = await readLiveState(stateFile());
      return current && current.pid === third.pid && current.windowServer?.restart ? current.windowServer.restart : undefined;
    }, 15_000, 'the lost session in the state');
    expect(lost).toMatchObject({
      previous: { pid: 9121 },
      current: { pid: 9500 },
      lostSession: true,
      evidence: ['the previous headroom run ended without SIGTERM (a logout sends one)', `crash report ${report} (2024-02-09T03:09:20.000Z)`],
    });
    const lostNotice = await waitFor(async () => {
      const calls = await readRecordedArgv(osascriptLog);
      return calls.length > 1 ? calls.at(-1) : undefined;
    }, 15_000, 'the second notice');
    expect(lostNotice.slice(6)).toEqual(['headroom: the GUI session was lost', expect.stringMatching(/since headroom last ran \(pid 9121 → 9500\) without a reboot: the windows and apps of the session were closed/) as string]);
    expect((await events(third.pid)).find((e) => e.msg.startsWith('WindowServer restarted without a reboot'))).toMatchObject({ level: 'error', msg: 'WindowServer restarted without a reboot: the GUI session was lost' });
    await stop(third);
  });

  it('on a precursor in the unified log under pressure, unloads every model at once and notifies, reading the log at most once a minute', async () => {
    await readRecordedArgv(osascriptLog).then((calls) => writeFile(osascriptLog, '').then(() => calls));
    ollama.loaded = [
      { name: 'granite3.3:2b', size: 2 * GiB, size_vram: 2 * GiB, digest: 'a', expires_at: new Date(Date.now() + 60_000).toISOString() },
      { name: 'llama3.2:3b', size: 3 * GiB, size_vram: 3 * GiB, digest: 'b', expires_at: new Date(Date.now() + 240_000).toISOString() },
    ];
    ollama.showFrom('granite3.3:2b', 'show-text.json');
    ollama.showFrom('llama3.2:3b', 'show-text.json');
    const before = ollama.unloads.length;
    await fakes.setLog(readFixture('darwin', 'log-kernel-low-swap-no-paging-space.txt'));
    await phases.set('warn');
    const config = path.join(sandbox.home, 'emergency.yaml');
    // Warn alone would wait 10 minutes: only the emergency can unload here.
    await writeFile(config, `daemon:\n  intervalMs: 200\nollama:\n  manage: false\n  url: ${ollama.url}\nguard:\n  sustainMs: 600000\n`);
    const daemon = start(config);
    try {
      await waitFor(() => Promise.resolve(ollama.unloads.length >= before + 2), 15_000, 'the emergency unload');
      expect(ollama.unloads.slice(before).sort()).toEqual(['granite3.3:2b', 'llama3.2:3b']);
      const unloading = (await events(daemon.pid)).filter((e) => e.msg === 'unloading');
      expect(unloading).toHaveLength(1);
      expect(unloading[0]).toMatchObject({ rule: 'critical', models: ['granite3.3:2b', 'llama3.2:3b'], reason: expect.stringContaining('emergency: unified log: no paging space (2026-07-06 16:50:28.836789-1000 kernel: low swap: triggering no paging space action)') as string });
      const notices = await waitFor(async () => {
        const calls = await readRecordedArgv(osascriptLog);
        return calls.length > 0 ? calls : undefined;
      }, 15_000, 'the emergency notice');
      expect(notices[0]?.slice(6, 7)).toEqual(['headroom: memory emergency, the screen may freeze']);
      const status = JSON.parse((await runCliProcess(['status', '--json', '--platform', 'darwin', '--config', config], sandbox.env)).stdout) as DaemonState;
      expect(status.windowServer).toMatchObject({ health: 'strained', lastPrecursor: { kind: 'no paging space' } });
    } finally {
      await stop(daemon);
      await phases.set('normal');
    }
    expect(await fakes.calls('log')).toEqual([['show', '--last', '2m', '--predicate', PRECURSOR_PREDICATE]]);
  });

  it('never signals the protected set or another user\'s process, dry-runs an own one, and keeps the heaviest by footprint', async () => {
    await writeFile(osascriptLog, '');
    await fakes.setLog('');
    // Pids above this machine's pid_max (32768): nothing here could be signalled by mistake.
    // Command lines from the captures, made-up starts; the own process is made up.
    const lstart = 'Wed Dec  2 08:00:30 2026';
    await fakes.setRows([
      psRow({ pid: 40372, uid: 88, lstart, command: WINDOWSERVER }),
      psRow({ pid: 40377, uid: OWN_UID, lstart, command: '/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow console' }),
      psRow({ pid: 40390, uid: OWN_UID, lstart, command: '/sbin/launchd' }),
      psRow({ pid: 59923, ppid: 40390, uid: OWN_UID, lstart, command: '/Applications/Ollama.app/Contents/Resources/ollama serve' }),
      psRow({ pid: 40500, ppid: 40390, uid: OWN_UID + 1, lstart, command: '/Users/them/venv/bin/python -m mlx_lm.lora --model other' }),
      psRow({ pid: 40501, ppid: 40390, uid: OWN_UID, rssKiB: 13_312, lstart, command: '/Users/u/venv/bin/python -m mlx_lm.lora --model qwen3-0.6b --train' }),
    ]);
    // Not a capture of top's rows (none is stored): the format of src/platform/darwin/top.test.ts.
    await fakes.setTop(`${readFixture('darwin', 'top-l1-header-macmini-32g.txt')}\nPID    MEM\n40501  5154M\n59923  859M \n40372  1314M\n`);
    await phases.set('critical');
    const config = path.join(sandbox.home, 'guarded.yaml');
    await writeFile(
      config,
      [
        'daemon:',
        '  intervalMs: 200',
        'ollama:',
        '  manage: false',
        `  url: ${await closedAddress()}`,
        'processes:',
        '  sampleIntervalMs: 5000',
        '  guarded:',
        '    - pattern: "WindowServer|loginwindow|launchd|ollama|mlx_lm"',
        '      stage: warn',
        '      action: term-then-kill',
        '      graceMs: 200',
        '',
      ].join('\n'),
    );
    const daemon = start(config, ['--dry-run']);
    try {
      await waitFor(async () => (await events(daemon.pid)).some((e) => e.msg === 'would signal a guarded process (dry run)'), 15_000, 'the dry-run action');
      const all = await events(daemon.pid);
      expect(all.filter((e) => e.msg === 'would signal a guarded process (dry run)').map((e) => [e.targetPid, e.name])).toEqual([[40501, 'python']]);
      expect(all.find((e) => e.msg === 'would signal a guarded process (dry run)')).toMatchObject({ memory: { bytes: 5154 * 1024 ** 2, metric: 'footprint' }, rule: 0, action: 'term-then-kill', stage: 'critical' });
      expect(all.filter((e) => String(e.msg).startsWith('sent SIG'))).toEqual([]);
      const left = all.filter((e) => e.msg === 'guarded pattern matches a process headroom leaves alone').map((e) => [e.targetPid, e.why]);
      expect(left).toEqual([
        [40372, 'protected: a system process (WindowServer)'],
        [40377, 'protected: a system process (loginwindow)'],
        [40390, 'protected: a system process (launchd)'],
        [59923, 'protected: Ollama (freed by unloading models, never by a signal)'],
        [40500, `another user's (uid ${OWN_UID + 1})`],
      ]);
      const notices = await waitFor(async () => {
        const calls = await readRecordedArgv(osascriptLog);
        return calls.find((argv) => argv[7]?.includes('mlx_lm')) ?? undefined;
      }, 15_000, 'the dry-run notice');
      expect(notices.slice(6)).toEqual(['headroom: python is using 5.0 GiB', expect.stringContaining('(pid 40501, 5.0 GiB footprint) matches guarded pattern /WindowServer|loginwindow|launchd|ollama|mlx_lm/. Would send SIGTERM, then SIGKILL after 200 ms (dry run).') as string]);
      const state = await waitFor(async () => {
        const current = await readLiveState(stateFile());
        return current && current.pid === daemon.pid && current.processes?.heaviest ? current : undefined;
      }, 15_000, 'the heaviest in the state');
      expect(state.processes?.heaviest?.processes.map((p) => [p.pid, p.name, p.bytes])).toEqual([
        [40501, 'python', 5154 * 1024 ** 2],
        [40372, 'WindowServer', 1314 * 1024 ** 2],
        [59923, 'ollama', 859 * 1024 ** 2],
      ]);
      expect(await fakes.calls('top')).toContainEqual(['-l', '1', '-o', 'mem', '-n', '10', '-stats', 'pid,mem']);
    } finally {
      await stop(daemon);
      await phases.set('normal');
    }
  });
});
