import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { LatestRowParser, parseStreamCell, parseVmStat, parseVmStatStream, VmStatParseError, VmStatStreamParser } from './vm-stat.js';

describe('parseVmStat on every captured one-shot vm_stat', () => {
  it('M4 16 GiB, macOS 26.5.1 (53-char lines)', () => {
    expect(parseVmStat(readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'))).toEqual({
      pageSizeBytes: 16384,
      free: 24141,
      active: 383318,
      inactive: 388196,
      speculative: 1272,
      wired: 106741,
      purgeable: 4133,
      fileBacked: 409145,
      anonymous: 363641,
      storedInCompressor: 478454,
      occupiedByCompressor: 110063,
    });
  });

  it('the same M4 after reading a 20 GB file: free collapses, file-backed grows', () => {
    const pages = parseVmStat(readFixture('darwin', 'vm_stat-m4-16g-after-20gb-file-read.txt'));
    expect(pages.free).toBe(3812);
    expect(pages.fileBacked).toBe(470266);
    expect(pages.anonymous).toBe(300270);
    expect(pages.occupiedByCompressor).toBe(132936);
  });

  it('M5 Pro 48 GiB, macOS 26.6.2: the new "Pages tagged*" and "tag-storage" lines are ignored', () => {
    expect(parseVmStat(readFixture('darwin', 'vm_stat-m5pro-48g-macos26.6.2-tagged.txt'))).toEqual({
      pageSizeBytes: 16384,
      free: 1133377,
      active: 683548,
      inactive: 770303,
      speculative: 210943,
      wired: 160600,
      purgeable: 23665,
      fileBacked: 896753,
      anonymous: 768041,
      storedInCompressor: 268292,
      occupiedByCompressor: 120819,
    });
  });

  it('Mac mini 32 GiB with the older 48-char line width', () => {
    const pages = parseVmStat(readFixture('darwin', 'vm_stat-macmini-32g-normal.txt'));
    expect(pages).toMatchObject({ pageSizeBytes: 16384, free: 652276, wired: 134298, anonymous: 640314, purgeable: 23079, occupiedByCompressor: 96636 });
  });

  it('takes the page size from the banner, so 4096-byte Intel pages are read as 4096', () => {
    const text = readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt').replace('16384 bytes', '4096 bytes');
    expect(parseVmStat(text).pageSizeBytes).toBe(4096);
  });

  it('names the missing label when a gauge is absent', () => {
    const text = readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt').replace(/^Anonymous pages:.*\n/m, '');
    expect(() => parseVmStat(text)).toThrow(/missing anonymous/);
  });

  it('rejects output without the banner', () => {
    expect(() => parseVmStat('Pages free: 12.\n')).toThrow(VmStatParseError);
    expect(() => parseVmStat('')).toThrow(/banner/);
  });

  it('rejects a value that is not a page count and names the label', () => {
    const text = readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt').replace('24141.', 'lots.');
    expect(() => parseVmStat(text)).toThrow(/"Pages free" has a value that is not a page count/);
  });
});

describe('streaming vm_stat', () => {
  it('parses the Intel capture: 4096-byte banner, column header, a K-suffixed cell and the trailing space', () => {
    const rows = parseVmStatStream(readFixture('darwin', 'vm_stat-c1-intel-4096-streaming.txt'));
    expect(rows).toEqual([
      {
        pageSizeBytes: 4096,
        free: 262768,
        active: 613583,
        speculative: 12959,
        inactive: 332735,
        wired: 183792,
        purgeable: 1364,
        fileBacked: 412326,
        anonymous: 546951,
        storedInCompressor: 189105,
        occupiedByCompressor: 101051,
      },
    ]);
  });

  it('reads K, M and G suffixes as thousands, millions and billions (vm_stat.c pstat)', () => {
    expect(parseStreamCell('146832K')).toBe(146_832_000);
    expect(parseStreamCell('1234M')).toBe(1_234_000_000);
    expect(parseStreamCell('2G')).toBe(2_000_000_000);
    expect(parseStreamCell('8432703')).toBe(8_432_703);
    expect(parseStreamCell('12x')).toBeNull();
  });

  it('follows a repeated banner and a reordered header', () => {
    const capture = readFixture('darwin', 'vm_stat-c1-intel-4096-streaming.txt').split('\n');
    const [banner, header, row] = [capture[0]!, capture[1]!, capture[2]!];
    // The banner repeats every 20 rows; a later release may move columns. Both are handled by
    // re-reading the header: here the capture's header and row are reversed column for column.
    const reversedHeader = header.trim().split(/\s+/).reverse().join(' ');
    const reversedRow = row.trim().split(/\s+/).reverse().join(' ');
    const parser = new VmStatStreamParser();
    expect(parser.push(banner)).toBeNull();
    expect(parser.push(header)).toBeNull();
    const first = parser.push(row);
    expect(parser.push(banner.replace('4096', '16384'))).toBeNull();
    expect(parser.push(reversedHeader)).toBeNull();
    const second = parser.push(reversedRow);
    expect(second).toEqual({ ...first, pageSizeBytes: 16384 });
  });

  it('refuses a data row before any banner', () => {
    const parser = new VmStatStreamParser();
    expect(() => parser.push('  262768   613583')).toThrow(/before its banner/);
  });

  it('refuses a row whose cell count does not match the header', () => {
    const capture = readFixture('darwin', 'vm_stat-c1-intel-4096-streaming.txt').split('\n');
    const parser = new VmStatStreamParser();
    parser.push(capture[0]!);
    parser.push(capture[1]!);
    expect(() => parser.push('1 2 3')).toThrow(/3 cells but the header has 22/);
  });
});

describe('LatestRowParser', () => {
  const capture = readFixture('darwin', 'vm_stat-c1-intel-4096-streaming.txt').split('\n');
  const [banner, header, row] = [capture[0]!, capture[1]!, capture[2]!];
  // Edits of the captured row: its first cell (free) changed.
  const rowWithFree = (free: number) => row.replace(/^ *262768/, String(free).padStart(8));

  it('holds the rows of a batch and parses only the newest, once, when asked', () => {
    const rows = new LatestRowParser();
    expect(rows.push(banner)).toBeNull();
    expect(rows.push(header)).toBeNull();
    expect(rows.push(rowWithFree(1000))).toBeNull();
    expect(rows.push('1 2 3')).toBeNull(); // would not parse, but a newer row follows
    expect(rows.push(rowWithFree(2000))).toBeNull();
    expect(rows.take()?.free).toBe(2000);
    expect(rows.take()).toBeNull();
  });

  it('parses a held row under its own banner and header when new ones arrive', () => {
    const rows = new LatestRowParser();
    rows.push(banner);
    rows.push(header);
    rows.push(rowWithFree(1000));
    // The repeated banner with another page size: the held row keeps the 4096 it was printed under.
    expect(rows.push(banner.replace('4096', '16384'))).toMatchObject({ free: 1000, pageSizeBytes: 4096 });
    rows.push(header);
    rows.push(rowWithFree(2000));
    expect(rows.take()).toMatchObject({ free: 2000, pageSizeBytes: 16384 });
  });

  it('throws the newest row\'s parse error from take, and follows the next header all the same', () => {
    const rows = new LatestRowParser();
    rows.push(banner);
    rows.push(header);
    rows.push('1 2 3');
    expect(() => rows.push(banner)).toThrow(/3 cells but the header has 22/);
    rows.push(header);
    rows.push(rowWithFree(3000));
    expect(rows.take()?.free).toBe(3000);
  });
});

describe('a stream derived from an Apple Silicon one-shot capture', () => {
  it('gives the same gauges as the one-shot parse, suffixed counters and all', async () => {
    // Derived, not captured: see test/helpers/vm-stat-stream.ts.
    const { deriveVmStatStream } = await import('../../../test/helpers/vm-stat-stream.js');
    for (const file of ['vm_stat-m4-16g-macos26.5.1.txt', 'vm_stat-m5pro-48g-macos26.6.2-tagged.txt', 'vm_stat-macmini-32g-normal.txt']) {
      const oneShot = readFixture('darwin', file);
      const stream = deriveVmStatStream(oneShot);
      expect(stream).toMatch(/ \d+K /); // "Translation faults" is too wide for 8 columns
      expect(parseVmStatStream(stream)).toEqual([parseVmStat(oneShot)]);
    }
  });
});
