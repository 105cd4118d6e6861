import { describe, expect, it } from 'vitest';
import { escalationAfter, NO_STREAK, type Streak } from './escalation.js';
import type { ProbeOutcome, ProbeRun, ProbeTrigger } from './types.js';

function run(outcome: ProbeOutcome, trigger: ProbeTrigger = 'schedule'): ProbeRun {
  return { startedAt: 0, finishedAt: 0, trigger, outcome, reason: null, model: 'm', modelWhy: null, results: [] };
}

/** Plays runs from no streak; returns each step's kind and the final streak. */
function play(outcomes: ProbeRun[], k = 2): { steps: string[]; streak: Streak } {
  let streak = NO_STREAK;
  const steps: string[] = [];
  for (const next of outcomes) {
    const after = escalationAfter(streak, next, k);
    steps.push(after.step.kind);
    streak = after.streak;
  }
  return { steps, streak };
}

describe('escalationAfter', () => {
  it('restarts at the K-th failed run in a row, and not before', () => {
    expect(play([run('failed'), run('failed')]).steps).toEqual(['none', 'restart']);
  });

  it('does not count a skipped run as a failure, nor let it break the streak', () => {
    expect(play([run('failed'), run('skipped'), run('failed')]).steps).toEqual(['none', 'none', 'restart']);
  });

  it('restarts once per streak, however long it lasts', () => {
    const { steps, streak } = play(Array.from({ length: 50 }, () => run('failed')));
    expect(steps.filter((step) => step === 'restart')).toHaveLength(1);
    expect(streak).toEqual({ failedRuns: 50, escalated: true });
  });

  it('reports the recovery of a streak that escalated, however many skipped runs came between', () => {
    const runs = [run('failed'), run('failed'), ...Array.from({ length: 30 }, () => run('skipped')), run('passed')];
    const { steps, streak } = play(runs);
    expect(steps.at(-1)).toBe('recovered');
    expect(escalationAfter({ failedRuns: 2, escalated: true }, run('passed'), 2).step).toEqual({ kind: 'recovered', failedRuns: 2 });
    expect(streak).toEqual(NO_STREAK);
  });

  it('reports no recovery for a streak that never escalated', () => {
    expect(play([run('failed'), run('passed')]).steps).toEqual(['none', 'none']);
  });

  it('leaves CLI runs out', () => {
    expect(play([run('failed'), run('failed', 'cli'), run('passed', 'cli')]).streak).toEqual({ failedRuns: 1, escalated: false });
  });
});
