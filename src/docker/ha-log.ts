/**
 * Lima's `ha.stderr.log`: the host agent's JSON lines (`{"level","msg","time"}`), truncated at
 * each start, so its errors are those of the last start. Pure.
 */

/** One line of the log. */
export interface HaLogEntry {
  level: string;
  msg: string;
  /** As written (RFC 3339), or null. */
  time: string | null;
}

/** The entries of the text; lines that are not JSON objects with a msg are skipped. */
export function parseHaLog(text: string): HaLogEntry[] {
  const entries: HaLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const data = JSON.parse(line) as Record<string, unknown>;
      if (typeof data.msg !== 'string') continue;
      entries.push({ level: typeof data.level === 'string' ? data.level : 'info', msg: data.msg, time: typeof data.time === 'string' ? data.time : null });
    } catch {
      // A line cut by the tail read, or not JSON.
    }
  }
  return entries;
}

/** The error, fatal and panic entries, newest last. */
export function haLogErrors(entries: readonly HaLogEntry[]): HaLogEntry[] {
  return entries.filter((entry) => entry.level === 'error' || entry.level === 'fatal' || entry.level === 'panic');
}
