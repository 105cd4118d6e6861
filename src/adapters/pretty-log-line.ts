/** Turns one of headroom's JSON log lines into a line for people, with pino-pretty. */
import { prettyFactory } from 'pino-pretty';

/** A prettifier: one JSON line in, one or more text lines out (with a trailing newline). */
export function createLinePrettifier(colorize: boolean): (line: string) => string {
  const pretty = prettyFactory({
    colorize,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    singleLine: true,
    messageFormat: '{if component}[{component}] {end}{msg}',
  });
  return (line) => {
    // A line that is not JSON (a crash trace) is shown as it is.
    if (!line.startsWith('{')) return `${line}\n`;
    return pretty(line);
  };
}
