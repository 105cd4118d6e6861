/**
 * What a finished scheduled run leads to: after `failuresBeforeRestart` failed runs in a row,
 * restart Ollama once and notify; notify again when a run passes after that. Skipped runs and
 * runs from the CLI neither count nor break the streak. Pure: it reads the kept runs.
 */
import type { ProbeRun } from './types.js';

/** The escalation step after a run. */
export type Escalation =
  | { kind: 'none' }
  | { kind: 'restart'; failedRuns: number }
  | { kind: 'recovered'; failedRuns: number };

/** Failed scheduled runs at the end of `runs` (oldest first), skipped ones passed over; and whether that streak already escalated. */
export function failureStreak(runs: readonly ProbeRun[]): { failedRuns: number; escalated: boolean } {
  let failedRuns = 0;
  let escalated = false;
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i]!;
    if (run.trigger === 'cli' || run.outcome === 'skipped') continue;
    if (run.outcome === 'passed') break;
    failedRuns += 1;
    if (run.escalation !== undefined) escalated = true;
  }
  return { failedRuns, escalated };
}

/** The step after `run`, given the runs kept before it. */
export function escalationAfter(before: readonly ProbeRun[], run: ProbeRun, failuresBeforeRestart: number): Escalation {
  if (run.trigger === 'cli' || run.outcome === 'skipped') return { kind: 'none' };
  const streak = failureStreak(before);
  if (run.outcome === 'passed') return streak.escalated ? { kind: 'recovered', failedRuns: streak.failedRuns } : { kind: 'none' };
  const failedRuns = streak.failedRuns + 1;
  return failedRuns >= failuresBeforeRestart && !streak.escalated ? { kind: 'restart', failedRuns } : { kind: 'none' };
}
