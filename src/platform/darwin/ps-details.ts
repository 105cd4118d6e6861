/**
 * `ps -o pid=,ppid=,uid=,rss=,time=,lstart=,command=` on macOS: the process table with what the
 * runaway-process guard re-checks before a signal, and WindowServer's start and CPU. Pure.
 *
 * BSD ps prints `time` as minutes:seconds.hundredths (`276:18.30`, the ps aux capture) and
 * `lstart` with strftime's `%c`, which under LC_ALL=C (the runner's locale) is
 * `Fri Jul 10 08:09:12 2020`: five fields, the day padded with a space. It prints it in the
 * local time zone, so ps runs with {@link PS_ENV} (TZ=UTC0): a change of the Mac's time zone
 * (travel, "set time zone automatically") must not make the same process look like another.
 */
import type { ProcessDetails } from '../../ports/processes.js';

/** The ps columns, in the order the parser reads them; `command` last, since it has spaces. */
export const PS_DETAIL_COLUMNS = 'pid=,ppid=,uid=,rss=,time=,lstart=,command=';

/** The environment of every `ps` that prints `lstart`: UTC (POSIX TZ syntax, no zone database needed). */
export const PS_ENV: Readonly<Record<string, string>> = { TZ: 'UTC0' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CPU time in ms from `M:SS.cc` (BSD), `H:MM:SS` or `D-HH:MM:SS` (procps); null for anything else. */
export function parseCpuTimeMs(text: string): number | null {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d{2})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  const fractionMs = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + fractionMs;
}

/** `Fri Jul 10 08:09:12 2020` (UTC, as ps prints it under {@link PS_ENV}) in ms since the epoch; null when it is not one. */
export function parseLstart(text: string): number | null {
  const match = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(text.trim());
  if (!match) return null;
  const month = MONTHS.indexOf(match[1] ?? '');
  if (month < 0) return null;
  return Date.UTC(Number(match[6]), month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]));
}

const ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s(.*)$/;

/** Parses the rows of {@link PS_DETAIL_COLUMNS}; a row of any other shape is skipped. */
export function parsePsDetails(text: string): ProcessDetails[] {
  const processes: ProcessDetails[] = [];
  for (const line of text.split('\n')) {
    const match = ROW.exec(line);
    if (!match) continue;
    const [, pid, ppid, uid, rssKiB, time = '', lstart = '', command = ''] = match;
    processes.push({
      pid: Number(pid),
      ppid: Number(ppid),
      uid: Number(uid),
      // One space between fields: the day of the month is padded, and the key must not depend on it.
      startKey: lstart.replace(/\s+/g, ' '),
      command: command.trim(),
      rssBytes: Number(rssKiB) * 1024,
      cpuMs: parseCpuTimeMs(time),
    });
  }
  return processes;
}
