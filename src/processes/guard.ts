/**
 * The runaway-process guard in the daemon: at the stage the memory guard opens (Ollama freed
 * first, policy.ts processStage), it reads the process table in the background, decides with
 * the pure policy and carries each action out with escalate.ts. Right before every signal it
 * looks again: the same pid with the same start and command, of headroom's own uid, still
 * matching, not protected, and the stage still held. SIGTERM; for term-then-kill, SIGKILL after
 * the grace. Every action is logged and notified with the process's name, memory and what was done.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { MemoryUse, ProcessDetails, ProcessInspector, Signaller } from '../ports/processes.js';
import { escalate, type Recheck } from './escalate.js';
import { processNotice, type ActionOutcome } from './messages.js';
import { decideProcesses, initialProcessPolicyState, processKey, stageReaches, type ProcessDecision, type ProcessPolicyState } from './policy.js';
import { protectionOf, type ProtectedPid } from './protect.js';
import type { GuardedRule } from './rules.js';

/** The least time between two reads of the process table while the stage is open. */
export const SCAN_INTERVAL_MS = 2000;
/** Actions kept for the status. */
const KEPT_ACTIONS = 10;

/** One action, for the status and `headroom status`. */
export interface ProcessAction {
  at: number;
  pid: number;
  name: string;
  rule: number;
  action: GuardedRule['action'];
  memory: MemoryUse | null;
  outcome: ActionOutcome;
  dryRun: boolean;
}

/** What the guard is built from. */
export interface ProcessGuardDeps {
  inspector: ProcessInspector;
  signaller: Signaller;
  clock: Clock;
  logger: Logger;
  notifier: Notifier | null;
  rules: readonly GuardedRule[];
  cooldownMs: number;
  dryRun: boolean;
  /** pm2's daemon and the Ollama server, read fresh at each scan. */
  protectedPids: () => readonly ProtectedPid[];
  /** A process's memory from the latest sample of the heaviest, if it is there. */
  knownMemory: (pid: number) => MemoryUse | null;
  /**
   * Aborted as soon as SIGTERM/SIGINT reaches headroom: no scan or action starts after it, and an
   * escalation under way sends no further signal.
   */
  stopping?: AbortSignal;
  /** Cancels the commands and waits under way (the shutdown deadline, a little later). */
  signal?: AbortSignal;
}

/** The guard. */
export class ProcessGuard {
  private state: ProcessPolicyState = initialProcessPolicyState();
  private stage: 'warn' | 'critical' | null = null;
  private scanning = false;
  private scannedAt: number | null = null;
  private table = new Map<number, ProcessDetails>();
  private readonly busy = new Set<number>();
  private readonly skipsLogged = new Set<string>();
  private readonly actions: ProcessAction[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly log: Logger;
  /** Aborted once headroom is stopping or its commands are canceled: no signal after it. */
  private readonly halt: AbortSignal | undefined;

  constructor(private readonly deps: ProcessGuardDeps) {
    this.log = deps.logger.child({ component: 'processes' });
    const signals = [deps.stopping, deps.signal].filter((signal) => signal !== undefined);
    this.halt = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  /** The latest actions, newest last. */
  get recentActions(): readonly ProcessAction[] {
    return this.actions;
  }

  /** How many patterns are guarded. */
  get guarded(): number {
    return this.deps.rules.length;
  }

  /** True when signals are only logged. */
  get dryRun(): boolean {
    return this.deps.dryRun;
  }

  /** One tick: remembers the stage; when it is open and a scan is due, scans in the background. */
  tick(stage: 'warn' | 'critical' | null): void {
    this.stage = stage;
    if (stage === null || this.deps.rules.length === 0 || this.scanning || this.halt?.aborted) return;
    const now = this.deps.clock.now();
    if (this.scannedAt !== null && now - this.scannedAt < SCAN_INTERVAL_MS) return;
    this.scanning = true;
    this.scannedAt = now;
    this.track(this.scan().finally(() => (this.scanning = false)));
  }

  /** Waits for the scan and the actions under way. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async scan(): Promise<void> {
    const { inspector, signaller, clock } = this.deps;
    let processes: ProcessDetails[];
    try {
      processes = await inspector.list(this.deps.signal);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'could not read the process table');
      return;
    }
    this.table = new Map(processes.map((p) => [p.pid, p]));
    const decided = decideProcesses(this.state, {
      at: clock.now(),
      stage: this.stage,
      processes,
      ownUid: signaller.ownUid,
      ownPid: signaller.ownPid,
      protectedPids: this.deps.protectedPids(),
      busy: [...this.busy],
      rules: this.deps.rules,
      cooldownMs: this.deps.cooldownMs,
    });
    this.state = decided.state;
    for (const key of this.skipsLogged) if (!this.table.has(Number(key.split(':')[0]))) this.skipsLogged.delete(key);
    for (const skip of decided.skipped) {
      const key = `${skip.pid}:${skip.why}`;
      if (this.skipsLogged.has(key)) continue;
      this.skipsLogged.add(key);
      this.log.info({ targetPid: skip.pid, name: skip.name, rule: skip.rule, why: skip.why }, 'guarded pattern matches a process headroom leaves alone');
    }
    const stage = this.stage;
    // headroom was told to stop while the table was read: no new action.
    if (stage === null || this.halt?.aborted) return;
    for (const decision of decided.act) {
      this.busy.add(decision.pid);
      this.track(this.act(decision, stage).finally(() => this.busy.delete(decision.pid)));
    }
  }

  /** What a look at `decision`'s process right before a signal finds: the process chosen, still to be stopped, or why not. */
  private async recheck(decision: ProcessDecision): Promise<Recheck> {
    const { inspector, signaller } = this.deps;
    const now = await inspector.get(decision.pid, this.deps.signal).catch(() => undefined);
    if (now === undefined) return { kind: 'keep', why: 'its details could not be read again' };
    if (now === null) return { kind: 'gone' };
    if (processKey(now) !== decision.key) return { kind: 'replaced' };
    if (now.command !== decision.command) return { kind: 'keep', why: 'its command line changed' };
    if (now.uid !== signaller.ownUid) return { kind: 'keep', why: `it belongs to another user (uid ${now.uid})` };
    if (!decision.rule.pattern.test(now.command)) return { kind: 'keep', why: 'it no longer matches its pattern' };
    const protection = protectionOf(now, this.table, signaller.ownPid, this.deps.protectedPids());
    if (protection !== null) return { kind: 'keep', why: `protected: ${protection}` };
    if (!stageReaches(this.stage, decision.rule.stage)) return { kind: 'keep', why: `the memory pressure eased (stage now ${this.stage ?? 'closed'})` };
    return { kind: 'same' };
  }

  private async act(decision: ProcessDecision, stage: 'warn' | 'critical'): Promise<void> {
    const { signaller, clock, inspector, dryRun } = this.deps;
    const memory = this.deps.knownMemory(decision.pid) ?? (await inspector.memoryOf(decision.pid, this.deps.signal).catch(() => null));
    // `targetPid`, not `pid`: pino's own `pid` field is headroom's.
    const fields = { targetPid: decision.pid, name: decision.name, command: decision.command, rule: decision.rule.index, action: decision.rule.action, memory, stage };
    const { action, graceMs } = decision.rule;
    let outcome: ActionOutcome;
    if (action === 'notify') {
      outcome = { kind: 'notified' };
    } else if (dryRun) {
      outcome = { kind: 'dry-run' };
    } else {
      const result = await escalate(
        { signaller, clock, stop: this.halt },
        {
          pid: decision.pid,
          recheck: () => this.recheck(decision),
          graceMs,
          kill: action === 'term-then-kill',
          onSignal: (signal) =>
            signal === 'SIGTERM' ? this.log.warn(fields, 'sent SIGTERM to a guarded process') : this.log.warn({ ...fields, graceMs }, 'sent SIGKILL to a guarded process that outlived SIGTERM'),
        },
      );
      if (result.kind === 'left-alone' && result.sent === null) {
        this.log.info({ ...fields, why: result.why }, 'guarded process left alone');
        this.record(decision, memory, { kind: 'left-alone', why: result.why }, false);
        return;
      }
      outcome = result.kind === 'left-alone' ? { kind: 'left-alone', why: result.why } : result;
    }
    this.record(decision, memory, outcome, dryRun && action !== 'notify');
    const { title, message } = processNotice(decision, stage, memory, outcome);
    const level = outcome.kind === 'still-running' ? 'error' : 'warn';
    this.log[level]({ ...fields, outcome, title, message }, outcome.kind === 'dry-run' ? 'would signal a guarded process (dry run)' : 'guarded process acted on');
    const result = await this.deps.notifier?.notify(title, message);
    if (result && !result.delivered) this.log.warn({ via: result.via, error: result.error, title }, 'notification not delivered');
  }

  private record(decision: ProcessDecision, memory: MemoryUse | null, outcome: ActionOutcome, dryRun: boolean): void {
    this.actions.push({ at: this.deps.clock.now(), pid: decision.pid, name: decision.name, rule: decision.rule.index, action: decision.rule.action, memory, outcome, dryRun });
    if (this.actions.length > KEPT_ACTIONS) this.actions.shift();
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.log.error({ err: error }, 'process guard task failed'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
