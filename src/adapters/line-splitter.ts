import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a child's output into lines for the long-lived streams (`vm_stat N`, the sysctl pump).
 * node:readline did the same with far more machinery per line (an Interface, its events, its
 * terminal checks), and the darwin sensor reads a handful of lines every sample.
 */

/** A line longer than this is handed over as it is, so that output without newlines cannot grow without end. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Calls `onLine` for each line of `stream`, decoded as UTF-8: the text before each "\n" (a "\r"
 * just before it is dropped), and at the end whatever followed the last "\n".
 */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  // Its own decoder, not setEncoding: other listeners on the same stream keep getting Buffers.
  const decoder = new StringDecoder('utf8');
  stream.on('data', (data: Buffer | string) => {
    const chunk = typeof data === 'string' ? data : decoder.write(data);
    const text = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      onLine(text.slice(start, end));
      start = newline + 1;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE_CHARS) {
      onLine(rest);
      rest = '';
    }
  });
  stream.on('end', () => {
    rest += decoder.end();
    if (rest !== '') onLine(rest);
    rest = '';
  });
}
