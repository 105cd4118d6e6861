import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { parseSwapUsage, parseSysctlInteger, parseSysctlPairs, pressureFromDarwinLevel, SysctlParseError } from './sysctl.js';

describe('parseSysctlPairs on every captured sysctl output', () => {
  it('the pressure sample under warn (M4 24 GiB)', () => {
    const pairs = parseSysctlPairs(readFixture('darwin', 'sysctl-pressure-warn-m4-24g.txt'));
    expect(Object.fromEntries(pairs)).toEqual({
      'vm.swapusage': 'total = 14336.00M  used = 13262.06M  free = 1073.94M  (encrypted)',
      'vm.memory_pressure': '231',
      'kern.memorystatus_vm_pressure_level': '2',
      'kern.memorystatus_level': '38',
    });
  });

  it('memorystatus level and pressure level a day earlier', () => {
    const pairs = parseSysctlPairs(readFixture('darwin', 'sysctl-memorystatus-warn-m4-24g.txt'));
    expect(parseSysctlInteger('kern.memorystatus_level', pairs.get('kern.memorystatus_level'))).toBe(37);
    expect(pressureFromDarwinLevel(parseSysctlInteger('x', pairs.get('kern.memorystatus_vm_pressure_level')))).toBe('warn');
  });

  it('hardware lines, including a kern.boottime value that holds colons', () => {
    const pairs = parseSysctlPairs(readFixture('darwin', 'sysctl-hw-m1-16g-boottime.txt'));
    expect(pairs.get('hw.memsize')).toBe('17179869184');
    expect(pairs.get('machdep.cpu.brand_string')).toBe('Apple M1');
    expect(pairs.get('kern.boottime')).toBe('{ sec = 1789196391, usec = 979990 } Fri Sep 11 23:59:51 2026');
  });

  it('M4 24 GiB and M2 Pro 32 GiB memsize', () => {
    const m4 = parseSysctlPairs(readFixture('darwin', 'sysctl-hw-m4-24g.txt'));
    expect(parseSysctlInteger('hw.memsize', m4.get('hw.memsize'))).toBe(25769803776);
    expect(m4.get('hw.pagesize')).toBe('16384');
    const m2 = parseSysctlPairs(readFixture('darwin', 'sysctl-hw-model-memsize-m2pro-32g.txt'));
    expect(parseSysctlInteger('hw.memsize', m2.get('hw.memsize'))).toBe(34359738368);
  });

  it('iogpu.wired_limit_mb at its default and after being set', () => {
    expect(parseSysctlPairs(readFixture('darwin', 'sysctl-iogpu-wired-limit-default-m2pro-32g.txt')).get('iogpu.wired_limit_mb')).toBe('0');
    expect(parseSysctlPairs(readFixture('darwin', 'sysctl-iogpu-wired-limit-set-m1-16g.txt')).get('iogpu.wired_limit_mb')).toBe('0 -> 14000');
  });

  it('`sysctl -n` output (a missing key dropped a line) yields no pairs rather than shifted values', () => {
    expect(parseSysctlPairs(readFixture('darwin', 'sysctl-n-missing-key-stdout-m1.txt')).size).toBe(0);
  });

  it('skips lines that are not name: value', () => {
    expect([...parseSysctlPairs('sysctl: unknown oid \'hw.cpufrequency\'\n\nhw.memsize: 1\n').keys()]).toEqual(['hw.memsize']);
  });
});

describe('parseSwapUsage', () => {
  it('reads MiB figures from the warn capture', () => {
    const value = parseSysctlPairs(readFixture('darwin', 'sysctl-pressure-warn-m4-24g.txt')).get('vm.swapusage');
    expect(parseSwapUsage(value)).toEqual({
      totalBytes: 14336 * 1048576,
      usedBytes: Math.round(13262.06 * 1048576),
      freeBytes: Math.round(1073.94 * 1048576),
    });
  });

  it('reads all zeros before the first swap file', () => {
    const value = parseSysctlPairs(readFixture('darwin', 'sysctl-vm.swapusage-zero.txt')).get('vm.swapusage');
    expect(parseSwapUsage(value)).toEqual({ totalBytes: 0, usedBytes: 0, freeBytes: 0 });
  });

  it('accepts a line without "(encrypted)"', () => {
    expect(parseSwapUsage('total = 2048.00M  used = 1024.00M  free = 1024.00M').usedBytes).toBe(1024 * 1048576);
  });

  it('names the missing figure', () => {
    expect(() => parseSwapUsage('total = 2048.00M')).toThrow(/no "used = N" figure/);
    expect(() => parseSwapUsage(undefined)).toThrow(/vm.swapusage is missing/);
  });
});

describe('pressureFromDarwinLevel', () => {
  it('maps the dispatch levels 1, 2 and 4', () => {
    expect(pressureFromDarwinLevel(1)).toBe('normal');
    expect(pressureFromDarwinLevel(2)).toBe('warn');
    expect(pressureFromDarwinLevel(4)).toBe('critical');
  });

  it('calls anything else unknown, including the 0 and 3 other tools wrongly expect', () => {
    for (const level of [0, 3, 5, 8, -1]) expect(pressureFromDarwinLevel(level)).toBe('unknown');
  });
});

describe('parseSysctlInteger', () => {
  it('rejects a missing or non-numeric value with the key in the message', () => {
    expect(() => parseSysctlInteger('hw.memsize', undefined)).toThrow(SysctlParseError);
    expect(() => parseSysctlInteger('hw.memsize', '16G')).toThrow(/hw.memsize is not an integer/);
  });
});
