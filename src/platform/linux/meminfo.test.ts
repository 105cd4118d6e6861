import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { meminfoBytes, MeminfoParseError, parseMeminfo } from './meminfo.js';

describe('parseMeminfo', () => {
  it('reads the idle capture in bytes (kB is KiB)', () => {
    const values = parseMeminfo(readFixture('linux', 'meminfo-24g-idle.txt'));
    expect(values.get('MemTotal')).toBe(24684092 * 1024);
    expect(values.get('MemAvailable')).toBe(24333568 * 1024);
    expect(values.get('SwapTotal')).toBe(0);
    expect(values.get('HugePages_Total')).toBe(0); // a count, without kB
  });

  it('reads the low-memory capture', () => {
    const values = parseMeminfo(readFixture('linux', 'meminfo-24g-warn-7pct.txt'));
    expect(meminfoBytes(values, 'MemAvailable')).toBe(1906064 * 1024);
  });

  it('names a missing key', () => {
    expect(() => meminfoBytes(parseMeminfo('MemTotal: 1 kB\n'), 'MemAvailable')).toThrow(MeminfoParseError);
    expect(() => meminfoBytes(parseMeminfo(''), 'MemAvailable')).toThrow('/proc/meminfo: MemAvailable is missing');
  });

  it('skips lines that are not `Key: number [kB]`, takes counts without a unit as they are, and tolerates CRLF', () => {
    // Not a capture: a hand-made text for the edge cases the captures do not have.
    const values = parseMeminfo('MemTotal:  10 kB\r\ngarbage line\nHugePages_Total:       3\nMemFree: x kB\nSwapTotal: 0 kB');
    expect([...values]).toEqual([
      ['MemTotal', 10 * 1024],
      ['HugePages_Total', 3],
      ['SwapTotal', 0],
    ]);
  });
});
