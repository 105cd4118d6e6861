import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../../test/helpers/fixtures.js';
import { LinuxProcessInspector, LinuxProcessTable, parseSmapsRollupPssBytes, parseStatDetails, parseStatusRssBytes } from './processes.js';

describe('the /proc detail parsers, on captures', () => {
  it('reads ppid, CPU time and the start from stat', () => {
    // utime 10 + stime 22 ticks at USER_HZ 100; starttime 878801.
    expect(parseStatDetails(readFixture('linux', 'proc-pid-stat-python-64m.txt'))).toEqual({ ppid: 15375, cpuMs: 320, startTicks: '878801' });
    expect(parseStatDetails(readFixture('linux', 'proc-pid-stat-sleep.txt'))).toEqual({ ppid: 17249, cpuMs: 0, startTicks: '887608' });
    expect(parseStatDetails('garbage')).toBeNull();
  });

  it('reads VmRSS from status and Pss from smaps_rollup', () => {
    expect(parseStatusRssBytes(readFixture('linux', 'proc-pid-status-python-64m.txt'))).toBe(79112 * 1024);
    expect(parseSmapsRollupPssBytes(readFixture('linux', 'proc-pid-smaps_rollup-python-64m.txt'))).toBe(74908 * 1024);
    expect(parseStatusRssBytes('Name:\tkthreadd\nUid:\t0\t0\t0\t0\n')).toBeNull();
    expect(parseSmapsRollupPssBytes('')).toBeNull();
  });
});

describe('LinuxProcessInspector on a tree of captures', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-proc-pids-'));
    await mkdir(path.join(root, '15378'));
    for (const [file, fixture] of [
      ['stat', 'proc-pid-stat-python-64m.txt'],
      ['status', 'proc-pid-status-python-64m.txt'],
      ['smaps_rollup', 'proc-pid-smaps_rollup-python-64m.txt'],
      ['cmdline', 'proc-pid-cmdline-python-64m.bin'],
    ]) {
      await copyFile(fixturePath('linux', fixture!), path.join(root, '15378', file!));
    }
    // sleep: no smaps_rollup, as for a process of another user, whose smaps_rollup cannot be read.
    await mkdir(path.join(root, '17250'));
    await copyFile(fixturePath('linux', 'proc-pid-stat-sleep.txt'), path.join(root, '17250', 'stat'));
    await copyFile(fixturePath('linux', 'proc-pid-status-sleep.txt'), path.join(root, '17250', 'status'));
    await copyFile(fixturePath('linux', 'proc-pid-cmdline-sleep.bin'), path.join(root, '17250', 'cmdline'));
    await mkdir(path.join(root, 'sys'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists each process with its owner, start, command line, RSS and CPU time', async () => {
    const inspector = new LinuxProcessInspector(root);
    const python = (await inspector.list()).find((p) => p.pid === 15378);
    expect(python).toEqual({
      pid: 15378,
      ppid: 15375,
      uid: 0,
      startKey: '878801',
      command: '/root/.pyenv/versions/3.11.7/bin/python3 /tmp/hr-hog.py 64',
      rssBytes: 79112 * 1024,
      cpuMs: 320,
    });
    expect(await inspector.get(15378)).toEqual(python);
    expect(await inspector.get(4242)).toBeNull();
  });

  it('ranks by PSS where smaps_rollup is readable, else by RSS', async () => {
    const inspector = new LinuxProcessInspector(root);
    expect(await inspector.heaviest(5)).toEqual([
      { pid: 15378, bytes: 74908 * 1024, metric: 'pss' },
      { pid: 17250, bytes: 1808 * 1024, metric: 'rss' },
    ]);
    expect(await inspector.heaviest(1)).toHaveLength(1);
    expect(await inspector.memoryOf(17250)).toEqual({ pid: 17250, bytes: 1808 * 1024, metric: 'rss' });
    expect((await inspector.get(17250))?.command).toBe('sleep 61');
    expect(await inspector.memoryOf(4242)).toBeNull();
  });
});

describe('LinuxProcessInspector on a large table', () => {
  let root: string;
  const PIDS = 100;
  beforeEach(async () => {
    // A built tree: the python capture's files under 100 pids (its stat still names its own pid).
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-proc-many-'));
    for (let pid = 20_000; pid < 20_000 + PIDS; pid++) {
      await mkdir(path.join(root, String(pid)));
      for (const [file, fixture] of [
        ['stat', 'proc-pid-stat-python-64m.txt'],
        ['status', 'proc-pid-status-python-64m.txt'],
        ['smaps_rollup', 'proc-pid-smaps_rollup-python-64m.txt'],
        ['cmdline', 'proc-pid-cmdline-python-64m.bin'],
      ]) {
        await copyFile(fixturePath('linux', fixture!), path.join(root, String(pid), file!));
      }
    }
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** How many turns the event loop took while `work` ran. */
  async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
    let turns = 0;
    let running = true;
    const turn = (): void => {
      if (!running) return;
      turns += 1;
      setImmediate(turn);
    };
    setImmediate(turn);
    await work();
    running = false;
    return turns;
  }

  it('lets the event loop run while it reads: a sample due meanwhile is not held up by the whole table', async () => {
    const inspector = new LinuxProcessInspector(root);
    const table = new LinuxProcessTable(root);
    // 100 processes, 16 per stretch: at least 6 turns; the PSS of 25 candidates, one per stretch: 24 more.
    expect(await turnsDuring(() => inspector.list())).toBeGreaterThanOrEqual(6);
    expect(await turnsDuring(() => table.list())).toBeGreaterThanOrEqual(6);
    expect(await turnsDuring(() => inspector.heaviest(10))).toBeGreaterThanOrEqual(30);
    expect(await inspector.list()).toHaveLength(PIDS);
    expect(await inspector.heaviest(10)).toHaveLength(10);
  });
});

describe('LinuxProcessInspector on the real /proc', () => {
  const children: Array<ReturnType<typeof spawn>> = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('sees a child with 64 MiB touched among the heaviest, by PSS, and its details', async () => {
    const child = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log("ready"); setTimeout(() => b.length, 60000);'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const inspector = new LinuxProcessInspector('/proc');
    const use = (await inspector.heaviest(500)).find((u) => u.pid === child.pid);
    expect(use?.metric).toBe('pss');
    expect(use!.bytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(await inspector.get(child.pid!)).toMatchObject({ pid: child.pid, ppid: process.pid, uid: process.getuid!(), command: expect.stringContaining('Buffer.alloc') as string });
  });
});
