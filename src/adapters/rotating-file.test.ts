import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyTruncateIfOver, logFilesOldestFirst, RotatingFile } from './rotating-file.js';

describe('RotatingFile', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hr-rotate-'));
    file = path.join(dir, 'headroom.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (name: string): string => readFileSync(path.join(dir, name), 'utf8');

  it('rotates before a write would pass the size, keeping the newest files', () => {
    const log = new RotatingFile({ file, maxBytes: 20, keepFiles: 2, rotate: true });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) log.write(`line ${n} ........\n`); // 17 bytes each: one per file
    log.close();
    expect(read('headroom.log')).toBe('line 7 ........\n');
    expect(read('headroom.log.1')).toBe('line 6 ........\n');
    expect(read('headroom.log.2')).toBe('line 5 ........\n');
    expect(existsSync(`${file}.3`)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rotates at the first write of a new local day', () => {
    let now = new Date(2026, 10, 21, 23, 59, 0);
    const log = new RotatingFile({ file, maxBytes: 1e9, keepFiles: 3, rotate: true, now: () => now });
    log.write('late\n');
    now = new Date(2026, 10, 22, 0, 0, 1);
    log.write('early\n');
    log.write('later\n');
    log.close();
    expect(read('headroom.log.1')).toBe('late\n');
    expect(read('headroom.log')).toBe('early\nlater\n');
  });

  it('takes the day of an existing file from its last write', () => {
    writeFileSync(file, 'yesterday\n');
    const yesterday = new Date(2026, 10, 21, 12, 0, 0);
    utimesSync(file, yesterday, yesterday);
    const log = new RotatingFile({ file, maxBytes: 1e9, keepFiles: 3, rotate: true, now: () => new Date(2026, 10, 22, 9, 0, 0) });
    log.write('today\n');
    log.close();
    expect(read('headroom.log.1')).toBe('yesterday\n');
    expect(read('headroom.log')).toBe('today\n');
  });

  it('counts lines another process appended (the size is read from the file)', () => {
    const log = new RotatingFile({ file, maxBytes: 30, keepFiles: 2, rotate: true });
    log.write('daemon line\n');
    writeFileSync(file, 'a one-shot command line\n', { flag: 'a' });
    log.write('daemon again\n');
    log.close();
    expect(read('headroom.log')).toBe('daemon again\n');
    expect(read('headroom.log.1')).toBe('daemon line\na one-shot command line\n');
  });

  it('only appends when it does not rotate (one-shot commands)', () => {
    const log = new RotatingFile({ file, maxBytes: 5, keepFiles: 2, rotate: false });
    log.write('a long line\n');
    log.write('another long line\n');
    log.close();
    expect(read('headroom.log')).toBe('a long line\nanother long line\n');
    expect(existsSync(`${file}.1`)).toBe(false);
  });

  it('lists the files oldest first', () => {
    for (const name of ['headroom.log', 'headroom.log.1', 'headroom.log.2', 'headroom.log.3']) writeFileSync(path.join(dir, name), '');
    expect(logFilesOldestFirst(file).map((f) => path.basename(f))).toEqual(['headroom.log.3', 'headroom.log.2', 'headroom.log.1', 'headroom.log']);
  });
});

describe('copyTruncateIfOver', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hr-copytrunc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies a file over the size to .1, truncates it, and a writer that keeps it open in append mode goes on at its start', () => {
    const file = path.join(dir, 'ollama.err.log');
    const writer = openSync(file, 'a');
    writeSync(writer, 'old line one\nold line two\n');
    expect(copyTruncateIfOver(file, 10, 2)).toBe(true);
    writeSync(writer, 'new line\n');
    closeSync(writer);
    expect(readFileSync(file, 'utf8')).toBe('new line\n');
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('old line one\nold line two\n');
  });

  it('keeps keepFiles rotated copies, and leaves a small or missing file alone', () => {
    const file = path.join(dir, 'ollama.out.log');
    expect(copyTruncateIfOver(file, 10, 2)).toBe(false);
    for (const n of [1, 2, 3]) {
      writeFileSync(file, `run ${n} output.......\n`);
      expect(copyTruncateIfOver(file, 10, 2)).toBe(true);
    }
    writeFileSync(file, 'small\n');
    expect(copyTruncateIfOver(file, 10, 2)).toBe(false);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('run 3 output.......\n');
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('run 2 output.......\n');
    expect(existsSync(`${file}.3`)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('small\n');
  });
});
