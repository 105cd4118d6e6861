/**
 * The guard in the daemon's tick: read Ollama, run the policy on the snapshot, and carry out the
 * decisions: log each with the snapshot behind it, send notifications, and unload. Before an
 * unload it takes a fresh sample and runs the policy again from the same state: only what the
 * second run decides is done, so a reading that has already recovered unloads nothing and
 * starts no cooldown. The same class runs in the simulator with a simulated Ollama and clock.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { OllamaApi } from '../ports/ollama.js';
import type { ProcessDetails, ProcessInspector, Signaller } from '../ports/processes.js';
import type { OllamaWatcher } from '../ollama/watcher.js';
import { isOllamaServerCommand, parseRunnerCommand } from '../ollama/runners.js';
import { escalate, type Recheck } from '../processes/escalate.js';
import { unloadAndWait, type UnloadOutcome } from '../ollama/unload.js';
import { evaluate, recordUnload, type Evaluation } from './policy.js';
import { evaluateTrigger } from './trigger.js';
import { initialGuardState, type Decision, type GuardRules, type GuardSnapshot, type GuardState, type OllamaReading, type UnloadDecision } from './types.js';

/** What the guard is built from. */
export interface GuardDeps {
  watcher: OllamaWatcher;
  api: OllamaApi;
  /** null: notifications off (they are still logged). */
  notifier: Notifier | null;
  clock: Clock;
  logger: Logger;
  rules: GuardRules;
  /** Takes a fresh memory sample for the second look before an unload. */
  resample: (signal?: AbortSignal) => Promise<MemorySnapshot>;
  unloadTimeoutMs: number;
  /** Poll pacing while waiting for an unloaded model to leave /api/ps. */
  unloadPollMs: number;
  /** For stopping a runner that is still loading (its pid, start, command and parent); null: such a model is left alone. */
  inspector: Pick<ProcessInspector, 'get'> | null;
  signaller: Signaller | null;
  /** Aborted as soon as SIGTERM/SIGINT reaches headroom: no signal to a runner after it. */
  stopping?: AbortSignal;
  /** How long a tick waits for /api/ps before going on with the last reading. */
  readBudgetMs: number;
}

/** The last unload carried out, for the status. */
export interface LastUnload {
  rule: string;
  at: number;
  outcomes: UnloadOutcome[];
}

/** What `headroom status` shows of the guard. */
export interface GuardStatus {
  level: GuardState['level'];
  dryRun: boolean;
  incident: GuardState['incident'];
  unloading: string[] | null;
  lastUnload: LastUnload | null;
}

/** A tick waits this long for /api/ps (a healthy answer takes a few ms), then uses the last one. */
export const DEFAULT_READ_BUDGET_MS = 200;

/** Grace between SIGTERM and SIGKILL for a runner. */
const TERM_GRACE_MS = 5000;

/** The guard. */
export class Guard {
  private state: GuardState = initialGuardState();
  private readonly inFlight = new Set<string>();
  private lastUnload: LastUnload | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  /** Outcomes of unloads that finished while a tick was between its reads and its decisions. */
  private outcomes: Array<(state: GuardState) => GuardState> = [];
  private lastPressure: MemorySnapshot['pressure'] = 'normal';
  private emergency: string | null = null;
  private stage: Evaluation['processStage'] = null;
  private readonly log: Logger;

  constructor(private readonly deps: GuardDeps) {
    this.log = deps.logger.child({ component: 'guard' });
  }

  /** True while the guard wants fast sampling: not at normal, or the kernel is not at normal. */
  get alert(): boolean {
    return this.state.level !== 'normal' || this.lastPressure === 'warn' || this.lastPressure === 'critical';
  }

  /** The stage at which guarded processes may be acted on, as of the last tick (policy.ts, Evaluation.processStage). */
  get processStage(): Evaluation['processStage'] {
    return this.stage;
  }

  /** The policy's state, for the simulator and tests. */
  get policyState(): Readonly<GuardState> {
    return this.state;
  }

  /** For `headroom status`. */
  status(): GuardStatus {
    return {
      level: this.state.level,
      dryRun: this.deps.rules.dryRun,
      incident: this.state.incident,
      unloading: this.inFlight.size > 0 ? [...this.inFlight] : null,
      lastUnload: this.lastUnload,
    };
  }

  /** One tick: read Ollama, decide, look again before unloading, act; `emergency` is the WindowServer watch's. Never throws. */
  async tick(memory: MemorySnapshot, signal?: AbortSignal, emergency: string | null = null): Promise<Decision[]> {
    this.lastPressure = memory.pressure;
    this.emergency = emergency;
    const reading = await this.readOllama(this.alert || this.inFlight.size > 0, memory);
    this.state = this.withOutcomes(this.state);
    const snapshot = this.snapshotOf(memory, reading);
    let result = evaluate(this.state, snapshot, this.deps.rules);
    let acted = snapshot;
    const decided = result.decisions.find((d): d is UnloadDecision => d.kind === 'unload');
    if (decided) {
      const second = await this.secondLook(decided, snapshot, signal);
      if (second) ({ result, snapshot: acted } = second);
    }
    this.state = this.withOutcomes(result.state);
    this.stage = result.processStage;
    for (const decision of result.decisions) {
      try {
        this.carryOut(decision, acted, signal);
      } catch (error) {
        this.log.error({ err: error, decision }, 'could not carry out a decision');
      }
    }
    return result.decisions;
  }

  /** Applies the unload outcomes that arrived since the last call. */
  private withOutcomes(state: GuardState): GuardState {
    const outcomes = this.outcomes;
    this.outcomes = [];
    return outcomes.reduce((current, apply) => apply(current), state);
  }

  /** Waits for the unloads in flight and the notifications being sent. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Reads Ollama, but waits at most `readBudgetMs`: a busy Ollama must not slow the sampling. */
  private async readOllama(force: boolean, memory?: MemorySnapshot): Promise<OllamaReading> {
    const { watcher, clock, readBudgetMs } = this.deps;
    if (!watcher.wouldRead(force, memory)) return watcher.current;
    const read = watcher.read(force, memory);
    const budget = new AbortController();
    const reading = await Promise.race([read, clock.sleep(readBudgetMs, budget.signal).then(() => null)]);
    budget.abort('read done'); // a reason of our own: without one, abort() builds a DOMException with a stack
    return reading ?? watcher.current;
  }

  private snapshotOf(memory: MemorySnapshot, ollama: OllamaReading): GuardSnapshot {
    return { at: memory.at, memory, ollama, inFlight: [...this.inFlight], ...(this.emergency !== null ? { emergency: this.emergency } : {}) };
  }

  /** Samples again and re-runs the policy from the same state; null keeps the first run (the sample failed). */
  private async secondLook(
    decided: UnloadDecision,
    first: GuardSnapshot,
    signal?: AbortSignal,
  ): Promise<{ result: Evaluation; snapshot: GuardSnapshot } | null> {
    const fresh = await this.deps.resample(signal).catch(() => null);
    if (!fresh || !evaluateTrigger(fresh, this.deps.rules).known) return null;
    const reading = decided.rule === 'oversize' ? await this.readOllama(true, fresh) : first.ollama;
    const snapshot = this.snapshotOf(fresh, reading);
    const result = evaluate(this.state, snapshot, this.deps.rules);
    if (!result.decisions.some((d) => d.kind === 'unload')) {
      this.log.info({ rule: decided.rule, models: decided.models, skipped: 'not needed on a fresh sample', snapshot: first, fresh }, 'unload skipped');
    }
    return { result, snapshot };
  }

  private carryOut(decision: Decision, snapshot: GuardSnapshot, signal?: AbortSignal): void {
    switch (decision.kind) {
      case 'level': {
        const fields = { from: decision.from, to: decision.to, reason: decision.reason, snapshot };
        if (decision.to === 'normal') this.log.info(fields, 'guard back to normal');
        else this.log.warn(fields, `guard level ${decision.to}`);
        return;
      }
      case 'notify':
        return this.notify(decision, snapshot);
      case 'unload':
        return this.unload(decision, snapshot, signal);
    }
  }

  private notify(decision: Extract<Decision, { kind: 'notify' }>, snapshot: GuardSnapshot): void {
    const fields = { topic: decision.topic, title: decision.title, message: decision.message, snapshot };
    if (decision.suppressed !== undefined) {
      this.log.info({ ...fields, suppressed: decision.suppressed }, 'notification suppressed');
      return;
    }
    this.log.warn(fields, 'notification');
    const notifier = this.deps.notifier;
    if (!notifier) return;
    this.track(
      notifier.notify(decision.title, decision.message).then((result) => {
        if (!result.delivered) this.log.warn({ via: result.via, error: result.error, title: decision.title }, 'notification not delivered');
      }),
    );
  }

  private unload(decision: UnloadDecision, snapshot: GuardSnapshot, signal?: AbortSignal): void {
    const fields = { rule: decision.rule, models: decision.models, terminate: decision.terminate, reason: decision.reason, snapshot };
    const startedAt = this.deps.clock.now();
    if (this.deps.rules.dryRun) {
      this.log.warn(fields, 'would unload (dry run)');
      this.state = recordUnload(this.state, decision.rule, decision.models.map((model) => ({ model, gone: true })), startedAt);
      return;
    }
    this.log.warn(fields, 'unloading');
    for (const model of decision.models) this.inFlight.add(model);
    const done = Promise.all(
      decision.models.map((model) => {
        const pid = decision.terminate[model];
        if (pid !== undefined) return this.terminateRunner(model, pid, signal);
        return unloadAndWait(this.deps.api, model, {
          clock: this.deps.clock,
          timeoutMs: this.deps.unloadTimeoutMs,
          pollMs: this.deps.unloadPollMs,
          expiresAtBefore: snapshot.ollama.models.find((m) => m.name === model)?.expiresAt ?? null,
          ...(signal ? { signal } : {}),
        });
      }),
    )
      .then((outcomes) => {
        this.lastUnload = { rule: decision.rule, at: startedAt, outcomes };
        const at = this.deps.clock.now();
        // Folded into the state at the next tick, so that a tick under way cannot overwrite it.
        this.outcomes.push((state) => recordUnload(state, decision.rule, outcomes, at));
        for (const outcome of outcomes) {
          const outcomeFields = { rule: decision.rule, ...outcome, snapshot };
          if (outcome.reloaded) this.log.warn(outcomeFields, 'model unloaded, and loaded again by a client');
          else if (outcome.gone) this.log.info(outcomeFields, 'model unloaded');
          else this.log.error(outcomeFields, 'model still loaded after the unload');
        }
      })
      .finally(() => {
        for (const model of decision.models) this.inFlight.delete(model);
      });
    this.track(done);
  }

  /**
   * Stops a model still loading by signalling its runner, with the process guard's escalation
   * (SIGTERM, SIGKILL after a grace). Each signal goes only right after a look that finds the
   * pid still a runner whose parent is an `ollama serve`, of headroom's own user, and, before
   * SIGKILL, the very process of the first look (its start and command line).
   */
  private async terminateRunner(model: string, pid: number, signal?: AbortSignal): Promise<UnloadOutcome> {
    const { inspector, signaller, clock } = this.deps;
    const startedAt = clock.now();
    const outcome = (gone: boolean, error?: string): UnloadOutcome =>
      error === undefined ? { model, gone, waitedMs: clock.now() - startedAt } : { model, gone, waitedMs: clock.now() - startedAt, error };
    if (!inspector || !signaller) return outcome(false, 'no process table to stop a loading runner');
    let chosen: ProcessDetails | null = null;
    const recheck = async (): Promise<Recheck> => {
      const now = await inspector.get(pid, signal).catch(() => undefined);
      if (now === undefined) return { kind: 'keep', why: 'its details could not be read' };
      if (now === null) return { kind: 'gone' }; // the load ended (or failed) on its own
      if (chosen && now.startKey !== chosen.startKey) return { kind: 'replaced' };
      if (chosen && now.command !== chosen.command) return { kind: 'keep', why: 'its command line changed' };
      if (!parseRunnerCommand(pid, now.command)) return { kind: 'keep', why: 'it is not an Ollama runner' };
      const parent = await inspector.get(now.ppid, signal).catch(() => undefined);
      if (parent === undefined) return { kind: 'keep', why: 'its parent could not be read' };
      if (parent === null || !isOllamaServerCommand(parent.command)) return { kind: 'keep', why: 'its parent is not an ollama serve' };
      if (pid === signaller.ownPid || now.uid !== signaller.ownUid) return { kind: 'keep', why: `it belongs to another user (uid ${now.uid})` };
      chosen ??= now;
      return { kind: 'same' };
    };
    const stops = [this.deps.stopping, signal].filter((s) => s !== undefined);
    const result = await escalate(
      { signaller, clock, stop: stops.length > 1 ? AbortSignal.any(stops) : stops[0] },
      {
        pid,
        recheck,
        graceMs: TERM_GRACE_MS,
        kill: true,
        onSignal: (sent) =>
          sent === 'SIGTERM'
            ? this.log.warn({ model, targetPid: pid }, 'sent SIGTERM to a runner still loading')
            : this.log.warn({ model, targetPid: pid, graceMs: TERM_GRACE_MS }, 'sent SIGKILL to a runner that outlived SIGTERM'),
      },
    );
    switch (result.kind) {
      case 'exited':
        return outcome(true);
      case 'still-running':
        return outcome(false, `pid ${pid} survived SIGKILL`);
      case 'left-alone':
        return result.gone ? outcome(true) : outcome(false, `pid ${pid} left alone: ${result.why}`);
    }
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.log.error({ err: error }, 'background guard task failed'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
