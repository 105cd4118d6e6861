/**
 * The probes in the daemon: runs on the schedule, one run after a wake that missed one, never
 * two at once; each run is logged and kept, and a failure streak restarts Ollama once and
 * notifies, as does the recovery after it.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { Schedule } from '../ports/schedule.js';
import type { PlanResult, ServerStatus } from '../ollama/server.js';
import { escalationAfter, type Streak } from './escalation.js';
import type { ProbeHistory } from './history-file.js';
import type { LockResult, RunLock } from './run-lock.js';
import type { ProbeRunner, RunOptions } from './runner.js';
import type { ProbeRun, ProbeTrigger } from './types.js';

/** How late past its time a scheduled run counts as missed (the machine slept, or the process was stopped). */
export const MISSED_AFTER_MS = 60_000;

/** What the service is made of. */
export interface ProbeServiceDeps {
  runner: Pick<ProbeRunner, 'run'>;
  /** null when probe.enabled is false: runs only on demand. */
  schedule: Schedule | null;
  history: ProbeHistory;
  lock: RunLock;
  /** headroom's Ollama server, restarted after a failure streak; null when there is none to restart. */
  server: { restart(): Promise<PlanResult>; readonly current: ServerStatus | null } | null;
  failuresBeforeRestart: number;
  restartServer: boolean;
  notifier: Notifier | null;
  clock: Clock;
  logger: Logger;
  /** Choose the model and check memory, send nothing (runs are then skipped, and nothing escalates). */
  dryRun: boolean;
}

/** The probes' part of the daemon's state. */
export interface ProbeStatus {
  schedule: string | null;
  nextRunAt: number | null;
  running: boolean;
  /** Failed scheduled runs in a row (skipped ones not counted). */
  failedRuns: number;
  lastRun: ProbeRun | null;
}

/** What a finished run becomes before it is kept: the run (with what was done about it) and the streak after it. */
export type AfterRun = (run: ProbeRun, streak: Streak) => Promise<{ run: ProbeRun; streak: Streak }>;

/** Runs one probe run under the cross-process lock and keeps its record; `headroom probe` and the service both use it. */
export async function runAndRecord(
  deps: Pick<ProbeServiceDeps, 'runner' | 'history' | 'lock' | 'clock' | 'logger'>,
  trigger: ProbeTrigger,
  options: RunOptions = {},
  afterRun?: AfterRun,
): Promise<ProbeRun> {
  const log = deps.logger.child({ component: 'probe' });
  const skipped = (reason: string): ProbeRun => {
    const now = deps.clock.now();
    const run: ProbeRun = { startedAt: now, finishedAt: now, trigger, outcome: 'skipped', reason, model: null, modelWhy: null, results: [] };
    log.info({ run }, `probe run skipped: ${reason}`);
    return run;
  };
  let lock: LockResult;
  try {
    lock = deps.lock.acquire();
  } catch (error) {
    return skipped(`cannot take the probe lock: ${(error as Error).message}`);
  }
  if (!lock.held) return skipped(`another probe run is under way${lock.holderPid > 0 ? ` (pid ${lock.holderPid})` : ''}`);
  try {
    const loaded = deps.history.load();
    if (loaded.problem) log.warn({ problem: loaded.problem }, 'probe history unusable: starting a new one');
    let run = await deps.runner.run(trigger, options);
    let streak: Streak | undefined;
    if (afterRun) ({ run, streak } = await afterRun(run, loaded.streak));
    logRun(log, run);
    if (!options.dryRun) {
      try {
        deps.history.append(run, streak);
      } catch (error) {
        log.error({ err: (error as Error).message }, 'could not keep the probe run');
      }
    }
    return run;
  } finally {
    lock.release();
  }
}

function logRun(log: Logger, run: ProbeRun): void {
  const fields = { run, model: run.model, outcome: run.outcome };
  if (run.outcome === 'passed') log.info(fields, `probes passed with ${run.model ?? '?'}`);
  else if (run.outcome === 'skipped') log.info(fields, `probe run skipped: ${run.reason ?? ''}`);
  else {
    const failed = run.results.filter((r) => r.verdict !== 'pass' && r.verdict !== 'skipped').map((r) => `${r.probe}: ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`);
    log.warn(fields, `probes failed with ${run.model ?? 'no model'}: ${failed.join('; ') || run.reason || ''}`);
  }
}

/** The scheduled probes. */
export class ProbeService {
  private running: Promise<ProbeRun> | null = null;
  private nextDueAt: number | null = null;
  private lastRun: ProbeRun | null = null;
  private failedRuns = 0;
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly deps: ProbeServiceDeps) {
    this.log = deps.logger.child({ component: 'probe' });
    const { runs, streak } = deps.history.load();
    this.lastRun = runs.at(-1) ?? null;
    this.failedRuns = streak.failedRuns;
  }

  /** Starts the schedule. */
  start(): void {
    const { schedule } = this.deps;
    if (!schedule) return;
    schedule.start(() => this.trigger('schedule').then(() => undefined));
    this.nextDueAt = schedule.nextRunAt();
    this.log.info({ schedule: schedule.expression, nextRunAt: this.nextDueAt === null ? null : new Date(this.nextDueAt).toISOString() }, 'probe schedule started');
  }

  /** From the daemon's loop: runs once when a scheduled time passed without a run (the machine slept). */
  tick(): void {
    const { schedule, clock } = this.deps;
    if (!schedule || this.abort.signal.aborted) return;
    this.nextDueAt ??= schedule.nextRunAt();
    if (this.nextDueAt === null || this.running) return;
    const lateMs = clock.now() - this.nextDueAt;
    if (lateMs <= MISSED_AFTER_MS) return;
    this.log.info({ dueAt: new Date(this.nextDueAt).toISOString(), lateMs }, 'a scheduled probe run was missed (the machine slept?): running it now');
    // runOnce logs its own failure; nothing may reject unhandled out of the loop.
    this.trigger('wake').catch(() => undefined);
  }

  /** Starts a run unless one is under way; resolves with the run, or the one under way. */
  trigger(trigger: ProbeTrigger): Promise<ProbeRun> {
    if (this.running) {
      this.log.info({ trigger }, 'probe run not started: the previous one is still under way');
      this.nextDueAt = this.deps.schedule?.nextRunAt() ?? null;
      return this.running;
    }
    const run = this.runOnce(trigger).finally(() => {
      this.running = null;
      // After the run: a schedule time that passed meanwhile was blocked by the overlap rule, not missed.
      this.nextDueAt = this.deps.schedule?.nextRunAt() ?? null;
    });
    this.running = run;
    return run;
  }

  /** For the state file. */
  status(): ProbeStatus {
    return {
      schedule: this.deps.schedule?.expression ?? null,
      nextRunAt: this.deps.schedule ? this.nextDueAt : null,
      running: this.running !== null,
      failedRuns: this.failedRuns,
      lastRun: this.lastRun,
    };
  }

  /** Stops the schedule and cancels the run under way. */
  async stop(): Promise<void> {
    this.deps.schedule?.stop();
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private async runOnce(trigger: ProbeTrigger): Promise<ProbeRun> {
    this.nextDueAt = this.deps.schedule?.nextRunAt() ?? null;
    const stopped = this.deps.server?.current?.stoppedByUser === true;
    const runner = stopped ? skippingRunner(this.deps, 'the Ollama server is stopped ("headroom ollama stop")') : this.deps.runner;
    try {
      const run = await runAndRecord({ ...this.deps, runner }, trigger, { signal: this.abort.signal, dryRun: this.deps.dryRun }, (done, streak) => this.escalate(done, streak));
      this.lastRun = run;
      return run;
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'probe run failed to run');
      throw error;
    }
  }

  /** The restart and notices a finished run leads to; the run records what was done. */
  private async escalate(run: ProbeRun, streak: Streak): Promise<{ run: ProbeRun; streak: Streak }> {
    const { server, failuresBeforeRestart } = this.deps;
    // Stopping: no restart (it would start the server shutdown is stopping), no notice.
    if (this.abort.signal.aborted) return { run, streak };
    const after = escalationAfter(streak, run, failuresBeforeRestart);
    this.failedRuns = after.streak.failedRuns;
    const { step } = after;
    if (step.kind === 'none') return { run, streak: after.streak };
    if (step.kind === 'recovered') {
      await this.notify('headroom: Ollama probes pass again', `The known-answer probes pass again with ${run.model ?? '?'}, after ${step.failedRuns} failed runs.`);
      return { run, streak: after.streak };
    }
    const failures = run.results.filter((r) => r.verdict !== 'pass' && r.verdict !== 'skipped');
    let escalation: string;
    if (failures.length > 0 && failures.every((r) => r.httpStatus === 404)) escalation = 'notified (the model is not installed: restarting Ollama would not help)';
    else if (!this.deps.restartServer) escalation = 'notified (probe.restartServer is false)';
    else if (!server) escalation = 'notified (headroom runs no Ollama server: ollama.manage is false)';
    else {
      const result = await server.restart().catch((error: unknown): PlanResult | string => (error as Error).message);
      if (typeof result === 'string') escalation = `could not restart Ollama: ${result}`;
      else escalation = result.ok ? 'restarted Ollama' : `could not restart Ollama: ${result.steps.join('; ') || result.plan.summary}`;
    }
    this.log.warn({ failedRuns: step.failedRuns, escalation }, `probes failed ${step.failedRuns} runs in a row: ${escalation}`);
    await this.notify('headroom: Ollama probes failing', `The known-answer probes failed ${step.failedRuns} runs in a row (${failureSummary(run)}). ${capitalize(escalation)}.`);
    return { run: { ...run, escalation }, streak: after.streak };
  }

  private async notify(title: string, message: string): Promise<void> {
    if (!this.deps.notifier) return;
    const result = await this.deps.notifier.notify(title, message);
    this.log.info({ title, message, delivered: result.delivered, via: result.via, ...(result.error ? { error: result.error } : {}) }, 'notified');
  }
}

/** A runner that records a skip instead of running (the server was stopped on purpose). */
function skippingRunner(deps: Pick<ProbeServiceDeps, 'clock'>, reason: string): Pick<ProbeRunner, 'run'> {
  return {
    run: (trigger: ProbeTrigger) => {
      const now = deps.clock.now();
      return Promise.resolve({ startedAt: now, finishedAt: now, trigger, outcome: 'skipped', reason, model: null, modelWhy: null, results: [] });
    },
  };
}

/** "capital: fail (answer does not contain \"paris\")" for the first failed probe, or the run's reason. */
function failureSummary(run: ProbeRun): string {
  const failed = run.results.find((r) => r.verdict !== 'pass' && r.verdict !== 'skipped');
  const model = run.model ? `${run.model}: ` : '';
  return failed ? `${model}${failed.probe} ${failed.verdict}${failed.reason ? `, ${failed.reason}` : ''}` : (run.reason ?? 'no answer');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
