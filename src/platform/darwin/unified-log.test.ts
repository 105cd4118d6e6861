import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { LogShowPrecursors, parseLogPrecursors, PRECURSOR_PREDICATE } from './unified-log.js';

const HST = (time: string): number => Date.parse(`2026-07-06T${time}-10:00`);

describe('parseLogPrecursors', () => {
  it('reads the captured kernel lines: low swap, then the no paging space action', () => {
    expect(parseLogPrecursors(readFixture('darwin', 'log-kernel-low-swap-no-paging-space.txt'))).toEqual([
      { at: HST('16:47:11.978'), kind: 'low swap', text: '2026-07-06 16:47:11.978328-1000 kernel: low swap: failed to create swapfile' },
      { at: HST('16:47:11.978'), kind: 'low swap', text: '2026-07-06 16:47:11.978329-1000 kernel: low swap: failed to create swapfile' },
      { at: HST('16:50:28.836'), kind: 'no paging space', text: '2026-07-06 16:50:28.836789-1000 kernel: low swap: triggering no paging space action' },
      { at: HST('16:50:29.725'), kind: 'low swap', text: '2026-07-06 16:50:29.725348-1000 kernel: low swap: failed to create swapfile' },
    ]);
  });

  it("skips log's banner, which quotes the predicate, and its column header; reads a fence line", () => {
    // Built, not captured: the banner and header lines are the ones `log show` prints first (public
    // sources quote them); no capture of a `timed out fence` line is stored, so this one follows the
    // default style of the captured kernel lines, with a time offset of +0800.
    const text = [
      `Filtering the log data using "${PRECURSOR_PREDICATE}"`,
      'Skipping info and debug messages, pass --info and/or --debug to include.',
      'Timestamp                       Thread     Type        Activity             PID    TTL  ',
      '2026-07-06 16:50:30.000001+0800 0x3722     Error       0x0                  372    0    WindowServer: [com.apple.coreanimation:Render] timed out fence 0x1234',
      '--------------------------------------------------------------------------------------------------------------------',
      'Log      - Default:          0, Info:                0, Debug:             0, Error:          1, Fault:          0',
    ].join('\n');
    expect(parseLogPrecursors(text)).toEqual([{ at: Date.parse('2026-07-06T16:50:30.000+08:00'), kind: 'timed out fence', text: expect.stringContaining('timed out fence 0x1234') as string }]);
  });

  it('reads a line without a time offset as local time', () => {
    expect(parseLogPrecursors('2026-07-06 16:47:11.5 kernel: low swap: failed to create swapfile')[0]?.at).toBe(new Date(2026, 6, 6, 16, 47, 11, 500).getTime());
  });
});

describe('LogShowPrecursors', () => {
  it('runs log show over the last two minutes with the scoped predicate', async () => {
    const runner = new FakeRunner(() => ({ stdout: readFixture('darwin', 'log-kernel-low-swap-no-paging-space.txt') }));
    const precursors = await new LogShowPrecursors(runner, 30_000).read();
    expect(runner.calls.map((c) => [c.file, c.args, c.options.timeoutMs])).toEqual([['log', ['show', '--last', '2m', '--predicate', PRECURSOR_PREDICATE], 30_000]]);
    expect(precursors).toHaveLength(4);
    expect(PRECURSOR_PREDICATE).toMatch(/^\(process == "WindowServer" AND eventMessage CONTAINS "timed out fence"\) OR \(process == "kernel" AND /);
  });

  it('rejects, naming the command, when log fails', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 64, stderr: 'log: Could not open local log store' }));
    await expect(new LogShowPrecursors(runner, 30_000).read()).rejects.toThrow(/^log show --last 2m --predicate .*: exited 64: log: Could not open local log store$/);
  });
});
