/**
 * The WindowServer watch in the daemon (macOS). Each tick it may start, in the background, one
 * reading of WindowServer (`ps -p PID`; `pgrep` only to find it) on its own interval, and, while
 * memory pressure is not normal, one read of the unified log at most every `logIntervalMs`. A
 * reading never delays a tick. It notices a restart of WindowServer (against the run before at
 * start, or while it runs), tells the guard of an emergency, and gives the status.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { StartFacts } from '../daemon/previous-run.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { CrashReports, LogPrecursor, PrecursorLog, WindowServerProcess, WindowServerSensor } from '../ports/windowserver.js';
import type { IdentityStore } from './identity-file.js';
import { judgeWindowServer, mostSevere, type CpuSample, type WindowServerHealth, type WindowServerRules, type WindowServerVerdict } from './judge.js';
import { compareIdentity, crashReportsSince, identityOf, judgeRestart, restartMessage, restartSummary, sameProcess, type WindowServerRestart } from './restart.js';

/** What `headroom status` shows of WindowServer. */
export interface WindowServerStatus {
  health: WindowServerHealth;
  reason: string;
  pid: number | null;
  startedAt: number | null;
  /** Percent of one core over the last interval. */
  cpuPercent: number | null;
  /** When it was last read. */
  readAt: number | null;
  /** The emergency the guard is told of, or null. */
  emergency: string | null;
  /** The most severe precursor of the last log read that found one. */
  lastPrecursor: LogPrecursor | null;
  logReadAt: number | null;
  /** The last restart without a reboot (a lost GUI session, or a logout), or null. */
  restart: WindowServerRestart | null;
}

/** A status that never changes: Linux, or the watch turned off. */
export function fixedWindowServerStatus(health: 'not applicable' | 'unknown', reason: string): WindowServerStatus {
  return { health, reason, pid: null, startedAt: null, cpuPercent: null, readAt: null, emergency: null, lastPrecursor: null, logReadAt: null, restart: null };
}

/** What the daemon needs of the watch. */
export interface WindowServerFollower {
  /** Starts the readings that are due; `raised`: memory pressure is not normal. */
  tick(memory: MemorySnapshot, raised: boolean): void;
  /** The emergency to hand to the guard this tick, or null. */
  emergency(): string | null;
  status(): WindowServerStatus;
  /** Waits for the readings under way. */
  settle(): Promise<void>;
}

/** A watch that reads nothing: Linux (not applicable), or `windowServer.enabled: false`. */
export function fixedWindowServer(health: 'not applicable' | 'unknown', reason: string): WindowServerFollower {
  const status = fixedWindowServerStatus(health, reason);
  return { tick: () => undefined, emergency: () => null, status: () => status, settle: () => Promise.resolve() };
}

/** What the watch is built from. */
export interface WindowServerWatchDeps {
  sensor: WindowServerSensor;
  /** The unified log; null: not read (`windowServer.readLog: false`). */
  log: PrecursorLog | null;
  identity: IdentityStore;
  /** WindowServer's crash reports, the evidence of a lost session; null: none are looked for. */
  crashReports: CrashReports | null;
  /** What the daemon learns at start about the boot and the run before (read in the background). */
  start: Promise<StartFacts | null>;
  clock: Clock;
  logger: Logger;
  notifier: Notifier | null;
  rules: WindowServerRules & { intervalMs: number; fastIntervalMs: number; logIntervalMs: number };
  /** Cancels the commands under way (daemon shutdown). */
  signal?: AbortSignal;
}

/** The watch. */
export class WindowServerWatch implements WindowServerFollower {
  private process: WindowServerProcess | null = null;
  /** The last WindowServer read, kept while none runs, so that the next one is told apart. */
  private lastSeen: WindowServerProcess | null = null;
  private samples: CpuSample[] = [];
  private error: string | null = null;
  private readAt: number | null = null;
  private reading: Promise<void> | null = null;
  private checkedAtStart = false;
  private logReading: Promise<void> | null = null;
  private logReadAt: number | null = null;
  private newestPrecursorAt: number | null = null;
  private precursor: { found: LogPrecursor; until: number } | null = null;
  private lastPrecursor: LogPrecursor | null = null;
  private restart: WindowServerRestart | null = null;
  private pressureRaised = false;
  private lastHealth: WindowServerHealth | null = null;
  private lastEmergency: string | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(private readonly deps: WindowServerWatchDeps) {
    this.log = deps.logger.child({ component: 'windowserver' });
  }

  /**
   * Starts the readings that are due, in the background. `raised`: memory pressure is not normal
   * (the kernel's level, or the guard's); the emergency rule reads the kernel's level itself.
   */
  tick(memory: MemorySnapshot, raised: boolean): void {
    const now = this.deps.clock.now();
    this.pressureRaised = memory.pressure === 'warn' || memory.pressure === 'critical';
    const { intervalMs, fastIntervalMs, logIntervalMs } = this.deps.rules;
    const everyMs = raised ? Math.min(fastIntervalMs, intervalMs) : intervalMs;
    if (!this.reading && (this.readAt === null || now - this.readAt >= everyMs)) {
      this.reading = this.track(this.read().finally(() => ((this.reading = null), this.report(this.verdict()))));
    }
    if (this.deps.log && raised && !this.logReading && (this.logReadAt === null || now - this.logReadAt >= logIntervalMs)) {
      this.logReading = this.track(this.readLog(this.deps.log).finally(() => ((this.logReading = null), this.report(this.verdict()))));
    }
    this.report(this.verdict());
  }

  /** The emergency to hand to the guard this tick, or null. */
  emergency(): string | null {
    return this.verdict().emergency;
  }

  /** For the state and `headroom status`. */
  status(): WindowServerStatus {
    const verdict = this.verdict();
    return {
      health: verdict.health,
      reason: verdict.reason,
      pid: this.process?.pid ?? null,
      startedAt: this.process?.startedAt ?? null,
      cpuPercent: verdict.cpuPercent,
      readAt: this.readAt,
      emergency: verdict.emergency,
      lastPrecursor: this.lastPrecursor,
      logReadAt: this.logReadAt,
      restart: this.restart,
    };
  }

  /** Waits for the readings under way. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private verdict(): WindowServerVerdict {
    const now = this.deps.clock.now();
    if (this.precursor && now >= this.precursor.until) this.precursor = null;
    return judgeWindowServer(
      { at: now, pid: this.process?.pid ?? null, error: this.error, samples: this.samples, precursor: this.precursor?.found ?? null, pressureRaised: this.pressureRaised },
      this.deps.rules,
    );
  }

  /** Logs a change of health or of emergency, once. */
  private report(verdict: WindowServerVerdict): void {
    if (verdict.health !== this.lastHealth) {
      const fields = { from: this.lastHealth, to: verdict.health, reason: verdict.reason, windowServerPid: this.process?.pid ?? null };
      if (verdict.health === 'strained') this.log.warn(fields, 'WindowServer strained');
      else this.log.info(fields, `WindowServer ${verdict.health}`);
      this.lastHealth = verdict.health;
    }
    if (verdict.emergency !== this.lastEmergency) {
      if (verdict.emergency !== null) this.log.error({ emergency: verdict.emergency }, 'WindowServer emergency: the screen may freeze');
      else this.log.info({ was: this.lastEmergency }, 'WindowServer emergency over');
      this.lastEmergency = verdict.emergency;
    }
  }

  /** One reading: follow the pid; find WindowServer again when it is gone. */
  private async read(): Promise<void> {
    const { sensor, clock, signal } = this.deps;
    try {
      let current = this.process ? await sensor.read(this.process.pid, signal) : null;
      if (current === null) {
        const pid = await sensor.find(signal);
        current = pid === null ? null : await sensor.read(pid, signal);
      }
      const at = clock.now();
      const lastReadAt = this.readAt ?? at;
      this.readAt = at;
      this.error = null;
      if (current === null) {
        if (this.process) this.log.warn({ windowServerPid: this.process.pid }, 'WindowServer is gone');
        this.process = null;
        this.samples = [];
        return;
      }
      const previous = this.lastSeen;
      const changed = previous !== null && !sameProcess(previous, current);
      if (changed) {
        this.samples = [];
        await this.restarted({ detectedAt: at, previous: { pid: previous.pid, startedAt: previous.startedAt, seenAt: lastReadAt }, current: { pid: current.pid, startedAt: current.startedAt }, duringRun: true }, null);
      }
      this.process = current;
      this.lastSeen = current;
      this.samples = [...this.samples, { at, cpuMs: current.cpuMs }].filter((sample, index, all) => index >= all.length - 2 || at - sample.at <= this.keepMs());
      if (!this.checkedAtStart || changed) await this.record(current, at);
    } catch (error) {
      this.error = (error as Error).message;
      this.readAt = clock.now();
      this.log.debug({ err: this.error }, 'could not read WindowServer');
    }
  }

  /** How long CPU readings are kept: the sustain window and two readings more. */
  private keepMs(): number {
    return this.deps.rules.cpuSustainMs + 2 * this.deps.rules.intervalMs;
  }

  /** At the first reading: compares with the WindowServer recorded by an earlier run; records this one. */
  private async record(current: WindowServerProcess, at: number): Promise<void> {
    const facts = await this.deps.start.catch(() => null);
    const boot = facts?.boot ?? null;
    if (!this.checkedAtStart) {
      this.checkedAtStart = true;
      const stored = this.deps.identity.read();
      const change = compareIdentity(stored, current, boot, facts?.rebooted ?? null);
      const fields = { previous: stored, current: { pid: current.pid, startedAt: current.startedAt } };
      if (change === 'restarted' && stored) {
        await this.restarted(
          { detectedAt: at, previous: { pid: stored.pid, startedAt: stored.startedAt, seenAt: stored.seenAt }, current: { pid: current.pid, startedAt: current.startedAt }, duringRun: false },
          facts?.uncleanStop ?? null,
        );
      } else if (change === 'rebooted') this.log.info(fields, 'WindowServer is new since the reboot');
      else if (change === 'unknown') this.log.warn(fields, 'WindowServer changed since the last run, and whether the machine rebooted cannot be told');
    }
    try {
      this.deps.identity.write(identityOf(current, boot, at));
    } catch (error) {
      this.log.error({ err: error }, 'could not record WindowServer');
    }
  }

  /**
   * A restart without a reboot: an incident, logged and notified, worded by the evidence: the
   * run before ended uncleanly (`uncleanStop`, known at start only), or WindowServer crash
   * reports since the old one started. Without either it is logged at warn, and notified
   * without alarm: a logout does the same.
   */
  private async restarted(seen: Omit<WindowServerRestart, 'lostSession' | 'evidence'>, uncleanStop: boolean | null): Promise<void> {
    const found = this.deps.crashReports ? await this.deps.crashReports.windowServerSince(crashReportsSince(seen.previous)) : { reports: [], errors: [] };
    const restart: WindowServerRestart = { ...seen, ...judgeRestart({ uncleanStop, crashReports: found.reports }) };
    this.restart = restart;
    const { title, message } = restartMessage(restart);
    const fields = { restart, title, message, ...(found.errors.length > 0 ? { crashReportErrors: found.errors } : {}) };
    if (restart.lostSession) this.log.error(fields, `WindowServer restarted without a reboot: ${restartSummary(restart)}`);
    else this.log.warn(fields, `WindowServer restarted without a reboot: ${restartSummary(restart)}`);
    const result = await this.deps.notifier?.notify(title, message);
    if (result && !result.delivered) this.log.warn({ via: result.via, error: result.error, title }, 'notification not delivered');
  }

  /** One log read: new precursors count until the next read could replace them. */
  private async readLog(log: PrecursorLog): Promise<void> {
    const startedAt = this.deps.clock.now();
    this.logReadAt = startedAt;
    try {
      const found = (await log.read(this.deps.signal)).filter((p) => p.at === null || this.newestPrecursorAt === null || p.at > this.newestPrecursorAt);
      const worst = mostSevere(found);
      if (!worst) return;
      this.newestPrecursorAt = Math.max(this.newestPrecursorAt ?? 0, ...found.map((p) => p.at ?? 0));
      this.lastPrecursor = worst;
      this.precursor = { found: worst, until: startedAt + this.deps.rules.logIntervalMs };
      this.log.warn({ precursors: found.slice(-10), count: found.length }, 'freeze precursors in the unified log');
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'could not read the unified log');
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.catch((error: unknown) => this.log.error({ err: error }, 'WindowServer watch task failed'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    return promise;
  }
}
