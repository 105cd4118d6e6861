import { writeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { baseChildEnv } from './child-process-runner.js';
import { LineSplitter } from './line-splitter.js';
import { closeQuietly, drainFifo, openFifo, type FifoEnds } from './polled-fifo.js';

let ends: FifoEnds | null = null;
afterEach(() => {
  if (ends) {
    closeQuietly(ends.readFd);
    closeQuietly(ends.writeFd);
  }
  ends = null;
});

function open(): FifoEnds {
  const opened = openFifo(baseChildEnv(process.env));
  if ('error' in opened) throw new Error(opened.error);
  ends = opened;
  return opened;
}

describe('a polled FIFO', () => {
  it('hands over all that waits, over several reads, and nothing when nothing came', () => {
    const { readFd, writeFd } = open();
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    const buffer = Buffer.alloc(16 * 1024);
    expect(drainFifo(readFd, buffer, splitter)).toBe(true);
    expect(lines).toEqual([]);
    // 2,000 rows of 20 bytes: 40,000 bytes, more than one read of 16 KiB.
    const rows = Array.from({ length: 2000 }, (_, i) => `row ${String(i).padStart(15, '0')}`);
    writeSync(writeFd, rows.map((row) => `${row}\n`).join(''));
    expect(drainFifo(readFd, buffer, splitter)).toBe(true);
    expect(lines).toEqual(rows);
  });

  it('says when the writer is gone', () => {
    const { readFd, writeFd } = open();
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    writeSync(writeFd, 'last\n');
    closeQuietly(writeFd);
    const buffer = Buffer.alloc(1024);
    expect(drainFifo(readFd, buffer, splitter)).toBe(true);
    expect(drainFifo(readFd, buffer, splitter)).toBe(false);
    expect(lines).toEqual(['last']);
  });

  it('says why it cannot make one', () => {
    expect(openFifo({ PATH: '/nonexistent' })).toEqual({ error: expect.stringMatching(/^mkfifo: .*ENOENT/) as string });
  });
});
