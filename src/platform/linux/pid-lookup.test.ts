import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinuxPidLookup, parseProcStat } from './pid-lookup.js';

const readText = (file: string): string => readFileSync(file, 'utf8');

describe('parseProcStat', () => {
  it('reads the name (with spaces and parentheses), the state and the start ticks', () => {
    const stat = '4242 (limactl) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 9 0 123456 1000000 300 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({ name: 'limactl', state: 'S', startTicks: 123456 });
    expect(parseProcStat('7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0')).toEqual({ name: 'a (b) c', state: 'R', startTicks: 99 });
    expect(parseProcStat('garbage')).toBeNull();
  });
});

describe('LinuxPidLookup on a fake proc root', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-pidproc-'));
    await writeFile(path.join(root, 'stat'), 'cpu  1 2 3\nbtime 1789196391\n');
    await mkdir(path.join(root, '4242'));
    await writeFile(path.join(root, '4242', 'stat'), '4242 (limactl) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 9 0 12345 1000000 300');
    await writeFile(path.join(root, '4242', 'status'), 'Name:\tlimactl\nUid:\t501\t501\t501\t501\n');
    await mkdir(path.join(root, '77'));
    await writeFile(path.join(root, '77', 'stat'), '77 (defunct) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('returns the name, uid and start (btime + ticks / 100)', async () => {
    expect(await new LinuxPidLookup(root, readText).lookup(4242)).toEqual({ state: 'alive', name: 'limactl', uid: 501, startedAt: 1789196391000 + 123450 });
  });

  it('says dead for a missing pid and for a zombie', async () => {
    const lookup = new LinuxPidLookup(root, readText);
    expect(await lookup.lookup(9999)).toEqual({ state: 'dead' });
    expect(await lookup.lookup(77)).toEqual({ state: 'dead' });
  });
});

describe('LinuxPidLookup on the real /proc', () => {
  it('finds this test process, owned by this user, started before now', async () => {
    const owner = await new LinuxPidLookup('/proc', readText).lookup(process.pid);
    expect(owner).toMatchObject({ state: 'alive', uid: process.getuid?.() });
    if (owner.state !== 'alive') throw new Error('not alive');
    expect(owner.startedAt).toBeLessThanOrEqual(Date.now());
    expect(owner.startedAt).toBeGreaterThan(Date.now() - 3_600_000);
  });
});
