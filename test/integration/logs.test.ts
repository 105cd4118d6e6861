import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCliProcess, startCliProcess, waitFor, type Sandbox } from '../helpers/cli-process.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';

/** A log line as headroom's pino writes it. */
function line(time: string, level: string, msg: string, component?: string): string {
  return JSON.stringify({ level, time, pid: 42, ...(component ? { component } : {}), msg });
}

describe('headroom logs (spawned, on log files laid out as the daemon rotates them)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let live: string;

  beforeAll(async () => {
    sandbox = await makeSandbox();
    dir = sandbox.linuxStateDir;
    live = path.join(dir, 'headroom.log');
  });
  afterAll(() => sandbox.cleanup());
  beforeEach(() => {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.startsWith('headroom.log')) writeFileSync(path.join(dir, name), '');
    writeFileSync(`${live}.2`, `${line('2026-11-20T10:00:00.000Z', 'info', 'oldest', 'daemon')}\n`);
    writeFileSync(`${live}.1`, `${line('2026-11-21T10:00:00.000Z', 'warn', 'older', 'guard')}\n${line('2026-11-21T11:00:00.000Z', 'info', 'probe ran', 'probe')}\n`);
    writeFileSync(live, `${line('2026-11-22T10:00:00.000Z', 'error', 'newest', 'probe')}\n`);
  });

  const logs = (...args: string[]) => runCliProcess(['logs', '--platform', 'linux', ...args], sandbox.env);
  const messages = (stdout: string): string[] => stdout.trim().split('\n').filter(Boolean).map((text) => (JSON.parse(text) as { msg: string }).msg);

  it('reads the rotated files in order, oldest first', async () => {
    const result = await logs('--json');
    expect(result.exitCode).toBe(0);
    expect(messages(result.stdout)).toEqual(['oldest', 'older', 'probe ran', 'newest']);
  });

  it('filters by level, time and component, and keeps the last N', async () => {
    expect(messages((await logs('--json', '--level', 'warn')).stdout)).toEqual(['older', 'newest']);
    expect(messages((await logs('--json', '--since', '2026-11-21T10:30:00Z')).stdout)).toEqual(['probe ran', 'newest']);
    expect(messages((await logs('--json', '--component', 'probe')).stdout)).toEqual(['probe ran', 'newest']);
    expect(messages((await logs('--json', '-n', '2')).stdout)).toEqual(['probe ran', 'newest']);
  });

  it('prints pretty lines without colours when stdout is no terminal', async () => {
    const result = await logs('--component', 'probe');
    expect(result.stdout).toMatch(/^\[2026-11-2\d \d\d:\d\d:\d\d\.000\] ERROR: \[probe\] newest$/m);
    expect(result.stdout).not.toContain('\x1b[');
  });

  it('refuses a --since it cannot read (exit 64) and a level it does not know', async () => {
    expect((await logs('--since', 'yesterday')).exitCode).toBe(64);
    expect((await logs('--level', 'loud')).exitCode).toBe(64);
  });

  it('--follow prints new lines and keeps following across a rotation', async () => {
    const follower = startCliProcess(['logs', '--platform', 'linux', '--json', '--follow', '-n', '1'], sandbox.env);
    let out = '';
    follower.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => Promise.resolve(out.includes('"newest"')), 10_000, 'the last line');
    appendFileSync(live, `${line('2026-11-22T10:00:01.000Z', 'info', 'before rotation')}\n`);
    await waitFor(() => Promise.resolve(out.includes('before rotation')), 10_000, 'a new line');
    // The daemon's rotation: a last line, then the file is renamed and a new one started.
    appendFileSync(live, `${line('2026-11-22T10:00:02.000Z', 'info', 'last of the old file')}\n`);
    renameSync(`${live}.1`, `${live}.2`);
    renameSync(live, `${live}.1`);
    writeFileSync(live, `${line('2026-11-22T10:00:03.000Z', 'info', 'first of the new file')}\n`);
    await waitFor(() => Promise.resolve(out.includes('first of the new file')), 10_000, 'the new file');
    appendFileSync(live, `${line('2026-11-22T10:00:04.000Z', 'info', 'after rotation')}\n`);
    await waitFor(() => Promise.resolve(out.includes('after rotation')), 10_000, 'a line after the rotation');
    follower.kill('SIGTERM');
    expect((await follower).exitCode).toBe(0);
    expect(messages(out)).toEqual(['newest', 'before rotation', 'last of the old file', 'first of the new file', 'after rotation']);
  });
});

describe('the daemon rotates its log by size', () => {
  let sandbox: Sandbox;
  let proc: FakeProc;
  beforeAll(async () => {
    sandbox = await makeSandbox();
    proc = await makeFakeProc();
  });
  afterAll(async () => {
    await proc.cleanup();
    await sandbox.cleanup();
  });

  it('keeps log.keepFiles rotated files of at most log.maxSizeMiB, readable in order by headroom logs', async () => {
    const config = path.join(sandbox.home, 'config.yaml');
    // debug writes every sample: about 1.5 KB a line, ten lines a second.
    writeFileSync(config, `daemon:\n  intervalMs: 100\nlog:\n  level: debug\n  maxSizeMiB: 0.01\n  keepFiles: 2\nlinux:\n  procRoot: ${proc.root}\nollama:\n  manage: false\nguard:\n  enabled: false\nprobe:\n  enabled: false\n`);
    const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], sandbox.env);
    const dir = sandbox.linuxStateDir;
    await waitFor(() => Promise.resolve(existsSync(dir) && readdirSync(dir).includes('headroom.log.2')), 20_000, 'two rotations');
    await new Promise((resolve) => setTimeout(resolve, 500));
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
    const files = readdirSync(dir).filter((name) => name.startsWith('headroom.log')).sort();
    expect(files).toEqual(['headroom.log', 'headroom.log.1', 'headroom.log.2']);
    for (const name of files) expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(0.01 * 1024 * 1024);
    const result = await runCliProcess(['logs', '--platform', 'linux', '--config', config, '--json', '-n', '0'], sandbox.env);
    const times = result.stdout.trim().split('\n').map((text) => Date.parse((JSON.parse(text) as { time: string }).time));
    expect(times.length).toBeGreaterThan(10);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
