import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a child's output into lines for the long-lived streams (`vm_stat N`, the sysctl pump).
 * node:readline did the same with far more machinery per line (an Interface, its events, its
 * terminal checks), and the darwin sensor reads a handful of lines every sample.
 */

/** A line longer than this is handed over as it is, so that output without newlines cannot grow without end. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Turns chunks of UTF-8 output into lines for `onLine`: the text before each "\n" (a "\r" just
 * before it is dropped), and at `end` whatever followed the last "\n".
 */
export class LineSplitter {
  private rest = '';
  // Its own decoder, not setEncoding: other listeners on the same stream keep getting Buffers.
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  /** Hands over every line the chunk completes. */
  push(data: Buffer | string): void {
    const chunk = typeof data === 'string' ? data : this.decoder.write(data);
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.onLine(text.slice(start, end));
      start = newline + 1;
    }
    this.rest = text.slice(start);
    if (this.rest.length > MAX_LINE_CHARS) {
      this.onLine(this.rest);
      this.rest = '';
    }
  }

  /** Hands over the unfinished last line, if any. */
  end(): void {
    const rest = this.rest + this.decoder.end();
    this.rest = '';
    if (rest !== '') this.onLine(rest);
  }
}

/** Calls `onLine` for each line of `stream` (see LineSplitter). */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine);
  stream.on('data', (data: Buffer | string) => splitter.push(data));
  stream.on('end', () => splitter.end());
}
