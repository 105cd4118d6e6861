/**
 * What a finished scheduled run leads to: after `failuresBeforeRestart` failed runs in a row,
 * restart Ollama once and notify; notify again when a run passes after that. Skipped runs and
 * runs from the CLI neither count nor break the streak. Pure: the streak is kept beside the runs
 * in probes.json, so it outlives both a daemon restart and the runs dropped from the history.
 */
import type { ProbeRun } from './types.js';

/** Failed scheduled runs in a row, and whether this streak has already been acted on. */
export interface Streak {
  failedRuns: number;
  escalated: boolean;
}

/** No failure yet. */
export const NO_STREAK: Streak = { failedRuns: 0, escalated: false };

/** The escalation step after a run. */
export type Escalation =
  | { kind: 'none' }
  | { kind: 'restart'; failedRuns: number }
  | { kind: 'recovered'; failedRuns: number };

/** The step after `run`, and the streak that follows it. */
export function escalationAfter(streak: Streak, run: ProbeRun, failuresBeforeRestart: number): { step: Escalation; streak: Streak } {
  if (run.trigger === 'cli' || run.outcome === 'skipped') return { step: { kind: 'none' }, streak };
  if (run.outcome === 'passed') {
    return { step: streak.escalated ? { kind: 'recovered', failedRuns: streak.failedRuns } : { kind: 'none' }, streak: NO_STREAK };
  }
  const failedRuns = streak.failedRuns + 1;
  if (failedRuns >= failuresBeforeRestart && !streak.escalated) return { step: { kind: 'restart', failedRuns }, streak: { failedRuns, escalated: true } };
  return { step: { kind: 'none' }, streak: { failedRuns, escalated: streak.escalated } };
}
