/**
 * The one way headroom runs external commands: an executable resolved from PATH, an argument
 * array (never a shell string), a timeout, and a minimal environment. A run never throws: a
 * missing binary, a timeout or a non-zero exit all come back as a result.
 */

/** What a finished command left behind. */
export interface CommandResult {
  /** The executable as asked for, e.g. "sysctl". */
  file: string;
  args: readonly string[];
  /** Exit status; undefined when the process never started or died from a signal. */
  exitCode: number | undefined;
  /** The signal that ended it (e.g. "SIGTERM" after a timeout), if any. */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** True when the caller's AbortSignal stopped it. */
  canceled: boolean;
  /** Why it could not start ("not found on PATH"), if it could not. */
  spawnError: string | undefined;
  durationMs: number;
}

/** Options for one run. */
export interface RunOptions {
  timeoutMs: number;
  /** Stops the command early (daemon shutdown). */
  signal?: AbortSignal | undefined;
  /** Extra environment for this child only, on top of the runner's minimal base. */
  env?: Readonly<Record<string, string>> | undefined;
}

/** A long-lived child whose stdout is consumed line by line and whose stdin takes writes. */
export interface LineStream {
  readonly pid: number | undefined;
  /** Writes to the child's stdin; ignored once the child is gone. */
  write(text: string): void;
  /** Hands over the lines a `polled` stream's child printed since the last call; nothing for other streams, whose lines come as they arrive. */
  poll(): void;
  /** Ends the child and its process group (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): void;
  /** Settles when the child has exited, with the tail of its stderr. */
  readonly exited: Promise<CommandResult>;
}

/** Callbacks for a line stream. */
export interface LineStreamHandlers {
  onLine: (line: string) => void;
  /** Each stderr line, as it arrives; without it stderr is only kept for `exited`. */
  onErrorLine?: (line: string) => void;
  /**
   * Lines reach `onLine` only when `poll` is called (and when the child exits), so that a child
   * that prints every second does not wake the daemon every second. Where that cannot be set up,
   * lines come as they arrive, as without it.
   */
  polled?: boolean;
}

/** The narrow runner every sensor and action uses; adapters/child-process-runner.ts is the real one. */
export interface CommandRunner {
  run(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult>;
  streamLines(file: string, args: readonly string[], handlers: LineStreamHandlers): LineStream;
  /** Children started so far, for the benchmark's "children per sample". */
  readonly spawnCount: number;
}

/** The command line as a person would type it, for messages. */
export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}

/** Why a command failed, in one line, or null when it exited 0. */
export function commandFailure(result: CommandResult): string | null {
  const command = describeCommand(result.file, result.args);
  if (result.spawnError !== undefined) return `${command}: ${result.spawnError}`;
  if (result.timedOut) return `${command}: timed out after ${result.durationMs} ms`;
  if (result.canceled) return `${command}: canceled`;
  if (result.signal !== undefined) return `${command}: killed by ${result.signal}`;
  if (result.exitCode !== 0) {
    const firstLine = result.stderr.trim().split('\n')[0] ?? '';
    return `${command}: exited ${String(result.exitCode)}${firstLine ? `: ${firstLine}` : ''}`;
  }
  return null;
}
