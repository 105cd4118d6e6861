/**
 * End to end: the real daemon (--platform darwin) against fake sysctl/vm_stat whose pressure
 * moves normal → warn → critical → normal, a fake Ollama with two loaded models, and a fake
 * osascript that records its argv. The phases (test/helpers/pressure-phases.ts) move the vm_stat
 * row with the sysctl answer.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, readLiveState, runCliProcess, startCliProcess, waitFor, type Sandbox } from '../helpers/cli-process.js';
import { addRecordingFake, makeFakeDarwinBin, readRecordedArgv, type FakeDarwinBin } from '../helpers/fake-darwin-bin.js';
import { FakeOllama } from '../helpers/fake-ollama.js';
import { fixturePath } from '../helpers/fixtures.js';
import { PressurePhases } from '../helpers/pressure-phases.js';

const GiB = 1024 ** 3;

describe('the guard, end to end in the daemon', () => {
  let scratch: string;
  let bin: FakeDarwinBin;
  let sandbox: Sandbox;
  let ollama: FakeOllama;
  let phases: PressurePhases;
  let osascriptLog: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'hr-e2e-'));
    phases = await PressurePhases.create(scratch);
    bin = await makeFakeDarwinBin({
      // The phase file answers the pressure names; memsize comes from the M4 24 GiB capture.
      sysctlFiles: [phases.sysctlFile, fixturePath('darwin', 'sysctl-hw-m4-24g.txt')],
      vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
      vmStatStreamFile: phases.vmStatStreamFile,
      vmStatStreamLive: true,
    });
    osascriptLog = await addRecordingFake(bin.dir, 'osascript');
    ollama = new FakeOllama();
    await ollama.start();
    // Two small models (no size limit applies): granite expires first, so it is the least recently used.
    ollama.loaded = [
      { name: 'granite3.3:2b', size: 2 * GiB, size_vram: 2 * GiB, digest: 'a', expires_at: new Date(Date.now() + 60_000).toISOString() },
      { name: 'llama3.2:3b', size: 3 * GiB, size_vram: 3 * GiB, digest: 'b', expires_at: new Date(Date.now() + 240_000).toISOString() },
    ];
    ollama.showFrom('granite3.3:2b', 'show-text.json');
    ollama.showFrom('llama3.2:3b', 'show-text.json');
    sandbox = await makeSandbox(bin.dir);
  });
  afterAll(async () => {
    await ollama.stop();
    await sandbox.cleanup();
    await bin.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it('unloads the least recently used model at warn, the rest at critical, notifies once, and recovers', async () => {
    const config = path.join(sandbox.home, 'config.yaml');
    await writeFile(
      config,
      [
        'daemon:',
        '  intervalMs: 200',
        '  fastIntervalMs: 100',
        'ollama:',
        '  manage: false',
        `  url: ${ollama.url}`,
        '  pollIntervalMs: 200',
        '  stillPollIntervalMs: 60000',
        'guard:',
        '  sustainMs: 400',
        '  cooldownMs: 60000', // no second warn unload: the next one must come from critical
        '  recoverMs: 1000',
        '',
      ].join('\n'),
    );
    const stateFile = path.join(sandbox.darwinStateDir, 'state.json');
    const daemon = startCliProcess(['run', '--platform', 'darwin', '--config', config], sandbox.env);
    try {
      await waitFor(async () => ((await readLiveState(stateFile))?.samples ?? 0) >= 12, 15_000, 'normal samples');
      expect(ollama.unloads).toEqual([]);
      // Calm, and the fake vm_stat repeats one row: memory stays still, so the first answers stand,
      // Ollama's (ollama.stillPollIntervalMs) and sysctl's (darwin.sysctlMaxAgeMs, 5 s; 12 samples take 2.4 s).
      expect(ollama.requestsTo('/api/ps')).toHaveLength(1);
      const memorySysctls = (await readFile(path.join(bin.dir, 'sysctl.calls'), 'utf8')).split('\n').filter((line) => line.includes('kern.memorystatus_vm_pressure_level'));
      expect(memorySysctls).toHaveLength(1);
      const calm = await readLiveState(stateFile);
      expect(calm?.guard).toMatchObject({ level: 'normal', unloading: null });
      // /api/ps lists the longest expiry first.
      expect(calm?.ollama).toMatchObject({ status: 'ok', models: [{ name: 'llama3.2:3b', kind: 'text' }, { name: 'granite3.3:2b', kind: 'text' }] });

      await phases.set('warn');
      await waitFor(() => Promise.resolve(ollama.unloads.length >= 1), 15_000, 'the warn unload');
      expect(ollama.unloads).toEqual(['granite3.3:2b']);
      const status = await runCliProcess(['status', '--json', '--platform', 'darwin', '--config', config], sandbox.env);
      expect(JSON.parse(status.stdout)).toMatchObject({ guard: { level: 'warn', incident: { id: 1, unloaded: ['granite3.3:2b'] } } });

      await phases.set('critical');
      await waitFor(() => Promise.resolve(ollama.unloads.length >= 2), 15_000, 'the critical unload');
      expect(ollama.unloads).toEqual(['granite3.3:2b', 'llama3.2:3b']);
      expect(ollama.loaded).toEqual([]);

      await phases.set('normal');
      await waitFor(async () => (await readRecordedArgv(osascriptLog)).length >= 2, 15_000, 'the recovery notice');
      const final = await waitFor(async () => {
        const state = await readLiveState(stateFile);
        return state?.guard?.level === 'normal' ? state : undefined;
      }, 15_000, 'the guard back at normal');
      expect(final.guard?.incident).toBeNull();
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
    }

    const calls = await readRecordedArgv(osascriptLog);
    const script = ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run'];
    expect(calls.map((argv) => argv.slice(0, 6))).toEqual([script, script]);
    expect(calls.map((argv) => argv.slice(6))).toEqual([
      ['headroom: memory pressure warn', expect.stringMatching(/: kernel pressure warn; swap 93% used \(1\.0 GiB free\)\. Unloading granite3\.3:2b \(2\.0 GiB\)\.$/) as string],
      ['headroom: memory recovered', expect.stringMatching(/^Memory pressure is back to normal after .* \(peak: critical\)\. Unloaded: granite3\.3:2b, llama3\.2:3b\.$/) as string],
    ]);
  });

  it('with --dry-run, logs "would unload" and sends Ollama nothing', async () => {
    ollama.loaded = [{ name: 'granite3.3:2b', size: 2 * GiB, size_vram: 2 * GiB, digest: 'a', expires_at: new Date(Date.now() + 60_000).toISOString() }];
    const before = ollama.requests.length;
    await phases.set('normal');
    const config = path.join(sandbox.home, 'dry.yaml');
    await writeFile(config, `daemon:\n  intervalMs: 200\nollama:\n  url: ${ollama.url}\n  manage: false\n`);
    const logFile = path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log');
    const daemon = startCliProcess(['run', '--dry-run', '--platform', 'darwin', '--config', config], sandbox.env);
    const events = async (): Promise<Array<{ pid: number; component?: string; msg: string }>> =>
      (await readFile(logFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { pid: number; component?: string; msg: string })
        .filter((event) => event.pid === daemon.pid);
    try {
      await waitFor(async () => (await events()).some((e) => e.component === 'ollama'), 15_000, 'the first Ollama read');
      await phases.set('critical');
      await waitFor(async () => (await events()).some((e) => e.msg === 'would unload (dry run)'), 15_000, 'the dry-run decision');
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
      await phases.set('normal');
    }
    const sent = ollama.requests.slice(before).filter((r) => r.path === '/api/generate' || r.path === '/api/chat');
    expect(sent).toEqual([]);
    expect(ollama.loaded.map((m) => m.name)).toEqual(['granite3.3:2b']);
    const notices = await readRecordedArgv(osascriptLog);
    expect(notices.at(-1)?.at(-1)).toMatch(/Would unload granite3\.3:2b \(2\.0 GiB\)\.$/);
  });
});
