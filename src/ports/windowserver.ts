/** What headroom reads about WindowServer on macOS: the process, and the unified log's precursors of a freeze. */

/** WindowServer as `ps` sees it. */
export interface WindowServerProcess {
  pid: number;
  /** Its start as `ps -o lstart` prints it (in UTC); with the pid, its identity. */
  startKey: string;
  /** Its start in ms since the epoch; null when the start could not be read as a date. */
  startedAt: number | null;
  /** CPU time used since its start, user and system. */
  cpuMs: number;
}

/** Finds and reads the WindowServer process. */
export interface WindowServerSensor {
  /** Its pid (`pgrep -x WindowServer`); null when none runs; rejects when that cannot be told. */
  find(signal?: AbortSignal): Promise<number | null>;
  /** The process with this pid; null when it is gone; rejects when that cannot be told. */
  read(pid: number, signal?: AbortSignal): Promise<WindowServerProcess | null>;
}

/** What a unified-log line warns of. */
export type PrecursorKind = 'timed out fence' | 'low swap' | 'no paging space';

/** One unified-log line that precedes a freeze. */
export interface LogPrecursor {
  /** When it was logged (ms since the epoch); null when its time could not be read. */
  at: number | null;
  kind: PrecursorKind;
  /** The line, as logged. */
  text: string;
}

/** Reads the unified log's recent precursors (`log show`); rejects when the log cannot be read. */
export interface PrecursorLog {
  read(signal?: AbortSignal): Promise<LogPrecursor[]>;
}

/** A crash report of WindowServer: its file and when it was written (ms since the epoch). */
export interface CrashReport {
  file: string;
  at: number;
}

/** WindowServer's crash reports (macOS DiagnosticReports); what could not be read is said, never thrown. */
export interface CrashReports {
  /** The reports written at or after `since`, oldest first, and why any folder could not be read. */
  windowServerSince(since: number): Promise<{ reports: CrashReport[]; errors: string[] }>;
}
