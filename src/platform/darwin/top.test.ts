import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { parseTopFootprints } from './top.js';

const MiB = 1024 ** 2;

describe('parseTopFootprints', () => {
  it('reads the rows after the PID MEM header, padded values and +/- markers included, and no header line', () => {
    // The header block is a capture (top-l1-header-macmini-32g.txt, whose PhysMem line reads
    // "19G used"). No capture of the process rows with -stats pid,mem is stored: these follow
    // the format a public capture describes (MEM left-aligned in five characters, so `12M  `;
    // K and M units; + or - after a value once top has an earlier frame).
    const rows = ['', 'PID    MEM', '61864  5154M', '59923  859M ', '377    12M  ', '0      43M+', '304    9468K', '99     1.5G-', '12     bogus', ''];
    const text = readFixture('darwin', 'top-l1-header-macmini-32g.txt') + rows.join('\n');
    expect(parseTopFootprints(text)).toEqual([
      { pid: 61864, bytes: 5154 * MiB, metric: 'footprint' },
      { pid: 59923, bytes: 859 * MiB, metric: 'footprint' },
      { pid: 377, bytes: 12 * MiB, metric: 'footprint' },
      { pid: 0, bytes: 43 * MiB, metric: 'footprint' },
      { pid: 304, bytes: 9468 * 1024, metric: 'footprint' },
      { pid: 99, bytes: 1.5 * 1024 ** 3, metric: 'footprint' },
    ]);
  });

  it('reads nothing without the column header (the header block alone)', () => {
    expect(parseTopFootprints(readFixture('darwin', 'top-l1-header-macmini-32g.txt'))).toEqual([]);
  });
});
