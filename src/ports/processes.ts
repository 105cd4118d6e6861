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
}
