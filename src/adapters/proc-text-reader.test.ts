import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMeminfo } from '../platform/linux/meminfo.js';
import { ProcTextReader } from './proc-text-reader.js';

let dir: string;
let reader: ProcTextReader;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hr-proctext-'));
  reader = new ProcTextReader();
});
afterEach(async () => {
  reader.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ProcTextReader', () => {
  // The tests run on Linux (CI and this VM), so the real /proc is there to read.
  it('keeps a procfs file open and reads it afresh each time', () => {
    const first = parseMeminfo(reader.read('/proc/meminfo'));
    expect(reader.openFiles).toBe(1);
    const second = parseMeminfo(reader.read('/proc/meminfo'));
    expect(reader.openFiles).toBe(1);
    expect(second.get('MemTotal')).toBe(first.get('MemTotal'));
    expect([...second.keys()]).toEqual([...parseMeminfo(readFileSync('/proc/meminfo', 'utf8')).keys()]);
    // /proc/self/io counts every read syscall (syscr), the reader's own pread among them, so each read of it
    // must show a larger count: a kept descriptor must not serve stale text. (Run time in /proc/self/schedstat
    // is only brought up to date at a scheduler tick, so a short loop can leave it unchanged: it failed in CI.)
    const syscr = (text: string): number => Number(/^syscr:\s*(\d+)$/m.exec(text)?.[1]);
    const before = syscr(reader.read('/proc/self/io'));
    readFileSync('/proc/meminfo');
    expect(syscr(reader.read('/proc/self/io'))).toBeGreaterThan(before);
    expect(reader.openFiles).toBe(2);
  });

  it('reads any other file whole each time, so a file replaced by rename is seen', async () => {
    const file = path.join(dir, 'meminfo');
    await writeFile(file, 'MemTotal: 1 kB\n');
    expect(reader.read(file)).toBe('MemTotal: 1 kB\n');
    await writeFile(`${file}.new`, 'MemTotal: 2 kB\n');
    await rename(`${file}.new`, file);
    expect(reader.read(file)).toBe('MemTotal: 2 kB\n');
    expect(reader.openFiles).toBe(0);
  });

  it('tells a missing file from one elsewhere: a proc file that appears later is still kept open', async () => {
    // A fake proc root on tmpfs or ext4 cannot stand in for procfs here; a symlink to the real file can.
    const link = path.join(dir, 'meminfo-link');
    expect(() => reader.read(link)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await symlink('/proc/meminfo', link);
    expect(reader.read(link)).toMatch(/^MemTotal:/);
    expect(reader.openFiles).toBe(1);
  });

  it('fails with the error of the read itself for a missing file', () => {
    expect(() => reader.read(path.join(dir, 'pressure', 'memory'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('releases its files on close', () => {
    reader.read('/proc/meminfo');
    reader.close();
    expect(reader.openFiles).toBe(0);
    expect(reader.read('/proc/meminfo')).toMatch(/^MemTotal:/);
  });
});
