/** The process table on Linux, from /proc (no child process). */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessInfo, ProcessTable } from '../../ports/processes.js';

/** Reads the parent pid from /proc/PID/stat: the fourth field, after the command in parentheses. */
export function parseStatPpid(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Reads the real uid from /proc/PID/status. */
export function parseStatusUid(status: string): number | null {
  const match = /^Uid:\s+(\d+)/m.exec(status);
  return match?.[1] ? Number(match[1]) : null;
}

/** ProcessTable on procfs. */
export class LinuxProcessTable implements ProcessTable {
  constructor(private readonly procRoot: string) {}

  list(): Promise<ProcessInfo[]> {
    const processes: ProcessInfo[] = [];
    for (const entry of readdirSync(this.procRoot)) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = parseStatPpid(readFileSync(`${this.procRoot}/${entry}/stat`, 'utf8'));
        const command = readFileSync(`${this.procRoot}/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        if (ppid !== null) processes.push({ pid: Number(entry), ppid, command });
      } catch {
        // The process ended while we read it.
      }
    }
    return Promise.resolve(processes);
  }

  ownerUid(pid: number): Promise<number | null> {
    try {
      return Promise.resolve(parseStatusUid(readFileSync(`${this.procRoot}/${pid}/status`, 'utf8')));
    } catch {
      return Promise.resolve(null);
    }
  }
}
