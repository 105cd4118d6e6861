/** Who a pid names right now: how headroom proves a PID file stale before it touches anything. */

/** What a pid names: no process, a process (its executable's name, owner and start), or unknown. */
export type PidOwner =
  | { state: 'dead' }
  | {
      state: 'alive';
      /** The executable's base name (`ps -o comm=` on macOS, /proc/PID/stat on Linux; Linux cuts it at 15 characters). */
      name: string;
      uid: number | null;
      /** When the process started (ms since the epoch), to the second; null when unreadable. */
      startedAt: number | null;
    }
  | { state: 'unknown'; error: string };

/** Looks a pid up in the process table; never throws. */
export interface PidLookup {
  lookup(pid: number, signal?: AbortSignal): Promise<PidOwner>;
}
