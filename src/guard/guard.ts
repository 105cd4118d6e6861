/**
 * The guard in the daemon's tick: read Ollama, run the policy on the snapshot, and carry out the
 * decisions: log each with the snapshot behind it, re-sample before an unload and skip it when
 * memory has recovered, keep one unload in flight, send notifications. The same class runs in
 * the simulator with a simulated Ollama and clock.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { OllamaApi } from '../ports/ollama.js';
import type { OllamaWatcher } from '../ollama/watcher.js';
import { unloadAndWait, type UnloadOutcome } from '../ollama/unload.js';
import { evaluate } from './policy.js';
import { recheckUnload } from './recheck.js';
import { initialGuardState, type Decision, type GuardRules, type GuardSnapshot, type GuardState } from './types.js';

/** What the guard is built from. */
export interface GuardDeps {
  watcher: OllamaWatcher;
  api: OllamaApi;
  /** null: notifications off (they are still logged). */
  notifier: Notifier | null;
  clock: Clock;
  logger: Logger;
  rules: GuardRules;
  /** Takes a fresh memory sample for the re-check before an unload. */
  resample: (signal?: AbortSignal) => Promise<MemorySnapshot>;
  unloadTimeoutMs: number;
  /** Poll pacing while waiting for an unloaded model to leave /api/ps. */
  unloadPollMs: number;
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

/** The guard. */
export class Guard {
  private state: GuardState = initialGuardState();
  private inFlight: { models: string[]; done: Promise<void> } | null = null;
  private lastUnload: LastUnload | null = null;
  private pending = new Set<Promise<unknown>>();
  private lastPressure: MemorySnapshot['pressure'] = 'normal';
  private readonly log: Logger;

  constructor(private readonly deps: GuardDeps) {
    this.log = deps.logger.child({ component: 'guard' });
  }

  /** True while the guard wants fast sampling: not at normal, or the kernel is not at normal. */
  get alert(): boolean {
    return this.state.level !== 'normal' || this.lastPressure === 'warn' || this.lastPressure === 'critical';
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
      unloading: this.inFlight?.models ?? null,
      lastUnload: this.lastUnload,
    };
  }

  /** One tick: read Ollama, decide, act. Never throws. */
  async tick(memory: MemorySnapshot, signal?: AbortSignal): Promise<Decision[]> {
    this.lastPressure = memory.pressure;
    const force = this.alert || this.inFlight !== null;
    const ollama = await this.deps.watcher.read(force);
    const snapshot: GuardSnapshot = { at: memory.at, memory, ollama, unloadInFlight: this.inFlight !== null };
    const { state, decisions } = evaluate(this.state, snapshot, this.deps.rules);
    this.state = state;
    for (const decision of decisions) {
      try {
        await this.carryOut(decision, snapshot, signal);
      } catch (error) {
        this.log.error({ err: error, decision }, 'could not carry out a decision');
      }
    }
    return decisions;
  }

  /** Waits for the unload in flight and the notifications being sent. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async carryOut(decision: Decision, snapshot: GuardSnapshot, signal?: AbortSignal): Promise<void> {
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

  private async unload(decision: Extract<Decision, { kind: 'unload' }>, snapshot: GuardSnapshot, signal?: AbortSignal): Promise<void> {
    const fields = { rule: decision.rule, models: decision.models, reason: decision.reason, snapshot };
    if (this.deps.rules.dryRun) {
      this.log.warn(fields, 'would unload (dry run)');
      return;
    }
    const fresh = await this.deps.resample(signal);
    const stillLoaded = decision.rule === 'oversize' ? await this.loadedNames() : null;
    const recheck = recheckUnload(decision, fresh, stillLoaded, this.deps.rules);
    if ('skip' in recheck) {
      this.log.info({ ...fields, skipped: recheck.skip, fresh }, 'unload skipped');
      return;
    }
    this.log.warn({ ...fields, models: recheck.models, note: recheck.note, fresh }, 'unloading');
    const startedAt = this.deps.clock.now();
    const done = Promise.all(
      recheck.models.map((model) =>
        unloadAndWait(this.deps.api, model, {
          clock: this.deps.clock,
          timeoutMs: this.deps.unloadTimeoutMs,
          pollMs: this.deps.unloadPollMs,
          expiresAtBefore: snapshot.ollama.models.find((m) => m.name === model)?.expiresAt ?? null,
          ...(signal ? { signal } : {}),
        }),
      ),
    ).then((outcomes) => {
      this.lastUnload = { rule: decision.rule, at: startedAt, outcomes };
      this.inFlight = null;
      for (const outcome of outcomes) {
        const fields = { rule: decision.rule, ...outcome, snapshot };
        if (outcome.reloaded) this.log.warn(fields, 'model unloaded, and loaded again by a client');
        else if (outcome.gone) this.log.info(fields, 'model unloaded');
        else this.log.error(fields, 'model still loaded after the unload');
      }
    });
    this.inFlight = { models: recheck.models, done };
    this.track(done);
  }

  private async loadedNames(): Promise<string[] | null> {
    const reading = await this.deps.watcher.read(true);
    return reading.status === 'ok' ? reading.models.map((model) => model.name) : null;
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.log.error({ err: error }, 'background guard task failed'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
