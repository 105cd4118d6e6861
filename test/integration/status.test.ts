import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCliProcess, type Sandbox } from '../helpers/cli-process.js';
import { makeFakeDarwinBin, type FakeDarwinBin } from '../helpers/fake-darwin-bin.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';
import { fixturePath } from '../helpers/fixtures.js';

describe('headroom status --platform darwin, against fake sysctl and vm_stat', () => {
  let bin: FakeDarwinBin;
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Composite machine: memsize and the warn-level pressure sample are captures of the same
    // M4 24 GiB Mac; its vm_stat was not captured, so vm_stat answers with the M4 16 GiB capture.
    bin = await makeFakeDarwinBin({
      sysctlFiles: [fixturePath('darwin', 'sysctl-hw-m4-24g.txt'), fixturePath('darwin', 'sysctl-pressure-warn-m4-24g.txt')],
      vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
      vmStatStreamFile: fixturePath('darwin', 'vm_stat-c1-intel-4096-streaming.txt'),
    });
    sandbox = await makeSandbox(bin.dir);
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await bin.cleanup();
  });

  it('prints the fixture figures as JSON, with no daemon', async () => {
    const result = await runCliProcess(['status', '--json', '--platform', 'darwin'], sandbox.env);
    expect(result.exitCode).toBe(0);
    const status = JSON.parse(result.stdout) as { memory: Record<string, unknown>; daemon: unknown };
    expect(status.daemon).toBeNull();
    expect(status.memory).toEqual({
      at: expect.any(Number) as number,
      totalBytes: 25769803776, // hw.memsize
      availableBytes: 16327507968, // total − (363641 − 4133 + 106741 + 110063) × 16384
      freeBytes: 395526144, // 24141 × 16384
      wiredBytes: 1748844544, // 106741 × 16384
      compressedBytes: 1803272192, // 110063 × 16384
      swapUsedBytes: 13906277827, // 13262.06 MiB
      swapTotalBytes: 15032385536, // 14336 MiB
      pressure: 'warn', // kern.memorystatus_vm_pressure_level: 2
      pressureReason: 'kern.memorystatus_vm_pressure_level = 2',
      kernelFreePercent: 38,
    });
  });

  it('asks sysctl for the four names in one call, by name', async () => {
    await writeFile(path.join(bin.dir, 'sysctl.calls'), '');
    await runCliProcess(['status', '--json', '--platform', 'darwin'], sandbox.env);
    const calls = (await readFile(path.join(bin.dir, 'sysctl.calls'), 'utf8')).trim().split('\n');
    expect(calls).toEqual(['hw.memsize vm.swapusage kern.memorystatus_vm_pressure_level kern.memorystatus_level']);
  });

  it('prints a bar, pressure and swap for people', async () => {
    const result = await runCliProcess(['status', '--platform', 'darwin'], sandbox.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('daemon    not running (sampled just now)');
    expect(result.stdout).toMatch(/memory {4}\[█+░+\] 37% used/);
    expect(result.stdout).toContain('8.8 GiB used, 15.2 GiB available of 24.0 GiB');
    expect(result.stdout).toContain('pressure  warn (kern.memorystatus_vm_pressure_level = 2)');
    expect(result.stdout).toContain('swap      13.0 GiB used of 14.0 GiB (93%)');
  });

  it('still answers when sysctl fails, with pressure unknown and the reason', async () => {
    await bin.setSysctlMode('fail');
    try {
      const result = await runCliProcess(['status', '--json', '--platform', 'darwin'], sandbox.env);
      expect(result.exitCode).toBe(0);
      const { memory } = JSON.parse(result.stdout) as { memory: { pressure: string; freeBytes: number; errors: string[] } };
      expect(memory.pressure).toBe('unknown');
      expect(memory.freeBytes).toBe(395526144);
      expect(memory.errors[0]).toMatch(/^sysctl .*: exited 1: fake sysctl: failing on purpose$/);
    } finally {
      await bin.setSysctlMode('ok');
    }
  });
});

describe('headroom status --platform linux, against a fake proc root', () => {
  let proc: FakeProc;
  let sandbox: Sandbox;
  let config: string;
  beforeAll(async () => {
    proc = await makeFakeProc('meminfo-24g-warn-7pct.txt', 'pressure-memory-warn-7pct.txt');
    sandbox = await makeSandbox();
    config = path.join(sandbox.home, 'config.yaml');
    // An ollama.binary that does not exist: the status must not depend on an ollama on this machine's PATH.
    await writeFile(config, `linux:\n  procRoot: ${proc.root}\nollama:\n  binary: ${sandbox.home}/no/ollama\n`);
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await proc.cleanup();
  });

  it('prints the capture figures as JSON', async () => {
    const result = await runCliProcess(['status', '--json', '--platform', 'linux', '--config', config], sandbox.env);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      daemon: null,
      guard: null,
      ollama: {
        url: `http://${sandbox.env.OLLAMA_HOST}`,
        status: 'unreachable',
        error: `GET /api/ps: cannot reach http://${sandbox.env.OLLAMA_HOST} (ECONNREFUSED)`,
        readAt: expect.any(Number) as number,
        models: [],
      },
      memory: {
        at: expect.any(Number) as number,
        totalBytes: 24684092 * 1024,
        availableBytes: 1906064 * 1024,
        freeBytes: 2040900 * 1024,
        wiredBytes: 10076 * 1024,
        compressedBytes: 0,
        swapUsedBytes: 0,
        swapTotalBytes: 0,
        pressure: 'warn',
        pressureReason: 'MemAvailable 7.7% <= 10%',
      },
      server: {
        owner: { kind: 'none' },
        description: 'nobody',
        env: { verdict: 'unknown', why: 'no Ollama server to read' },
        managed: { daemon: null, app: null },
        binary: null,
        plan: 'no ollama executable found (ollama.binary, or on PATH): headroom cannot start a server',
        warning: 'no ollama executable found (ollama.binary, or on PATH): headroom cannot start a server',
        stoppedByUser: false,
        health: { consecutiveFailures: 0, restartsInWindow: 0, budgetSpent: false, lastError: null, lastCheckAt: null },
        inspectedAt: expect.any(Number) as number,
      },
      // No daemon and no run yet.
      probe: { lastRun: null, status: null },
      // Without a daemon: whether colima is on PATH (this machine's) and one /_ping of the profile's socket (none in this HOME).
      docker: { profile: 'default', installed: expect.any(Boolean) as boolean, ping: expect.objectContaining({ ok: false, socket: expect.stringMatching(/\/default\/docker\.sock$/) as string }) as unknown },
      windowServer: { health: 'not applicable', reason: 'Linux has no WindowServer', pid: null, startedAt: null, cpuPercent: null, readAt: null, emergency: null, lastPrecursor: null, logReadAt: null, restart: null },
      processes: null,
    });
  });
});
