import { describe, expect, it } from 'vitest';
import { alive, BEFORE_BOOT, BOOTED_AT, NOW, OWN_UID, pidFile } from '../../test/helpers/colima-facts.js';
import { classifyPidFile } from './pid-files.js';

const SINCE_BOOT = NOW - 600_000;

describe('classifyPidFile', () => {
  it('stale: written before this boot, whatever the pid names now', () => {
    const verdict = classifyPidFile(pidFile('hostagent', 612, BEFORE_BOOT, alive('limactl', NOW - 1000)), BOOTED_AT, OWN_UID);
    expect(verdict).toMatchObject({ kind: 'stale', why: 'predates-boot' });
  });

  it('not stale by age within a minute before the boot time (kern.boottime moves with clock steps)', () => {
    expect(classifyPidFile(pidFile('hostagent', 612, BOOTED_AT - 30_000, alive('limactl', BOOTED_AT - 31_000)), BOOTED_AT, OWN_UID).kind).toBe('ours');
  });

  it('stale: the pid is dead; or holds no pid', () => {
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, { state: 'dead' }), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'stale', why: 'dead' });
    expect(classifyPidFile(pidFile('hostagent', null, SINCE_BOOT, null), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'stale', why: 'not-a-pid' });
  });

  it('stale: the pid now names another program (recycled)', () => {
    const verdict = classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('Google Chrome Helper', SINCE_BOOT - 5000)), BOOTED_AT, OWN_UID);
    expect(verdict).toEqual({ kind: 'stale', why: 'recycled', detail: 'pid 612 is now "Google Chrome Helper", not limactl: the pid was reused' });
    expect(classifyPidFile(pidFile('colima-daemon', 700, SINCE_BOOT, alive('limactl', SINCE_BOOT)), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'stale', why: 'recycled' });
  });

  it('stale: the right program, but started after the file was written (recycled)', () => {
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT + 60_000)), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'stale', why: 'recycled' });
    // ps counts whole seconds: a few seconds later is still the writer.
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT + 3000)), BOOTED_AT, OWN_UID).kind).toBe('ours');
  });

  it('ours: limactl for ha.pid and usernet, limactl or qemu for the driver, colima for its daemon', () => {
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), BOOTED_AT, OWN_UID).kind).toBe('ours');
    expect(classifyPidFile(pidFile('driver', 613, SINCE_BOOT, alive('qemu-system-aar', SINCE_BOOT)), BOOTED_AT, OWN_UID).kind).toBe('ours');
    expect(classifyPidFile(pidFile('usernet', 614, SINCE_BOOT, alive('limactl', SINCE_BOOT)), BOOTED_AT, OWN_UID).kind).toBe('ours');
    expect(classifyPidFile(pidFile('colima-daemon', 615, SINCE_BOOT, alive('colima', SINCE_BOOT)), BOOTED_AT, OWN_UID).kind).toBe('ours');
  });

  it("foreign: another user's limactl; unknown: an owner that cannot be read", () => {
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT, 502)), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'foreign' });
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT, null as unknown as number)), BOOTED_AT, OWN_UID)).toMatchObject({ kind: 'unknown' });
    expect(classifyPidFile(pidFile('hostagent', 612, SINCE_BOOT, { state: 'unknown', error: 'ps: timed out' }), BOOTED_AT, OWN_UID)).toEqual({ kind: 'unknown', detail: 'pid 612: ps: timed out' });
  });

  it('without a boot time, judges by the pid alone', () => {
    expect(classifyPidFile(pidFile('hostagent', 612, BEFORE_BOOT, alive('limactl', BEFORE_BOOT)), null, OWN_UID).kind).toBe('ours');
  });
});
