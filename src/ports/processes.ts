/** The process table, read-only, and the one way headroom signals a process. */

/** One process: its id, its parent, and its command line (arguments joined by spaces). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
}

/** Reads the process table; the platform backends provide it (ps on macOS, /proc on Linux). */
export interface ProcessTable {
  /** Every process; rejects when the table cannot be read. */
  list(signal?: AbortSignal): Promise<ProcessInfo[]>;
  /** The uid that owns `pid`, or null when there is no such process (or it cannot be read). */
  ownerUid(pid: number): Promise<number | null>;
}

/** Sends signals; false when the process is gone or not ours to signal. */
export interface Signaller {
  /** The uid headroom runs as; only processes of this uid are ever signalled. */
  readonly ownUid: number;
  /** headroom's own pid, which is never signalled. */
  readonly ownPid: number;
  send(pid: number, signal: NodeJS.Signals): boolean;
  /** True while a process has this pid (signal 0: nothing is sent, no child is started). */
  alive(pid: number): boolean;
}

/** One process with what the runaway-process guard checks before each signal. */
export interface ProcessDetails {
  pid: number;
  ppid: number;
  uid: number;
  /**
   * The process's start as the platform prints it (`ps -o lstart` in UTC on macOS, the `starttime`
   * field of /proc/PID/stat on Linux): with the pid, what tells a process from a later one
   * that reuses its pid.
   */
  startKey: string;
  /** The command line (arguments joined by spaces). */
  command: string;
  /** Resident memory; on macOS it misses Metal buffers and compressed pages. */
  rssBytes: number | null;
  /** CPU time used since the start, user and system. */
  cpuMs: number | null;
}

/** What a process's memory figure counts: physical footprint (macOS), PSS or RSS (Linux). */
export type MemoryMetric = 'footprint' | 'pss' | 'rss';

/** A process's memory, counted as well as the platform allows. */
export interface MemoryUse {
  pid: number;
  bytes: number;
  metric: MemoryMetric;
}

/** Reads processes in detail; `ps` and `top` on macOS, /proc on Linux. */
export interface ProcessInspector {
  /** Every process; rejects when the table cannot be read. */
  list(signal?: AbortSignal): Promise<ProcessDetails[]>;
  /** One process; null when there is no such process; rejects when that cannot be told. */
  get(pid: number, signal?: AbortSignal): Promise<ProcessDetails | null>;
  /** The `limit` processes using the most memory, most first; rejects when they cannot be read. */
  heaviest(limit: number, signal?: AbortSignal): Promise<MemoryUse[]>;
  /** One process's memory; null when it is gone or cannot be read. */
  memoryOf(pid: number, signal?: AbortSignal): Promise<MemoryUse | null>;
}
