import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { DarwinPidLookup, parseEtime, parsePsOwnerLine } from './pid-lookup.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

// No capture of `ps -o uid=,etime=,comm= -p PID` on macOS was found: the lines below are built in
// the test, in ps's right-aligned columns, with comm as the executable's path (as macOS prints it).
describe('parseEtime', () => {
  it('reads mm:ss, hh:mm:ss and dd-hh:mm:ss', () => {
    expect(parseEtime('05:03')).toBe(303_000);
    expect(parseEtime('01:05:03')).toBe(3_903_000);
    expect(parseEtime('2-01:05:03')).toBe(2 * 86_400_000 + 3_903_000);
    expect(parseEtime('soon')).toBeNull();
  });
});

describe('parsePsOwnerLine', () => {
  it('takes the base name of the executable, the uid and the start', () => {
    expect(parsePsOwnerLine('  501    01:05:03 /opt/homebrew/Cellar/lima/2.0.3/bin/limactl\n', NOW)).toEqual({ state: 'alive', name: 'limactl', uid: 501, startedAt: NOW - 3_903_000 });
    expect(parsePsOwnerLine('  501       00:07 /System/Applications/Utilities/Activity Monitor.app/Contents/MacOS/Activity Monitor\n', NOW)).toMatchObject({ name: 'Activity Monitor' });
  });

  it('is null for anything else', () => {
    expect(parsePsOwnerLine('', NOW)).toBeNull();
    expect(parsePsOwnerLine('UID ELAPSED COMM\n', NOW)).toBeNull();
  });
});

describe('DarwinPidLookup', () => {
  it('asks ps for one pid, and reads an empty exit 1 as no such process', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stdout: '' }));
    expect(await new DarwinPidLookup(runner, 2000, () => NOW).lookup(4242)).toEqual({ state: 'dead' });
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['ps', '-o', 'uid=,etime=,comm=', '-p', '4242']]);
  });

  it('returns the owner, and unknown (never dead) when ps fails or prints garbage', async () => {
    const lookup = (answer: ConstructorParameters<typeof FakeRunner>[0]) => new DarwinPidLookup(new FakeRunner(answer), 2000, () => NOW).lookup(7);
    expect(await lookup(() => ({ stdout: '  0   10-00:00:00 /sbin/launchd\n' }))).toEqual({ state: 'alive', name: 'launchd', uid: 0, startedAt: NOW - 864_000_000 });
    expect(await lookup(() => ({ timedOut: true, exitCode: undefined, signal: 'SIGTERM' }))).toMatchObject({ state: 'unknown' });
    expect(await lookup(() => ({ spawnError: 'not found on PATH' }))).toEqual({ state: 'unknown', error: 'ps -o uid=,etime=,comm= -p 7: not found on PATH' });
    expect(await lookup(() => ({ stdout: '%%%\n' }))).toMatchObject({ state: 'unknown', error: expect.stringContaining('unexpected output') as unknown });
  });
});
