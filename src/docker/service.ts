/**
 * Docker in the daemon (docs/docker.md): a check at start, once the boot and the run before are
 * known (a reboot or an unclean stop is logged with it), then a /_ping every `watchIntervalMs`.
 * Docker going down starts one recovery; after it, whatever its outcome, only /_ping runs until
 * Docker answers again: a recovery that gave up is not retried until Docker comes back and goes
 * down again, the next boot, or `headroom docker recover`. Everything runs in the background,
 * never two at once (a lock shared with the CLI), and is canceled at shutdown.
 */
import type { StartFacts } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { RunLock } from '../probe/run-lock.js';
import type { GaveUpFile } from './gave-up-file.js';
import type { StartCountFile } from './start-count-file.js';
import type { RecoveryReport, RecoveryTrigger } from './recovery.js';
import type { PingResult } from './types.js';

/** Docker's part of the daemon's state. */
export interface DockerStatus {
  profile: string;
  /** unknown before the first check; stopped: left stopped on purpose; gave-up: a recovery failed. */
  state: 'unknown' | 'healthy' | 'inactive' | 'stopped' | 'down' | 'recovering' | 'gave-up' | 'dry-run';
  summary: string;
  checkedAt: number | null;
  lastHealthyAt: number | null;
  lastRecovery: RecoveryReport | null;
  dryRun: boolean;
}

/** What the service is made of. */
export interface DockerServiceDeps {
  profile: string;
  /** False when colima is not installed: the service says so and does nothing. */
  installed: boolean;
  recover: (trigger: RecoveryTrigger, boot: BootIdentity | null, signal: AbortSignal) => Promise<RecoveryReport>;
  ping: (signal: AbortSignal) => Promise<PingResult>;
  watchIntervalMs: number;
  start: Promise<StartFacts | null> | null;
  gaveUp: Pick<GaveUpFile, 'blocking' | 'write' | 'clear'>;
  /** The colima starts of this boot: counted by the recoveries, cleared when Docker answers again. */
  startCount: Pick<StartCountFile, 'clear'>;
  lock: RunLock;
  notifier: Notifier | null;
  clock: Clock;
  logger: Logger;
  dryRun: boolean;
}

/** The Docker watch. */
export class DockerService {
  private state: DockerStatus;
  private busy: Promise<void> | null = null;
  private started = false;
  private lastPingAt: number | null = null;
  /** Docker is down and this down time has had its recovery (or was found stopped on purpose). */
  private downHandled = false;
  private boot: BootIdentity | null = null;
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly deps: DockerServiceDeps) {
    this.log = deps.logger.child({ component: 'docker' });
    this.state = { profile: deps.profile, state: deps.installed ? 'unknown' : 'inactive', summary: deps.installed ? 'not checked yet' : 'colima is not installed (not found on PATH): nothing to watch', checkedAt: null, lastHealthyAt: null, lastRecovery: null, dryRun: deps.dryRun };
  }

  /** For the state file. */
  status(): DockerStatus {
    return this.state;
  }

  /** The check at start, in the background, once the boot is known. */
  start(): void {
    if (!this.deps.installed) {
      this.log.info({}, this.state.summary);
      return;
    }
    this.busy = (async () => {
      const facts = this.deps.start ? await this.deps.start.catch(() => null) : null;
      this.boot = facts?.boot ?? null;
      if (this.abort.signal.aborted) return;
      const why = facts?.uncleanStop ? (facts.rebooted ? 'after an unclean shutdown of the machine' : 'after an unclean stop of headroom') : facts?.rebooted ? 'after a reboot' : 'at start';
      const blocked = this.deps.gaveUp.blocking(this.deps.profile, this.boot);
      if (blocked) {
        this.downHandled = true;
        this.set({ state: 'gave-up', summary: `a recovery gave up earlier in this boot (${new Date(blocked.at).toISOString()}: ${blocked.summary}); waiting for Docker to answer, or "headroom docker recover"` });
        this.log.warn({ record: blocked }, `docker check ${why}: skipped, ${this.state.summary}`);
        return;
      }
      this.log.info({ rebooted: facts?.rebooted ?? null, uncleanStop: facts?.uncleanStop ?? null }, `docker check ${why}`);
      await this.recoverNow('start');
    })()
      .catch((error: unknown) => this.log.error({ err: (error as Error).message }, 'docker check failed to run'))
      .finally(() => {
        this.busy = null;
        this.started = true;
      });
  }

  /** From the loop: a /_ping when one is due; a recovery when Docker has just gone down. */
  tick(): void {
    if (!this.started || this.busy || this.abort.signal.aborted) return;
    const now = this.deps.clock.now();
    if (this.lastPingAt !== null && now - this.lastPingAt < this.deps.watchIntervalMs) return;
    this.lastPingAt = now;
    this.busy = this.watch()
      .catch((error: unknown) => this.log.error({ err: (error as Error).message }, 'docker watch failed to run'))
      .finally(() => {
        this.busy = null;
      });
  }

  /** Cancels what runs (a colima start is ended by the runner) and waits for it. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.busy;
  }

  private async watch(): Promise<void> {
    const ping = await this.deps.ping(this.abort.signal);
    if (this.abort.signal.aborted) return;
    if (ping.ok) {
      if (this.state.state !== 'healthy') {
        this.log.info({ before: this.state.state }, `Docker answers on ${ping.socket}`);
        // Docker is back (whoever brought it back): automatic recoveries, and their starts, may run again.
        this.deps.gaveUp.clear();
        this.deps.startCount.clear();
      }
      this.downHandled = false;
      this.set({ state: 'healthy', summary: `Docker answers on ${ping.socket}`, lastHealthyAt: this.deps.clock.now() });
      return;
    }
    if (this.downHandled) {
      this.set({});
      return;
    }
    this.log.warn({ error: ping.error }, `Docker stopped answering on ${ping.socket}: ${ping.error ?? ''}`);
    await this.recoverNow('watch');
  }

  private async recoverNow(trigger: RecoveryTrigger): Promise<void> {
    const lock = this.deps.lock.acquire();
    if (!lock.held) {
      this.log.info({ holderPid: lock.holderPid }, `docker recovery skipped: another one is under way${lock.holderPid > 0 ? ` (pid ${lock.holderPid})` : ''}`);
      return;
    }
    let report: RecoveryReport;
    try {
      this.set({ state: 'recovering', summary: `checking Colima profile ${this.deps.profile}` });
      report = await this.deps.recover(trigger, this.boot, this.abort.signal);
    } finally {
      lock.release();
    }
    this.lastPingAt = this.deps.clock.now();
    const healthy = report.outcome === 'healthy' || report.outcome === 'recovered';
    // A start under way is looked at again at the next ping; every other outcome ends this down time.
    this.downHandled = !healthy && report.outcome !== 'waiting';
    const states: Record<RecoveryReport['outcome'], DockerStatus['state']> = { healthy: 'healthy', recovered: 'healthy', inactive: 'inactive', left: 'stopped', waiting: 'down', failed: 'gave-up', 'dry-run': 'dry-run', canceled: 'down' };
    this.set({ state: states[report.outcome], summary: report.summary, lastRecovery: report, ...(healthy ? { lastHealthyAt: report.finishedAt } : {}) });
    if (healthy) this.deps.gaveUp.clear();
    if (report.outcome === 'recovered') {
      await this.notify('headroom: Docker is back', `Colima profile ${this.deps.profile} was recovered: ${report.actions.filter((a) => a.ok).map((a) => a.kind).join(', ')}.${serviceNote(report)}`);
    } else if (report.outcome === 'failed') {
      this.deps.gaveUp.write({ profile: this.deps.profile, bootId: this.boot?.id ?? null, bootedAt: this.boot?.bootedAt ?? null, at: report.finishedAt, summary: report.summary });
      await this.notify('headroom: Docker could not be recovered', `Colima profile ${this.deps.profile}: ${report.summary}. See "headroom docker status".`);
    }
  }

  private set(change: Partial<DockerStatus>): void {
    this.state = { ...this.state, checkedAt: this.deps.clock.now(), ...change };
  }

  private async notify(title: string, message: string): Promise<void> {
    if (!this.deps.notifier) return;
    const result = await this.deps.notifier.notify(title, message);
    this.log.info({ title, message, delivered: result.delivered, via: result.via }, 'notified');
  }
}

/** " Services: x failed." when a service did not come back. */
function serviceNote(report: RecoveryReport): string {
  const bad = report.services.filter((s) => s.state === 'failed' || s.state === 'missing');
  return bad.length > 0 ? ` Not running: ${bad.map((s) => s.service).join(', ')}.` : '';
}
