import { describe, expect, it } from 'vitest';
import type { BootIdentity } from '../ports/boot.js';
import { compareIdentity, identityOf, parseIdentity, restartMessage } from './restart.js';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const BOOT: BootIdentity = { id: 'A3C4D2C7-0000-4000-8000-000000000001', bootedAt: T0 - 86_400_000 };
const WS = { pid: 372, startKey: 'Wed Dec 2 11:00:00 2026', startedAt: T0 - 3_600_000, cpuMs: 1000 };
const STORED = identityOf(WS, BOOT, T0 - 3_000_000);

describe('compareIdentity', () => {
  it('is first without a record, same for the same pid and start', () => {
    expect(compareIdentity(null, WS, BOOT, null)).toBe('first');
    expect(compareIdentity(STORED, { ...WS, cpuMs: 99_999 }, BOOT, true)).toBe('same');
  });

  it('is the same WindowServer when a record written with a local-time start names the same instant', () => {
    // Before ps ran with TZ=UTC0, the start was kept as ps printed it in the Mac's time zone
    // (here UTC-5); the same process read now prints its start in UTC.
    const local = { ...STORED, startKey: 'Wed Dec 2 06:00:00 2026' };
    expect(compareIdentity(local, WS, BOOT, null)).toBe('same');
    expect(compareIdentity({ ...local, startedAt: null }, WS, BOOT, null)).toBe('restarted');
  });

  it('is a restart when another WindowServer runs in the same boot, a reboot in another', () => {
    expect(compareIdentity(STORED, { ...WS, pid: 9121 }, BOOT, null)).toBe('restarted');
    expect(compareIdentity(STORED, { ...WS, startKey: 'Wed Dec 2 11:30:00 2026', startedAt: WS.startedAt + 1_800_000 }, BOOT, null)).toBe('restarted');
    expect(compareIdentity(STORED, { ...WS, pid: 9121 }, { id: 'B', bootedAt: T0 - 60_000 }, false)).toBe('rebooted');
  });

  it('falls back on the previous run\'s reboot fact when the record has no boot, and says unknown without either', () => {
    const noBoot = { ...STORED, bootId: null, bootedAt: null };
    expect(compareIdentity(noBoot, { ...WS, pid: 9121 }, BOOT, false)).toBe('restarted');
    expect(compareIdentity(noBoot, { ...WS, pid: 9121 }, BOOT, true)).toBe('rebooted');
    expect(compareIdentity(noBoot, { ...WS, pid: 9121 }, null, null)).toBe('unknown');
  });
});

describe('parseIdentity', () => {
  it('reads back what identityOf wrote, and nothing else', () => {
    expect(parseIdentity(JSON.stringify(STORED))).toEqual(STORED);
    expect(parseIdentity('{"schemaVersion":1,"pid":"372"}')).toBeNull();
    expect(parseIdentity('{}')).toBeNull();
    expect(parseIdentity('not json')).toBeNull();
  });
});

describe('restartMessage', () => {
  it('says the session was lost, when, and which pids', () => {
    expect(restartMessage({ detectedAt: T0, previous: { pid: 372, startedAt: null, seenAt: T0 - 1 }, current: { pid: 9121, startedAt: T0 - 120_000 }, duringRun: false })).toEqual({
      title: 'headroom: the GUI session was lost',
      message:
        'WindowServer restarted 2 min ago since headroom last ran (pid 372 → 9121) without a reboot: the windows and apps of the session were closed. ' +
        'This is what a WindowServer starved of memory ends in; see headroom logs for what led to it.',
    });
  });
});
