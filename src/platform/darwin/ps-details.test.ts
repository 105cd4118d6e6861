import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { parseCpuTimeMs, parseLstart, parsePsDetails } from './ps-details.js';

/** The TIME column (10th) of captured `ps aux` rows. */
function timeColumn(fixture: string): string[] {
  return readFixture('darwin', fixture)
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[9] ?? '');
}

describe('parseCpuTimeMs', () => {
  it('reads the BSD minutes:seconds.hundredths of the captured ps rows', () => {
    expect(timeColumn('ps-aux-windowserver-intel-catalina.txt').map(parseCpuTimeMs)).toEqual([
      (76 * 60 + 53.65) * 1000,
      (276 * 60 + 18.3) * 1000,
      (5 * 60 + 44.4) * 1000,
      (4 * 60 + 28.64) * 1000,
      (54 * 60 + 24.81) * 1000,
    ]);
    expect(timeColumn('ps-aux-ollama-m4.txt').map(parseCpuTimeMs)).toEqual([50_100, 350, 11_080]);
  });

  it('reads hours and days too (procps), and nothing else', () => {
    expect(parseCpuTimeMs('1:02:03')).toBe(3_723_000);
    expect(parseCpuTimeMs('2-01:00:00')).toBe(49 * 3_600_000);
    expect(parseCpuTimeMs('12')).toBeNull();
    expect(parseCpuTimeMs('1:2')).toBeNull();
    expect(parseCpuTimeMs('')).toBeNull();
  });
});

describe('parseLstart', () => {
  it('reads strftime %c in the C locale as UTC (ps runs with TZ=UTC0), whatever time zone headroom runs in', () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
        process.env.TZ = tz;
        expect(parseLstart('Fri Jul 10 08:09:12 2020')).toBe(Date.UTC(2020, 6, 10, 8, 9, 12));
        expect(parseLstart('Thu Jul  9 23:59:59 2020')).toBe(Date.UTC(2020, 6, 9, 23, 59, 59));
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(parseLstart('10Jul20')).toBeNull();
    expect(parseLstart('Fri Foo 10 08:09:12 2020')).toBeNull();
  });
});

describe('parsePsDetails', () => {
  it('reads pid, ppid, uid, RSS, CPU time, start and the command line with its spaces', () => {
    // No capture of this column set exists. The rows are built from captured values: pid, ppid
    // and command lines from ps-axo-pid-ppid-command-apple-silicon-excerpt.txt, uid 88 from the
    // WindowServer crash report, RSS and TIME from ps-aux-windowserver-intel-catalina.txt, the
    // day from its STARTED column (10Jul20); the time of day and the uid 501 are made up.
    const text = [
      '  372     1    88 105120 276:18.30 Fri Jul 10 08:09:12 2020 /System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon',
      '  377     1   501  98044   5:44.40 Thu Jul  9 08:09:30 2020 /System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow console',
      '  304     1     0   9468  54:24.81 Fri Jul 10 08:08:59 2020 /usr/libexec/UserEventAgent (System)',
      'not a row',
      '',
    ].join('\n');
    expect(parsePsDetails(text)).toEqual([
      {
        pid: 372,
        ppid: 1,
        uid: 88,
        startKey: 'Fri Jul 10 08:09:12 2020',
        command: '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon',
        rssBytes: 105120 * 1024,
        cpuMs: 16_578_300,
      },
      {
        pid: 377,
        ppid: 1,
        uid: 501,
        startKey: 'Thu Jul 9 08:09:30 2020',
        command: '/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow console',
        rssBytes: 98044 * 1024,
        cpuMs: 344_400,
      },
      { pid: 304, ppid: 1, uid: 0, startKey: 'Fri Jul 10 08:08:59 2020', command: '/usr/libexec/UserEventAgent (System)', rssBytes: 9468 * 1024, cpuMs: 3_264_810 },
    ]);
  });
});
