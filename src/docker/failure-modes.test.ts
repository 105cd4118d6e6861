import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { failureModeOf, failureModesIn } from './failure-modes.js';
import { parseHaLog } from './ha-log.js';
import { parseLogrus } from './logrus.js';

const messages = (file: string): string[] => parseLogrus(readFixture('colima', file)).map((line) => line.msg);

describe('failure modes in the captured outputs', () => {
  it.each([
    ['colima-start-disk-in-use.txt', ['disk-in-use']],
    ['colima-start-ha-sock-refused.txt', ['ha-sock-refused']],
    ['colima-start-vz-driver-running.txt', ['driver-without-agent']],
    ['limactl-start-vz-driver-running.txt', ['driver-without-agent']],
    ['limactl-start-exiting-status.txt', ['start-exited']],
    ['colima-status-runtime-empty.txt', ['runtime-unknown']],
    ['limactl-list-broken.txt', ['agent-without-driver']],
    ['colima-status-not-running.txt', []],
  ])('%s shows %j', (file, modes) => {
    const lines = parseLogrus(readFixture('colima', file));
    expect(failureModesIn([...lines.map((l) => l.msg), ...lines.flatMap((l) => Object.values(l.fields))])).toEqual(modes);
  });

  it('reads the warning field of limactl ls (captured)', () => {
    const [warning] = parseLogrus(readFixture('colima', 'limactl-list-broken.txt'));
    expect(failureModeOf(warning?.fields.errors ?? '')).toBe('agent-without-driver');
  });

  it('reads ha.stderr.log (captured)', () => {
    expect(failureModesIn(parseHaLog(readFixture('colima', 'lima-ha-stderr-disk-in-use.json')).map((e) => e.msg))).toEqual(['disk-in-use']);
    expect(failureModesIn(parseHaLog(readFixture('colima', 'lima-ha-stderr-usernet-fd-connect.json')).map((e) => e.msg))).toEqual(['usernet-refused']);
  });

  it('reads the start guards and "already running" (texts of lima and colima source, built in the test: no capture)', () => {
    expect(failureModeOf('instance "colima" seems running (hint: remove "/Users/u/.colima/_lima/colima/ha.pid" if the instance is not actually running)')).toBe('seems-running');
    expect(failureModeOf('another hostagent may already be running with pid 612')).toBe('seems-running');
    expect(failureModeOf('already running, ignoring')).toBe('already-running');
    expect(failureModeOf('colima is not running')).toBeNull();
    expect(messages('colima-status-running.txt').map(failureModeOf).filter(Boolean)).toEqual([]);
  });
});
