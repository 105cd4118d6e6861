/**
 * The process table on Linux, from /proc (no child process). The files are read synchronously,
 * a few per process, but never the whole table in one go: the readers yield to the event loop
 * every {@link YIELD_EVERY} processes (after each smaps_rollup, which walks the process's
 * mappings), so a memory sample due meanwhile waits for a few of them, not for all (npm run
 * bench:processes measures the longest hold).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { MemoryUse, ProcessDetails, ProcessInfo, ProcessInspector, ProcessTable } from '../../ports/processes.js';

/** Clock ticks per second in /proc/PID/stat: USER_HZ, 100 on every Linux ABI headroom runs on (`getconf CLK_TCK`). */
const USER_HZ = 100;

/** Processes whose stat/status/cmdline are read between two yields to the event loop. */
export const YIELD_EVERY = 16;
/** Processes whose smaps_rollup is read between two yields: one, since one of a large process took 0.5–2 ms here. */
export const PSS_YIELD_EVERY = 1;

/** Lets the event loop run (timers, I/O) before the next stretch of reads. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls `read` for each item, yielding to the event loop every `every` items. */
async function inStretches<T>(items: readonly T[], every: number, read: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % every === 0) await yieldToLoop();
    read(items[i]!);
  }
}

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

  async list(): Promise<ProcessInfo[]> {
    const processes: ProcessInfo[] = [];
    const entries = readdirSync(this.procRoot).filter((entry) => /^\d+$/.test(entry));
    await inStretches(entries, YIELD_EVERY, (entry) => {
      try {
        const ppid = parseStatPpid(readFileSync(`${this.procRoot}/${entry}/stat`, 'utf8'));
        const command = readFileSync(`${this.procRoot}/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        if (ppid !== null) processes.push({ pid: Number(entry), ppid, command });
      } catch {
        // The process ended while we read it.
      }
    });
    return processes;
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

  async list(): Promise<ProcessDetails[]> {
    const processes: ProcessDetails[] = [];
    await inStretches(this.pids(), YIELD_EVERY, (pid) => {
      const details = this.read(pid);
      if (details) processes.push(details);
    });
    return processes;
  }

  get(pid: number): Promise<ProcessDetails | null> {
    return Promise.resolve(this.read(pid));
  }

  async heaviest(limit: number): Promise<MemoryUse[]> {
    const byRss: Array<{ pid: number; rssBytes: number }> = [];
    await inStretches(this.pids(), YIELD_EVERY, (pid) => {
      const rssBytes = parseStatusRssBytes(this.text(pid, 'status') ?? '');
      if (rssBytes !== null) byRss.push({ pid, rssBytes });
    });
    byRss.sort((a, b) => b.rssBytes - a.rssBytes);
    const uses: MemoryUse[] = [];
    await inStretches(byRss.slice(0, limit * 2 + PSS_CANDIDATES_EXTRA), PSS_YIELD_EVERY, ({ pid, rssBytes }) => void uses.push(this.useOf(pid, rssBytes)));
    return uses.sort((a, b) => b.bytes - a.bytes).slice(0, limit);
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
