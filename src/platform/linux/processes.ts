/** The process table on Linux, from /proc (no child process). */
import { readdirSync, readFileSync } from 'node:fs';
import type { MemoryUse, ProcessDetails, ProcessInfo, ProcessInspector, ProcessTable } from '../../ports/processes.js';

/** Clock ticks per second in /proc/PID/stat: USER_HZ, 100 on every Linux ABI headroom runs on (`getconf CLK_TCK`). */
const USER_HZ = 100;

/** Reads the parent pid from /proc/PID/stat: the fourth field, after the command in parentheses. */
export function parseStatPpid(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** What /proc/PID/stat says that the guard uses: the parent, CPU time (utime + stime) and the start (`starttime`, ticks since boot). */
export function parseStatDetails(stat: string): { ppid: number; cpuMs: number; startTicks: string } | null {
  // Fields after the ")" that closes the command name: state is field 3, so field N is at N - 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [ppid, utime, stime, start] = [fields[1], fields[11], fields[12], fields[19]].map(Number);
  if (![ppid, utime, stime, start].every((value) => Number.isInteger(value))) return null;
  return { ppid: ppid!, cpuMs: ((utime! + stime!) * 1000) / USER_HZ, startTicks: String(start) };
}

/** VmRSS from /proc/PID/status, in bytes; null for a kernel thread (no VmRSS line). */
export function parseStatusRssBytes(status: string): number | null {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match?.[1] ? Number(match[1]) * 1024 : null;
}

/** Pss from /proc/PID/smaps_rollup, in bytes: resident memory with each shared page split among its sharers. */
export function parseSmapsRollupPssBytes(text: string): number | null {
  const match = /^Pss:\s+(\d+) kB/m.exec(text);
  return match?.[1] ? Number(match[1]) * 1024 : null;
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

/**
 * ProcessInspector on procfs: stat, status and cmdline for each process; the heaviest by PSS
 * where smaps_rollup can be read (the user's own processes), else by RSS. smaps_rollup is read
 * only for the largest processes by RSS (PSS is never more than RSS), not for all of them.
 */
export class LinuxProcessInspector implements ProcessInspector {
  constructor(private readonly processRoot: string) {}

  list(): Promise<ProcessDetails[]> {
    const processes: ProcessDetails[] = [];
    for (const pid of this.pids()) {
      const details = this.read(pid);
      if (details) processes.push(details);
    }
    return Promise.resolve(processes);
  }

  get(pid: number): Promise<ProcessDetails | null> {
    return Promise.resolve(this.read(pid));
  }

  heaviest(limit: number): Promise<MemoryUse[]> {
    const byRss: Array<{ pid: number; rssBytes: number }> = [];
    for (const pid of this.pids()) {
      const rssBytes = parseStatusRssBytes(this.text(pid, 'status') ?? '');
      if (rssBytes !== null) byRss.push({ pid, rssBytes });
    }
    byRss.sort((a, b) => b.rssBytes - a.rssBytes);
    const uses = byRss.slice(0, limit * 2 + PSS_CANDIDATES_EXTRA).map(({ pid, rssBytes }) => this.useOf(pid, rssBytes));
    return Promise.resolve(uses.sort((a, b) => b.bytes - a.bytes).slice(0, limit));
  }

  memoryOf(pid: number): Promise<MemoryUse | null> {
    const rssBytes = parseStatusRssBytes(this.text(pid, 'status') ?? '');
    return Promise.resolve(rssBytes === null ? null : this.useOf(pid, rssBytes));
  }

  private useOf(pid: number, rssBytes: number): MemoryUse {
    const pss = parseSmapsRollupPssBytes(this.text(pid, 'smaps_rollup') ?? '');
    return pss === null ? { pid, bytes: rssBytes, metric: 'rss' } : { pid, bytes: pss, metric: 'pss' };
  }

  private pids(): number[] {
    return readdirSync(this.processRoot)
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  }

  private text(pid: number, file: string): string | null {
    try {
      return readFileSync(`${this.processRoot}/${pid}/${file}`, 'utf8');
    } catch {
      return null; // gone, or not ours to read
    }
  }

  private read(pid: number): ProcessDetails | null {
    const stat = parseStatDetails(this.text(pid, 'stat') ?? '');
    const status = this.text(pid, 'status');
    const uid = status === null ? null : parseStatusUid(status);
    const cmdline = this.text(pid, 'cmdline');
    if (!stat || uid === null || cmdline === null) return null; // it ended while we read it
    return {
      pid,
      ppid: stat.ppid,
      uid,
      startKey: stat.startTicks,
      command: cmdline.split('\0').filter(Boolean).join(' '),
      rssBytes: parseStatusRssBytes(status ?? ''),
      cpuMs: stat.cpuMs,
    };
  }
}

/** Candidates beyond twice the limit whose PSS is read: a process with much shared memory ranks lower by PSS than by RSS. */
const PSS_CANDIDATES_EXTRA = 5;
