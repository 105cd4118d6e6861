import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { DarwinBootSensor, parseBootSysctl, parseBoottime } from './boot.js';

describe('parseBoottime', () => {
  it('reads sec and usec from the captured kern.boottime line (M1, macOS 26.6.2)', () => {
    const line = readFixture('darwin', 'sysctl-hw-m1-16g-boottime.txt').split('\n').find((l) => l.startsWith('kern.boottime'));
    expect(parseBoottime(line?.slice('kern.boottime: '.length))).toBe(1789196391 * 1000 + 979);
  });

  it('is null without a "sec =" figure', () => {
    expect(parseBoottime(undefined)).toBeNull();
    expect(parseBoottime('garbage')).toBeNull();
  });
});

// No capture of kern.bootsessionuuid was found; the lines below are built in the test in the
// `name: value` form every captured sysctl line has (an upper-case UUID per docs/colima-pm2.md A4).
const UUID = '6C9A6C2E-0E6B-4E1D-9C0B-2B1E3A4F5D6E';
const boottimeLine = readFixture('darwin', 'sysctl-hw-m1-16g-boottime.txt').split('\n').find((l) => l.startsWith('kern.boottime')) ?? '';

describe('parseBootSysctl', () => {
  it('reads the boot session UUID and the boot time', () => {
    expect(parseBootSysctl(`kern.bootsessionuuid: ${UUID}\n${boottimeLine}\n`)).toEqual({ id: UUID, bootedAt: 1789196391979 });
  });

  it('names what is missing or malformed, and keeps the rest', () => {
    expect(parseBootSysctl(`${boottimeLine}\n`)).toEqual({ id: null, bootedAt: 1789196391979, errors: ['sysctl: kern.bootsessionuuid is missing from the output'] });
    expect(parseBootSysctl('kern.bootsessionuuid: %%%\n').errors).toEqual([
      'sysctl: kern.bootsessionuuid is not a UUID: "%%%"',
      'sysctl: kern.boottime has no "sec = N": null',
    ]);
  });
});

describe('DarwinBootSensor', () => {
  it('asks one sysctl with both names (never -n) and keeps what a failing sysctl printed', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stdout: `${boottimeLine}\n`, stderr: "sysctl: unknown oid 'kern.bootsessionuuid'\n" }));
    const boot = await new DarwinBootSensor(runner, 2000).read();
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['sysctl', 'kern.bootsessionuuid', 'kern.boottime']]);
    expect(boot.bootedAt).toBe(1789196391979);
    expect(boot.id).toBeNull();
    expect(boot.errors?.[0]).toMatch(/^sysctl kern.bootsessionuuid kern.boottime: exited 1: sysctl: unknown oid/);
  });

  it('reports a sysctl that cannot run, without throwing', async () => {
    const runner = new FakeRunner(() => ({ spawnError: 'not found on PATH' }));
    const boot = await new DarwinBootSensor(runner, 2000).read();
    expect(boot).toMatchObject({ id: null, bootedAt: null });
    expect(boot.errors?.[0]).toContain('not found on PATH');
  });
});
