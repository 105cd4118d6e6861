import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { LinuxBootSensor, parseBootId, parseStatBtime } from './boot.js';

describe('the Linux boot parsers on captures', () => {
  it('reads the boot id', () => {
    expect(parseBootId(readFixture('linux', 'boot_id.txt'))).toBe('70340dcb-ebad-4789-932f-7fefa0db4727');
    expect(parseBootId('not a uuid\n')).toBeNull();
  });

  it('reads btime from /proc/stat', () => {
    expect(parseStatBtime(readFixture('linux', 'proc-stat.txt'))).toBe(1796165144 * 1000);
    expect(parseStatBtime('cpu  1 2 3\n')).toBeNull();
  });
});

describe('LinuxBootSensor', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads both files under the proc root', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hr-boot-'));
    mkdirSync(path.join(root, 'sys', 'kernel', 'random'), { recursive: true });
    writeFileSync(path.join(root, 'sys', 'kernel', 'random', 'boot_id'), readFixture('linux', 'boot_id.txt'));
    writeFileSync(path.join(root, 'stat'), readFixture('linux', 'proc-stat.txt'));
    const sensor = new LinuxBootSensor(root, (file) => readFileSync(file, 'utf8'));
    expect(await sensor.read()).toEqual({ id: '70340dcb-ebad-4789-932f-7fefa0db4727', bootedAt: 1796165144000 });
  });

  it('names each file it cannot read, without throwing', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hr-boot-'));
    writeFileSync(path.join(root, 'stat'), 'cpu 1 2\n');
    const boot = await new LinuxBootSensor(root, (file) => readFileSync(file, 'utf8')).read();
    expect(boot.id).toBeNull();
    expect(boot.bootedAt).toBeNull();
    expect(boot.errors).toHaveLength(2);
    expect(boot.errors?.[0]).toContain(`${root}/sys/kernel/random/boot_id: ENOENT`);
    expect(boot.errors?.[1]).toBe(`${root}/stat: no "btime N" line`);
  });
});
