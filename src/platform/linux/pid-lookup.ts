/**
 * A pid's owner on Linux, from procfs (no child): the name and start time from /proc/PID/stat,
 * the uid from /proc/PID/status. The start time is in clock ticks after boot: USER_HZ, which the
 * kernel exports as 100 on every architecture, after /proc/stat's btime.
 */
import type { PidLookup, PidOwner } from '../../ports/pid-lookup.js';
import { parseStatBtime } from './boot.js';
import type { ReadText } from './memory-sensor.js';
import { parseStatusUid } from './processes.js';

/** Clock ticks per second in /proc (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** The name, state and start (ticks after boot) from /proc/PID/stat; null when unreadable. */
export function parseProcStat(text: string): { name: string; state: string; startTicks: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // After ") ": field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const fields = text.slice(close + 2).split(' ');
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isInteger(startTicks)) return null;
  return { name: text.slice(open + 1, close), state: fields[0], startTicks };
}

/** PidLookup on procfs. */
export class LinuxPidLookup implements PidLookup {
  constructor(
    private readonly procRoot: string,
    private readonly readText: ReadText,
  ) {}

  lookup(pid: number): Promise<PidOwner> {
    let statText: string;
    try {
      statText = this.readText(`${this.procRoot}/${pid}/stat`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return Promise.resolve(code === 'ENOENT' || code === 'ESRCH' ? { state: 'dead' } : { state: 'unknown', error: `${this.procRoot}/${pid}/stat: ${(error as Error).message}` });
    }
    const stat = parseProcStat(statText);
    if (stat === null) return Promise.resolve({ state: 'unknown', error: `${this.procRoot}/${pid}/stat: unexpected content` });
    // A zombie holds nothing: it only waits for its parent to read its exit status.
    if (stat.state === 'Z' || stat.state === 'X') return Promise.resolve({ state: 'dead' });
    let uid: number | null = null;
    let btime: number | null = null;
    try {
      uid = parseStatusUid(this.readText(`${this.procRoot}/${pid}/status`));
      btime = parseStatBtime(this.readText(`${this.procRoot}/stat`));
    } catch {
      // The process ended meanwhile, or /proc/stat is unreadable: what was read stands.
    }
    const startedAt = btime === null ? null : btime + Math.round((stat.startTicks * 1000) / TICKS_PER_SECOND);
    return Promise.resolve({ state: 'alive', name: stat.name, uid, startedAt });
  }
}
