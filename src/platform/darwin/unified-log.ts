/**
 * The unified log's precursors of a freeze, from `log show` (../shared/docs/macos-platform.md §3):
 * WindowServer's `timed out fence` (seen 40 minutes before one wedge and panic, and seconds
 * before another), and the kernel's `low swap` lines up to its `no paging space` action
 * (log-kernel-low-swap-no-paging-space.txt). Every predicate is scoped to its process: an
 * unscoped `eventMessage` predicate also matches `log`'s own audit trail.
 */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { LogPrecursor, PrecursorKind, PrecursorLog } from '../../ports/windowserver.js';

/** The predicate `log show` filters with. */
export const PRECURSOR_PREDICATE =
  '(process == "WindowServer" AND eventMessage CONTAINS "timed out fence") OR ' +
  '(process == "kernel" AND (eventMessage CONTAINS "low swap" OR eventMessage CONTAINS "no paging space"))';

/** How far back each read looks; reads come at most once a minute, so windows overlap and nothing is missed. */
export const LOG_WINDOW = '2m';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-]\d{2})?(\d{2})?\s+(.*)$/;

/** The precursor a line names, most severe first; null for any other line. */
function kindOf(text: string): PrecursorKind | null {
  if (text.includes('timed out fence')) return 'timed out fence';
  if (text.includes('no paging space')) return 'no paging space';
  if (text.includes('low swap')) return 'low swap';
  return null;
}

/**
 * The precursors in `log show` output. Only lines that start with a timestamp are entries: the
 * banner (`Filtering the log data using "<predicate>"`, which quotes the very words searched
 * for), the column header and the closing summary are not.
 */
export function parseLogPrecursors(text: string): LogPrecursor[] {
  const precursors: LogPrecursor[] = [];
  for (const line of text.split('\n')) {
    const match = TIMESTAMP.exec(line.trimEnd());
    if (!match) continue;
    const kind = kindOf(match[10] ?? '');
    if (kind === null) continue;
    const [, year, month, day, hour, minute, second, fraction = '', offsetHours, offsetMinutes = '00'] = match;
    const fields = [Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Math.floor(Number(`0${fraction}`) * 1000)] as const;
    let at: number;
    if (offsetHours === undefined) {
      at = new Date(...fields).getTime();
    } else {
      const sign = offsetHours.startsWith('-') ? -1 : 1;
      at = Date.UTC(...fields) - sign * (Math.abs(Number(offsetHours)) * 60 + Number(offsetMinutes)) * 60_000;
    }
    precursors.push({ at: Number.isFinite(at) ? at : null, kind, text: line.trim() });
  }
  return precursors;
}

/** `log show --last 2m --predicate …` through the runner. */
export class LogShowPrecursors implements PrecursorLog {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async read(signal?: AbortSignal): Promise<LogPrecursor[]> {
    const result = await this.runner.run('log', ['show', '--last', LOG_WINDOW, '--predicate', PRECURSOR_PREDICATE], { timeoutMs: this.timeoutMs, signal });
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    return parseLogPrecursors(result.stdout);
  }
}
