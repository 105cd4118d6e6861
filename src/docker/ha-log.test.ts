import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { haLogErrors, parseHaLog } from './ha-log.js';

describe('parseHaLog', () => {
  it('reads the captured lines: a stale disk lock and a stale user-v2 helper', () => {
    expect(parseHaLog(readFixture('colima', 'lima-ha-stderr-disk-in-use.json'))).toEqual([{ level: 'fatal', msg: 'failed to run attach disk "testdisk", in use by instance "testvm"', time: null }]);
    const [entry] = parseHaLog(readFixture('colima', 'lima-ha-stderr-usernet-fd-connect.json'));
    expect(entry).toMatchObject({ level: 'fatal', time: '2024-01-09T10:45:32+02:00' });
    expect(entry?.msg).toContain('<fd_connect "/Users/USER/.colima/_lima/_networks/user-v2/user-v2_qemu.sock">');
  });

  it('skips a line cut by the tail read and lines that are not entries; keeps only errors on request', () => {
    const text = `ct":"cut"}\n{"level":"info","msg":"SSH Local Port: 60022"}\n[]\n${readFixture('colima', 'lima-ha-stderr-disk-in-use.json')}`;
    const entries = parseHaLog(text);
    expect(entries.map((e) => e.level)).toEqual(['info', 'fatal']);
    expect(haLogErrors(entries).map((e) => e.level)).toEqual(['fatal']);
  });
});
