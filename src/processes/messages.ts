/** The words of the runaway-process guard's notifications and log lines. Pure. */
import { formatBytes, formatDurationMs } from '../core/units.js';
import type { MemoryUse } from '../ports/processes.js';
import type { ProcessDecision } from './policy.js';

/** How an action on a guarded process ended. */
export type ActionOutcome =
  | { kind: 'notified' }
  | { kind: 'dry-run' }
  | { kind: 'left-alone'; why: string }
  | { kind: 'exited'; afterMs: number; signal: 'SIGTERM' | 'SIGKILL'; pidReused?: true }
  | { kind: 'still-running'; afterMs: number; signal: 'SIGTERM' | 'SIGKILL' };

/** "5.1 GiB footprint", "79.1 MiB RSS", or "memory unknown". */
export function memoryText(use: MemoryUse | null): string {
  if (!use) return 'memory unknown';
  const metric = use.metric === 'footprint' ? 'footprint' : use.metric.toUpperCase();
  return `${formatBytes(use.bytes)} ${metric}`;
}

const MAX_COMMAND_CHARS = 100;

/** The command line, cut to a readable length. */
function shortCommand(command: string): string {
  return command.length > MAX_COMMAND_CHARS ? `${command.slice(0, MAX_COMMAND_CHARS - 1)}…` : command;
}

/** What was (or would be) done, in one sentence. */
export function outcomeText(decision: ProcessDecision, outcome: ActionOutcome): string {
  const { action, graceMs } = decision.rule;
  switch (outcome.kind) {
    case 'notified':
      return 'headroom does not stop it (action: notify).';
    case 'dry-run':
      return action === 'term-then-kill'
        ? `Would send SIGTERM, then SIGKILL after ${formatDurationMs(graceMs)} (dry run).`
        : `Would send SIGTERM and wait ${formatDurationMs(graceMs)} for it to exit (dry run).`;
    case 'left-alone':
      return `Left alone: ${outcome.why}.`;
    case 'exited':
      if (outcome.pidReused) return `Sent SIGTERM: it exited within ${formatDurationMs(outcome.afterMs)}, and another process took its pid (left alone, no SIGKILL).`;
      return outcome.signal === 'SIGTERM'
        ? `Sent SIGTERM: it exited after ${formatDurationMs(outcome.afterMs)}.`
        : `Sent SIGTERM, then SIGKILL after ${formatDurationMs(graceMs)}: it is gone.`;
    case 'still-running':
      return outcome.signal === 'SIGTERM'
        ? `Sent SIGTERM: it still runs ${formatDurationMs(outcome.afterMs)} later (action: term, so no SIGKILL).`
        : `Sent SIGTERM, then SIGKILL: it still runs ${formatDurationMs(outcome.afterMs)} later.`;
  }
}

/** The notice: which process, its memory, why, and what was done. */
export function processNotice(decision: ProcessDecision, stage: 'warn' | 'critical', memory: MemoryUse | null, outcome: ActionOutcome): { title: string; message: string } {
  const stopped = outcome.kind === 'exited';
  return {
    title: stopped ? `headroom: stopped ${decision.name}` : `headroom: ${decision.name} is using ${memory ? formatBytes(memory.bytes) : 'memory'}`,
    message:
      `Memory pressure ${stage}: ${decision.name} (pid ${decision.pid}, ${memoryText(memory)}) matches guarded pattern /${decision.rule.pattern.source}/. ` +
      `${outcomeText(decision, outcome)} Command: ${shortCommand(decision.command)}`,
  };
}
