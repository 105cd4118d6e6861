import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { lastError, parseLogrus, parseLogrusLine } from './logrus.js';

describe('parseLogrusLine', () => {
  it('reads the terminal form with its padded fields (colima start, captured)', () => {
    const lines = parseLogrus(readFixture('colima', 'colima-start-ha-sock-refused.txt'));
    expect(lines[2]).toEqual({ level: 'info', msg: 'preparing network ...', fields: { context: 'vm' } });
    expect(lines[4]).toEqual({ level: null, msg: 'Using the existing instance "colima"', fields: {} });
    expect(lines[5]?.msg).toMatch(/^errors inspecting instance: \[failed to get Info from ".*ha\.sock": .*connection refused\]$/);
    expect(lines.at(-1)).toEqual({ level: 'fatal', msg: "error starting vm: error at 'starting': exit status 1", fields: {} });
  });

  it('reads the plain form, unquoting msg (colima start after a crash, captured)', () => {
    expect(parseLogrus(readFixture('colima', 'colima-start-disk-in-use.txt'))[0]).toEqual({
      level: 'fatal',
      msg: 'failed to run attach disk "colima", in use by instance "colima"',
      fields: {},
    });
    expect(parseLogrusLine(readFixture('colima', 'colima-status-not-running-nontty.txt'))).toEqual({ level: 'fatal', msg: 'colima is not running', fields: {} });
  });

  it("reads limactl's warning with its errors field (limactl ls of a Broken instance, captured)", () => {
    expect(parseLogrus(readFixture('colima', 'limactl-list-broken.txt'))[0]).toEqual({
      level: 'warning',
      msg: 'instance "default" has errors',
      fields: { errors: '[host agent is running but driver is not]' },
    });
  });

  it('keeps a message whose text looks like fields (limactl start, captured)', () => {
    expect(parseLogrus(readFixture('colima', 'limactl-start-exiting-status.txt'))[0]?.msg).toBe(
      'exiting, status={Running:false Degraded:false Exiting:true Errors:[] SSHLocalPort:0} (hint: see "~/.lima/testvm/ha.stderr.log")',
    );
  });

  it('takes other lines as they are, and skips blank ones', () => {
    expect(parseLogrusLine('   ')).toBeNull();
    expect(parseLogrusLine('plain text')).toEqual({ level: null, msg: 'plain text', fields: {} });
  });
});

describe('lastError', () => {
  it('is the last fatal line, else the last line', () => {
    expect(lastError(readFixture('colima', 'colima-start-vz-driver-running.txt'))).toBe("error starting vm: error at 'starting': exit status 1");
    expect(lastError('INFO[0000] hello\n')).toBe('hello');
    expect(lastError('')).toBeNull();
  });
});
