import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { MiB } from '../../core/units.js';
import { darwinSnapshot, darwinUsedBytes } from './memory-figures.js';
import { parseSysctlPairs } from './sysctl.js';
import { parseVmStat } from './vm-stat.js';

const AT = Date.UTC(2026, 10, 21, 12, 0, 0);

/** sysctl lines as one batched call would print them, gathered from captures of the same machine. */
function sysctl(...files: string[]): Map<string, string> {
  return parseSysctlPairs(files.map((file) => readFixture('darwin', file)).join('\n'));
}

describe('darwinSnapshot', () => {
  it('M4 24 GiB under warn: available = total − (anonymous − purgeable + wired + compressor)', () => {
    // Composite: memsize and the pressure sample are captures of the same M4 24 GiB machine; no
    // vm_stat of that machine was captured, so the pages are the M4 16 GiB capture's.
    const pages = parseVmStat(readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'));
    const snapshot = darwinSnapshot(AT, pages, sysctl('sysctl-hw-m4-24g.txt', 'sysctl-pressure-warn-m4-24g.txt'), []);
    expect(snapshot).toEqual({
      at: AT,
      totalBytes: 25769803776,
      availableBytes: 16327507968,
      freeBytes: 395526144,
      wiredBytes: 1748844544,
      compressedBytes: 1803272192,
      swapUsedBytes: 13906277827,
      swapTotalBytes: 15032385536,
      pressure: 'warn',
      pressureReason: 'kern.memorystatus_vm_pressure_level = 2',
      kernelFreePercent: 38,
    });
  });

  it("agrees with top's PhysMem line captured on the same Mac mini in the same minute", () => {
    const pages = parseVmStat(readFixture('darwin', 'vm_stat-macmini-32g-normal.txt'));
    const top = /PhysMem: \S+ used \((\d+)M wired, (\d+)M compressor\)/.exec(readFixture('darwin', 'top-l1-header-macmini-32g.txt'));
    expect(top).not.toBeNull();
    // memory_pressure of the same minute: "The system has 34359738368 (2097152 pages …)".
    const total = Number(/The system has (\d+)/.exec(readFixture('darwin', 'memory_pressure-normal-32g.txt'))![1]);
    const snapshot = darwinSnapshot(AT, pages, new Map([['hw.memsize', String(total)]]), []);
    expect(snapshot.totalBytes).toBe(34359738368);
    expect(snapshot.availableBytes).toBe(20463337472);
    expect(Math.abs(snapshot.wiredBytes! / MiB - Number(top![1]))).toBeLessThan(10);
    expect(Math.round(snapshot.compressedBytes! / MiB)).toBe(Number(top![2]));
  });

  it('counts Intel pages at 4096 bytes', () => {
    const pages = parseVmStat(
      readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt').replace('16384 bytes', '4096 bytes'),
    );
    expect(darwinUsedBytes(pages)).toBe(((363641 - 4133) + 106741 + 110063) * 4096);
  });

  it('keeps vm_stat figures and marks pressure unknown when sysctl failed', () => {
    const pages = parseVmStat(readFixture('darwin', 'vm_stat-m5pro-48g-macos26.6.2-tagged.txt'));
    const snapshot = darwinSnapshot(AT, pages, null, ['sysctl: timed out after 2000 ms']);
    expect(snapshot).toMatchObject({
      totalBytes: null,
      availableBytes: null,
      freeBytes: 1133377 * 16384,
      swapUsedBytes: null,
      pressure: 'unknown',
      errors: ['sysctl: timed out after 2000 ms'],
    });
  });

  it('keeps sysctl figures when vm_stat failed', () => {
    const snapshot = darwinSnapshot(AT, null, sysctl('sysctl-hw-m4-24g.txt', 'sysctl-pressure-warn-m4-24g.txt'), ['vm_stat: exited 1']);
    expect(snapshot).toMatchObject({ totalBytes: 25769803776, availableBytes: null, freeBytes: null, pressure: 'warn', errors: ['vm_stat: exited 1'] });
  });

  it('reports each missing sysctl name and an unexpected pressure level', () => {
    const snapshot = darwinSnapshot(AT, null, new Map([['kern.memorystatus_vm_pressure_level', '3']]), []);
    expect(snapshot.pressure).toBe('unknown');
    expect(snapshot.errors).toEqual([
      'sysctl: hw.memsize is missing from the output',
      'sysctl: vm.swapusage is missing from the output',
      'sysctl: kern.memorystatus_level is missing from the output',
      'sysctl: kern.memorystatus_vm_pressure_level is 3, not one of 1, 2, 4',
    ]);
  });
});
