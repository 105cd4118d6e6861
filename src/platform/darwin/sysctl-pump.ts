/**
 * A long-lived `xargs -L 1 sysctl` that runs one batched sysctl per line we write to it. The
 * daemon then forks nothing per sample: xargs, a process of about a megabyte, does the fork.
 * Forking the ~60 MiB daemon measured 2.3 ms of CPU per sample on Linux (docs/memory.md), and
 * forking from a large process is what stalls first when memory is starving.
 *
 * Framing: each line asks for the names and then the first name again; the second line for the
 * first name ends the frame. sysctl prints names in the order asked, so the frame is complete.
 * A sysctl that fails prints to stderr at once (its stdout is flushed at exit): when stderr
 * speaks and the frame stays open for STDERR_GRACE_MS, the frame ends with that complaint, and
 * the pump is restarted so that stdout the old sysctl prints late cannot end the next frame.
 */
import { commandFailure, describeCommand, type CommandRunner, type LineStream } from '../../ports/command-runner.js';
import type { Clock } from '../../ports/clock.js';

/** What one read returns: sysctl's stdout lines, and what went wrong, if anything. */
export interface PumpRead {
  stdout: string;
  /** A timeout, a dead pump, or the first stderr line of an otherwise complete answer. */
  failure: string | null;
  /** True when sysctl's answer arrived (possibly with complaints on stderr). */
  answered: boolean;
}

interface Pending {
  lines: string[];
  errors: string[];
  seenFirst: boolean;
  resolve: (read: PumpRead) => void;
  timer: NodeJS.Timeout;
  graceTimer: NodeJS.Timeout | null;
  /** Detaches the abort listener from the caller's signal. */
  detach: () => void;
}

/** How long a frame stays open after sysctl complained on stderr. */
export const STDERR_GRACE_MS = 100;

/** Longest pause between restarts of a pump that keeps failing. */
const MAX_RESTART_BACKOFF_MS = 60_000;

/** The xargs-driven sysctl, with restart backoff; `read()` never throws. */
export class SysctlPump {
  private child: LineStream | null = null;
  private pending: Pending | null = null;
  private failures = 0;
  private nextStartAt = 0;

  constructor(
    private readonly runner: CommandRunner,
    private readonly clock: Clock,
    private readonly names: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  /** Consecutive failed reads; the sensor stops using a pump that keeps failing. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** True while the pump is backing off after a failure. */
  get coolingDown(): boolean {
    return this.child === null && this.clock.now() < this.nextStartAt;
  }

  /** Asks for the names once. One read at a time: the sensor samples serially. */
  read(signal?: AbortSignal): Promise<PumpRead> {
    if (signal?.aborted) return Promise.resolve({ stdout: '', failure: `${this.command()}: canceled`, answered: false });
    if (this.pending) return Promise.resolve({ stdout: '', failure: `${this.command()}: a read is already in progress`, answered: false });
    const child = this.ensureChild();
    if (!child) return Promise.resolve({ stdout: '', failure: `${this.command()}: restarting after a failure`, answered: false });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.fail(`${this.command()}: timed out after ${this.timeoutMs} ms`), this.timeoutMs);
      const onAbort = (): void => this.fail(`${this.command()}: canceled`);
      signal?.addEventListener('abort', onAbort, { once: true });
      const detach = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending = { lines: [], errors: [], seenFirst: false, resolve, timer, graceTimer: null, detach };
      child.write(`${[...this.names, this.names[0]].join(' ')}\n`);
    });
  }

  /** Stops the pump. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.settle({ stdout: '', failure: `${this.command()}: closed`, answered: false });
    if (child) {
      child.stop();
      await child.exited;
    }
  }

  private command(): string {
    return `${describeCommand('sysctl', this.names)} (via xargs)`;
  }

  private ensureChild(): LineStream | null {
    if (this.child) return this.child;
    if (this.clock.now() < this.nextStartAt) return null;
    const first = `${this.names[0]}: `;
    const child = this.runner.streamLines('xargs', ['-L', '1', 'sysctl'], {
      onLine: (line) => {
        const pending = this.pending;
        if (!pending || this.child !== child) return;
        if (line.startsWith(first)) {
          if (pending.seenFirst) {
            this.failures = 0;
            const complaint = pending.errors[0];
            this.settle({ stdout: pending.lines.join('\n'), failure: complaint ? `${this.command()}: ${complaint}` : null, answered: true });
            return;
          }
          pending.seenFirst = true;
        }
        pending.lines.push(line);
      },
      onErrorLine: (line) => {
        const pending = this.pending;
        if (!pending || this.child !== child) return;
        pending.errors.push(line);
        // sysctl ran but may print nothing on stdout: end the frame soon with its complaint.
        pending.graceTimer ??= setTimeout(() => {
          if (this.pending !== pending) return;
          this.failures = 0;
          // sysctl answered, but its frame never closed: start a fresh pump for the next read.
          this.child = null;
          child.stop();
          this.settle({ stdout: pending.lines.join('\n'), failure: `${this.command()}: ${pending.errors[0]}`, answered: true });
        }, STDERR_GRACE_MS);
      },
    });
    this.child = child;
    void child.exited.then((result) => {
      if (this.child !== child) return;
      this.child = null;
      this.fail(`${this.command()}: ${commandFailure(result) ?? 'xargs exited 0'}`);
    });
    return child;
  }

  /** Ends the pending read with a failure, and stops the child so the next read starts afresh. */
  private fail(reason: string): void {
    if (!this.pending) return;
    this.failures += 1;
    this.nextStartAt = this.clock.now() + Math.min(MAX_RESTART_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
    const child = this.child;
    this.child = null;
    child?.stop();
    this.settle({ stdout: '', failure: reason, answered: false });
  }

  private settle(read: PumpRead): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (pending.graceTimer) clearTimeout(pending.graceTimer);
    pending.detach();
    pending.resolve(read);
  }
}
