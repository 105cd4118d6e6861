import { describe, expect, it } from 'vitest';
import type { BootIdentity } from '../ports/boot.js';
import { compareIdentity, crashReportsSince, identityOf, judgeRestart, parseIdentity, restartMessage } from './restart.js';

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

describe('judgeRestart', () => {
  it('finds a lost session in an unclean stop of the run before, or in crash reports; nothing else', () => {
    expect(judgeRestart({ uncleanStop: false, crashReports: [] })).toEqual({ lostSession: false, evidence: [] });
    expect(judgeRestart({ uncleanStop: null, crashReports: [] })).toEqual({ lostSession: false, evidence: [] });
    expect(judgeRestart({ uncleanStop: true, crashReports: [] })).toEqual({ lostSession: true, evidence: ['the previous headroom run ended without SIGTERM (a logout sends one)'] });
    expect(judgeRestart({ uncleanStop: false, crashReports: [{ file: '/r/WindowServer-1.ips', at: T0 }] })).toEqual({ lostSession: true, evidence: ['crash report /r/WindowServer-1.ips (2026-12-02T12:00:00.000Z)'] });
  });

  it('looks for crash reports from the old WindowServer\'s start, or from when headroom first saw it', () => {
    expect(crashReportsSince({ pid: 1, startedAt: T0 - 5, seenAt: T0 })).toBe(T0 - 5);
    expect(crashReportsSince({ pid: 1, startedAt: null, seenAt: T0 })).toBe(T0);
  });
});

describe('restartMessage', () => {
  const restart = { detectedAt: T0, previous: { pid: 372, startedAt: null, seenAt: T0 - 1 }, current: { pid: 9121, startedAt: T0 - 120_000 }, duringRun: false };

  it('says the session was lost, when, which pids, and why it says so', () => {
    expect(restartMessage({ ...restart, lostSession: true, evidence: ['the previous headroom run ended without SIGTERM (a logout sends one)'] })).toEqual({
      title: 'headroom: the GUI session was lost',
      message:
        'WindowServer restarted 2 min ago since headroom last ran (pid 372 → 9121) without a reboot: the windows and apps of the session were closed ' +
        '(the previous headroom run ended without SIGTERM (a logout sends one)). This is what a WindowServer starved of memory ends in; see headroom logs for what led to it.',
    });
  });

  it('without evidence, says WindowServer restarted and that a logout does this too', () => {
    expect(restartMessage({ ...restart, lostSession: false, evidence: [] })).toEqual({
      title: 'headroom: WindowServer restarted',
      message: 'WindowServer restarted 2 min ago since headroom last ran (pid 372 → 9121) without a reboot. A logout does this too; headroom stopped cleanly and no WindowServer crash report was found, so nothing says the session was lost.',
    });
    expect(restartMessage({ ...restart, duringRun: true, lostSession: false, evidence: [] }).message).toBe(
      'WindowServer restarted 2 min ago while headroom ran (pid 372 → 9121) without a reboot. A logout does this too; no WindowServer crash report was found, so nothing says the session was lost.',
    );
  });
});
