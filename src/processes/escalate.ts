/**
 * The one way headroom stops a process: a look at it, SIGTERM, a grace waited out with signal 0
 * (no child process), a look at it again, SIGKILL. The safety rule lives here, for the
 * runaway-process guard and for an Ollama runner still loading: a signal goes only right after a
 * look says the pid still names the process that was chosen and that it may still be stopped,
 * and no signal at all once headroom is stopping. The looks are the caller's; this file does no
 * I/O of its own but through the Signaller and the Clock.
 */
import type { Clock } from '../ports/clock.js';
import type { Signaller } from '../ports/processes.js';

/** How often a signalled pid is looked for while waiting. */
export const EXIT_POLL_MS = 100;
/** How long a process may take to go after SIGKILL before it is reported still running. */
export const KILL_WAIT_MS = 2000;

/**
 * What a look at the process found right before a signal: the process chosen, still to be
 * stopped (`same`); no process with the pid (`gone`); the pid now names another process
 * (`replaced`: another start, so the one chosen has exited); or the process chosen, which must
 * not be signalled now (`keep`, with why).
 */
export type Recheck = { kind: 'same' } | { kind: 'gone' } | { kind: 'replaced' } | { kind: 'keep'; why: string };

/** One escalation. */
export interface Escalation {
  pid: number;
  /** Looks at the process again; called right before each signal. */
  recheck: () => Promise<Recheck>;
  /** Time for a cooperative exit after SIGTERM. */
  graceMs: number;
  /** true: SIGKILL after the grace; false: SIGTERM only, and a process that outlives it is reported. */
  kill: boolean;
  /** Called right after each signal is sent, for the log. */
  onSignal?: (signal: 'SIGTERM' | 'SIGKILL') => void;
}

/** What the escalation is carried out with. */
export interface EscalationDeps {
  signaller: Signaller;
  clock: Clock;
  /** Once aborted (headroom is stopping), no signal is sent and the waits end. */
  stop?: AbortSignal | undefined;
}

/** How an escalation ended. `sent`: the last signal sent, if any. */
export type EscalationOutcome =
  | { kind: 'left-alone'; why: string; sent: 'SIGTERM' | null; gone: boolean; found?: Exclude<Recheck['kind'], 'same'> }
  | { kind: 'exited'; signal: 'SIGTERM' | 'SIGKILL'; afterMs: number; pidReused?: true }
  | { kind: 'still-running'; signal: 'SIGTERM' | 'SIGKILL'; afterMs: number };

const STOPPING = 'headroom is stopping';

/** Why a look found the process not to be signalled, in words. */
function whyOf(found: Exclude<Recheck, { kind: 'same' }>): string {
  switch (found.kind) {
    case 'gone':
      return 'it is gone';
    case 'replaced':
      return 'its pid now belongs to another process';
    case 'keep':
      return found.why;
  }
}

/** True once the pid is free, polling with signal 0 until `ms` have passed or `stop` aborts. */
async function exited(deps: EscalationDeps, pid: number, ms: number): Promise<boolean> {
  const { signaller, clock, stop } = deps;
  const deadline = clock.now() + ms;
  for (;;) {
    if (!signaller.alive(pid)) return true;
    if (clock.now() >= deadline || stop?.aborted) return false;
    await clock.sleep(Math.min(EXIT_POLL_MS, Math.max(0, deadline - clock.now())), stop);
  }
}

/**
 * SIGTERM, then (with `kill`) SIGKILL after the grace, each right after a look that says the pid
 * is still the process chosen. A pid that is freed and taken again by another process during the
 * grace still answers signal 0: the look before SIGKILL tells it, and no SIGKILL is sent.
 */
export async function escalate(deps: EscalationDeps, escalation: Escalation): Promise<EscalationOutcome> {
  const { signaller, clock, stop } = deps;
  const { pid, recheck, graceMs, kill, onSignal } = escalation;
  const startedAt = clock.now();
  const afterMs = (): number => clock.now() - startedAt;

  if (stop?.aborted) return { kind: 'left-alone', why: STOPPING, sent: null, gone: false };
  const before = await recheck();
  if (before.kind !== 'same') return { kind: 'left-alone', why: whyOf(before), sent: null, gone: before.kind !== 'keep', found: before.kind };
  // The look took time: headroom may have been told to stop meanwhile.
  if (stop?.aborted) return { kind: 'left-alone', why: STOPPING, sent: null, gone: false };
  if (!signaller.send(pid, 'SIGTERM')) {
    return signaller.alive(pid) ? { kind: 'left-alone', why: 'SIGTERM could not be sent', sent: null, gone: false } : { kind: 'left-alone', why: 'it is gone', sent: null, gone: true };
  }
  onSignal?.('SIGTERM');
  if (await exited(deps, pid, graceMs)) return { kind: 'exited', signal: 'SIGTERM', afterMs: afterMs() };
  if (stop?.aborted) return { kind: 'left-alone', why: kill ? `${STOPPING}: SIGKILL was not sent` : STOPPING, sent: 'SIGTERM', gone: false };
  if (!kill) return { kind: 'still-running', signal: 'SIGTERM', afterMs: afterMs() };

  const after = await recheck();
  if (after.kind === 'gone') return { kind: 'exited', signal: 'SIGTERM', afterMs: afterMs() };
  if (after.kind === 'replaced') return { kind: 'exited', signal: 'SIGTERM', afterMs: afterMs(), pidReused: true };
  if (after.kind === 'keep') return { kind: 'left-alone', why: `it outlived SIGTERM, and SIGKILL was not sent: ${after.why}`, sent: 'SIGTERM', gone: false };
  if (stop?.aborted) return { kind: 'left-alone', why: `${STOPPING}: SIGKILL was not sent`, sent: 'SIGTERM', gone: false };
  if (!signaller.send(pid, 'SIGKILL')) {
    return signaller.alive(pid)
      ? { kind: 'left-alone', why: 'it outlived SIGTERM, and SIGKILL could not be sent', sent: 'SIGTERM', gone: false }
      : { kind: 'exited', signal: 'SIGTERM', afterMs: afterMs() };
  }
  onSignal?.('SIGKILL');
  return (await exited(deps, pid, KILL_WAIT_MS)) ? { kind: 'exited', signal: 'SIGKILL', afterMs: afterMs() } : { kind: 'still-running', signal: 'SIGKILL', afterMs: afterMs() };
}
