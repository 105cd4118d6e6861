/**
 * The darwin memory sensor. In `stream` mode (the daemon) it keeps two long-lived children: a
 * `vm_stat <interval>` that prints the page gauges every interval, and an `xargs -L 1 sysctl`
 * pump that runs one batched sysctl per sample, so the daemon itself forks nothing per sample.
 * vm_stat's rows are polled at each sample (a `polled` stream), not watched, so that they do not
 * wake the daemon between samples.
 * When either child is down it falls back to a one-shot `vm_stat` or `sysctl` for that sample.
 * In `oneshot` mode (`headroom status` with no daemon) it runs `vm_stat` and `sysctl` once each.
 *
 * With `reuse` set, a sample whose fresh vm_stat row shows memory still keeps the last sysctl
 * answer, if that answer was whole and at normal pressure and is younger than `reuse.maxAgeMs`.
 * The pressure level depends on free memory, wired memory, file cache and the swap rate, which
 * all move the gauges vm_stat prints; a sysctl was about a fifth of a darwin sample's CPU here,
 * and a process on the Mac.
 * docs/memory.md gives the measurements behind these choices.
 */
import type { MemorySensor, MemorySnapshot } from '../../core/memory.js';
import type { Clock } from '../../ports/clock.js';
import { commandFailure, type CommandRunner, type LineStream } from '../../ports/command-runner.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import { MEMORY_SYSCTL_NAMES, darwinSnapshot } from './memory-figures.js';
import { parseSysctlPairs } from './sysctl.js';
import { SysctlPump, type PumpRead } from './sysctl-pump.js';
import { LatestRowParser, parseVmStat, type VmStatPages } from './vm-stat.js';

/** What the darwin sensor needs. */
export interface DarwinMemorySensorOptions {
  runner: CommandRunner;
  clock: Clock;
  mode: 'stream' | 'oneshot';
  /** The daemon's sampling interval; the vm_stat child prints five times as often (see streamIntervalMs). */
  intervalMs: number;
  commandTimeoutMs: number;
  /** When a calm sysctl answer may stand for later samples (stream mode); absent: sysctl every sample. */
  reuse?: SysctlReuse;
  logger?: Logger;
}

/** When a sysctl answer may stand (config `darwin.sysctlMaxAgeMs`, `darwin.stillWithinMiB`). */
export interface SysctlReuse {
  /** The oldest an answer may be; 0: never reused. */
  maxAgeMs: number;
  /** Memory is still while no page gauge of vm_stat moved by this many bytes since the answer. */
  withinBytes: number;
}

/** The last sysctl answer that was whole and at normal pressure, with the vm_stat row it was read beside. */
interface CalmAnswer {
  pairs: Map<string, string>;
  pages: VmStatPages;
  at: number;
}

/** The page gauges whose movement voids a calm sysctl answer: every gauge vm_stat gives. */
const STILL_GAUGES = ['free', 'active', 'inactive', 'speculative', 'wired', 'purgeable', 'fileBacked', 'anonymous', 'storedInCompressor', 'occupiedByCompressor'] as const;

/** True when some page gauge moved by `withinBytes` or more between the two rows (or their page sizes differ). */
export function pagesMoved(before: VmStatPages, now: VmStatPages, withinBytes: number): boolean {
  if (before.pageSizeBytes !== now.pageSizeBytes) return true;
  const withinPages = withinBytes / now.pageSizeBytes;
  return STILL_GAUGES.some((gauge) => Math.abs(before[gauge] - now[gauge]) >= withinPages);
}

interface Row {
  pages: VmStatPages;
  receivedAt: number;
}

/** The vm_stat child prints at least this often, unless that would be more than MAX_ROWS_PER_INTERVAL rows a sample. */
const MAX_STREAM_INTERVAL_MS = 1000;
/** The fastest it prints. */
const MIN_STREAM_INTERVAL_MS = 100;
/**
 * The most rows that wait in the FIFO between two samples: 20 rows of about 220 bytes stay under
 * 8 KiB, the smallest FIFO buffer we allow for. A full FIFO would hold vm_stat back in a write
 * of an old row.
 */
const MAX_ROWS_PER_INTERVAL = 20;
/**
 * Rows per sampling interval. With a calm sysctl answer kept while the rows stay still, a sudden
 * change is seen when a row shows it, so rows come five times a sample: the row a sample reads
 * is at most a fifth of an interval old. They wait in the FIFO and wake nothing.
 */
const ROWS_PER_INTERVAL = 5;
/** Longest wait for the first row of a freshly started vm_stat child (it prints one at once). */
const FIRST_ROW_WAIT_MS = 1000;
/** How often that wait looks for the row (the stream is polled, not watched). */
const FIRST_ROW_POLL_MS = 20;
/** Longest pause between restarts of a vm_stat child that keeps dying. */
const MAX_RESTART_BACKOFF_MS = 60_000;
/** A pump that failed this many times without ever answering is given up for the run. */
const PUMP_GIVE_UP_FAILURES = 3;

/** Memory sensor for macOS built on vm_stat and sysctl. */
export class DarwinMemorySensor implements MemorySensor {
  private stream: LineStream | null = null;
  /** The stream's parser: it holds the newest row of a poll, parsed once the poll is over. */
  private rows: LatestRowParser | null = null;
  /** True while `pollRows` hands over the stream's lines. */
  private polling = false;
  private streamStartedAt = 0;
  private latest: Row | null = null;
  private lastStreamError: string | null = null;
  private restartFailures = 0;
  private nextRestartAt = 0;
  private waiters: Array<() => void> = [];
  private closed = false;
  private pump: SysctlPump | null;
  private pumpEverAnswered = false;
  private calm: CalmAnswer | null = null;
  private readonly log: Logger;

  constructor(private readonly options: DarwinMemorySensorOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'sensor.memory' });
    this.pump =
      options.mode === 'stream' ? new SysctlPump(options.runner, options.clock, MEMORY_SYSCTL_NAMES, options.commandTimeoutMs) : null;
  }

  async sample(signal?: AbortSignal): Promise<MemorySnapshot> {
    // The rows vm_stat printed since the last sample: the last one is this sample's.
    this.pollRows();
    const reused = this.reusableAnswer();
    if (reused) return darwinSnapshot(this.options.clock.now(), reused.pages, reused.pairs, []);
    const [sysctlRead, pagesResult] = await Promise.all([this.readSysctl(signal), this.readPages(signal)]);
    const errors: string[] = [];
    let pairs: Map<string, string> | null = parseSysctlPairs(sysctlRead.stdout);
    // sysctl exits non-zero when one name is unknown yet still prints the others: keep what it printed.
    if (sysctlRead.failure !== null) errors.push(sysctlRead.failure);
    if (pairs.size === 0) {
      if (sysctlRead.failure === null) errors.push(`sysctl: no "name: value" lines in its output: ${JSON.stringify(sysctlRead.stdout.slice(0, 120))}`);
      pairs = null;
    }
    if (pagesResult.error !== null) errors.push(pagesResult.error);
    const snapshot = darwinSnapshot(this.options.clock.now(), pagesResult.pages, pairs, errors);
    this.calm =
      pairs && pagesResult.pages && snapshot.pressure === 'normal' && snapshot.errors === undefined
        ? { pairs, pages: pagesResult.pages, at: snapshot.at }
        : null;
    return snapshot;
  }

  /** The last calm answer with this sample's fresh row, when memory stayed still and the answer is young enough; else null. */
  private reusableAnswer(): { pairs: Map<string, string>; pages: VmStatPages } | null {
    const { reuse, clock } = this.options;
    const calm = this.calm;
    if (!reuse || !calm || this.closed || clock.now() - calm.at >= reuse.maxAgeMs) return null;
    const fresh = this.stream ? this.freshRow() : null;
    if (!fresh || pagesMoved(calm.pages, fresh.pages, reuse.withinBytes)) return null;
    return { pairs: calm.pairs, pages: fresh.pages };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pump?.close();
    const stream = this.stream;
    this.stream = null;
    this.rows = null;
    if (stream) {
      stream.stop();
      await stream.exited;
    }
    this.wakeWaiters();
  }

  /** One batched sysctl: through the pump when it is up, else as a one-shot child. */
  private async readSysctl(signal?: AbortSignal): Promise<PumpRead> {
    const pump = this.pump;
    if (pump && !this.closed && !pump.coolingDown) {
      const read = await pump.read(signal);
      if (read.answered) this.pumpEverAnswered = true;
      else if (!this.pumpEverAnswered && pump.consecutiveFailures >= PUMP_GIVE_UP_FAILURES) {
        this.log.warn({ reason: read.failure }, 'the xargs sysctl pump never answered: using one sysctl child per sample');
        this.pump = null;
        void pump.close();
      } else {
        this.log.warn({ reason: read.failure }, 'sysctl pump failed; one-shot sysctl until it restarts');
      }
      return read;
    }
    const result = await this.options.runner.run('sysctl', [...MEMORY_SYSCTL_NAMES], { timeoutMs: this.options.commandTimeoutMs, signal });
    return { stdout: result.stdout, failure: commandFailure(result), answered: result.spawnError === undefined && !result.timedOut };
  }

  private async readPages(signal?: AbortSignal): Promise<{ pages: VmStatPages | null; error: string | null }> {
    if (this.options.mode === 'stream' && !this.closed) {
      this.ensureStream();
      const fresh = this.freshRow();
      if (fresh) return { pages: fresh.pages, error: null };
      if (this.stream && this.options.clock.now() - this.streamStartedAt < FIRST_ROW_WAIT_MS) {
        await this.waitForRow(FIRST_ROW_WAIT_MS, signal);
        const first = this.freshRow();
        if (first) return { pages: first.pages, error: null };
      }
      this.stopStaleStream();
    }
    return this.readPagesOnce(signal);
  }

  private async readPagesOnce(signal?: AbortSignal): Promise<{ pages: VmStatPages | null; error: string | null }> {
    const result = await this.options.runner.run('vm_stat', [], { timeoutMs: this.options.commandTimeoutMs, signal });
    const failure = commandFailure(result);
    if (failure !== null) return { pages: null, error: failure };
    try {
      return { pages: parseVmStat(result.stdout), error: null };
    } catch (error) {
      return { pages: null, error: (error as Error).message };
    }
  }

  /**
   * The vm_stat child's interval: a fifth of the sampling interval, at least 100 ms, and at most
   * 1 s, so that page figures are never much older than the sysctl figures of the same sample;
   * but never more than 20 rows a sample, so that they fit in the FIFO (3 s at the longest
   * interval, 60 s).
   */
  private get streamIntervalMs(): number {
    const { intervalMs } = this.options;
    const slowest = Math.max(MAX_STREAM_INTERVAL_MS, intervalMs / MAX_ROWS_PER_INTERVAL);
    return Math.min(slowest, Math.max(MIN_STREAM_INTERVAL_MS, intervalMs / ROWS_PER_INTERVAL));
  }

  /** A row is fresh while it is younger than two stream intervals plus scheduling slack. */
  private freshRow(): Row | null {
    const maxAgeMs = this.streamIntervalMs * 2 + 500;
    if (this.latest && this.options.clock.now() - this.latest.receivedAt <= maxAgeMs) return this.latest;
    return null;
  }

  private ensureStream(): void {
    if (this.stream || this.options.clock.now() < this.nextRestartAt) return;
    const seconds = (this.streamIntervalMs / 1000).toFixed(3).replace(/\.?0+$/, '');
    const rows = new LatestRowParser();
    this.streamStartedAt = this.options.clock.now();
    const stream = this.options.runner.streamLines('vm_stat', [seconds], {
      polled: true,
      // Within a poll only a banner or a header parses here (the row before it); the newest row
      // waits for the poll's end (pollRows). Lines that come outside a poll (a watched pipe, the
      // exit) parse as they come.
      onLine: (line) => this.keepRow(() => rows.push(line) ?? (this.polling ? null : rows.take())),
    });
    this.rows = rows;
    this.stream = stream;
    this.log.debug({ pid: stream.pid, args: ['vm_stat', seconds] }, 'vm_stat stream started');
    void stream.exited.then((result) => {
      if (this.stream !== stream) return;
      this.stream = null;
      this.rows = null;
      this.wakeWaiters();
      if (this.closed) return;
      const backoffMs = Math.min(MAX_RESTART_BACKOFF_MS, 1000 * 2 ** this.restartFailures);
      this.restartFailures += 1;
      this.nextRestartAt = this.options.clock.now() + backoffMs;
      this.log.warn(
        { reason: commandFailure(result) ?? 'exited 0', parseError: this.lastStreamError, restartInMs: backoffMs },
        'vm_stat stream ended; sampling with one-shot vm_stat until it restarts',
      );
    });
  }

  /** A child that prints nothing for five intervals (at least 5 s) is hung: stop it so it restarts. */
  private stopStaleStream(): void {
    if (!this.stream) return;
    const lastSignOfLife = Math.max(this.latest?.receivedAt ?? 0, this.streamStartedAt);
    if (this.options.clock.now() - lastSignOfLife > Math.max(5000, this.streamIntervalMs * 5)) {
      this.lastStreamError = 'no row for five intervals';
      this.stream.stop();
    }
  }

  /** Polls the stream every FIRST_ROW_POLL_MS until a row arrives (or the stream ends), `timeoutMs` passes or `signal` aborts. */
  private async waitForRow(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const { clock } = this.options;
    const deadline = clock.now() + timeoutMs;
    const startRow = this.latest;
    while (this.stream && this.latest === startRow && !signal?.aborted && clock.now() < deadline) {
      const rowArrived = new AbortController();
      // A reason of our own: without one, abort() builds a DOMException with a stack.
      this.waiters.push(() => rowArrived.abort('row arrived'));
      await clock.sleep(Math.min(FIRST_ROW_POLL_MS, deadline - clock.now()), signal ? AbortSignal.any([signal, rowArrived.signal]) : rowArrived.signal);
      this.pollRows();
    }
  }

  /** Reads the rows vm_stat printed since the last poll; the newest becomes `latest`. */
  private pollRows(): void {
    if (!this.stream) return;
    this.polling = true;
    try {
      this.stream.poll();
    } finally {
      this.polling = false;
    }
    const rows = this.rows;
    if (rows) this.keepRow(() => rows.take());
  }

  /** Makes a parsed row the latest; a parse error is kept for the log line of the stream's end. */
  private keepRow(parse: () => VmStatPages | null): void {
    try {
      const pages = parse();
      if (!pages) return;
      this.latest = { pages, receivedAt: this.options.clock.now() };
      this.restartFailures = 0;
      this.wakeWaiters();
    } catch (error) {
      this.lastStreamError = (error as Error).message;
    }
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
