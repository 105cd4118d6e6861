import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, onLines } from './line-splitter.js';

function split(chunks: Array<string | Buffer>): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  onLines(stream, (line) => lines.push(line));
  return new Promise((resolve) => {
    stream.on('end', () => resolve(lines));
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

describe('onLines', () => {
  it('hands over each line once, however the chunks cut it, and the last line without a newline', async () => {
    expect(await split(['Pages free:     ', '  1234.\nPages act', 'ive: 5.\n\nlast'])).toEqual(['Pages free:       1234.', 'Pages active: 5.', '', 'last']);
  });

  it('drops the "\\r" of "\\r\\n", even when a chunk ends between the two', async () => {
    expect(await split(['a\r\nb\r', '\nc\n'])).toEqual(['a', 'b', 'c']);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('größe: 1\n');
    expect(await split([bytes.subarray(0, 3), bytes.subarray(3)])).toEqual(['größe: 1']);
  });

  it('leaves Buffers to the stream\'s other listeners', async () => {
    const stream = new PassThrough();
    const seen: unknown[] = [];
    onLines(stream, () => undefined);
    stream.on('data', (chunk) => seen.push(chunk));
    stream.end('a\n');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(Buffer.isBuffer(seen[0])).toBe(true);
  });

  it('hands over a line that grows past the limit without a newline, so memory stays bounded', async () => {
    const long = 'x'.repeat(MAX_LINE_CHARS + 1);
    expect(await split([long, 'tail\n'])).toEqual([long, 'tail']);
  });
});
