import { describe, expect, it } from 'vitest';
import { escalationAfter, failureStreak } from './escalation.js';
import type { ProbeOutcome, ProbeRun, ProbeTrigger } from './types.js';

function run(outcome: ProbeOutcome, trigger: ProbeTrigger = 'schedule', escalation?: string): ProbeRun {
  return { startedAt: 0, finishedAt: 0, trigger, outcome, reason: null, model: 'm', modelWhy: null, results: [], ...(escalation ? { escalation } : {}) };
}

describe('failureStreak', () => {
  it('counts failed scheduled runs since the last pass, passing over skipped and CLI runs', () => {
    expect(failureStreak([run('failed'), run('passed'), run('failed'), run('skipped'), run('passed', 'cli'), run('failed', 'wake')])).toEqual({ failedRuns: 2, escalated: false });
  });

  it('notes a streak that already escalated', () => {
    expect(failureStreak([run('failed'), run('failed', 'schedule', 'restarted Ollama'), run('failed')])).toEqual({ failedRuns: 3, escalated: true });
  });
});

describe('escalationAfter', () => {
  it('restarts at the K-th failed run in a row, and not before', () => {
    expect(escalationAfter([], run('failed'), 2)).toEqual({ kind: 'none' });
    expect(escalationAfter([run('failed')], run('failed'), 2)).toEqual({ kind: 'restart', failedRuns: 2 });
  });

  it('does not count a skipped run as a failure, nor let it break the streak', () => {
    expect(escalationAfter([run('failed')], run('skipped'), 2)).toEqual({ kind: 'none' });
    expect(escalationAfter([run('failed'), run('skipped')], run('failed'), 2)).toEqual({ kind: 'restart', failedRuns: 2 });
  });

  it('restarts once per streak', () => {
    expect(escalationAfter([run('failed'), run('failed', 'schedule', 'restarted Ollama')], run('failed'), 2)).toEqual({ kind: 'none' });
  });

  it('reports the recovery of a streak that escalated, and only of such a streak', () => {
    expect(escalationAfter([run('failed'), run('failed', 'schedule', 'restarted Ollama'), run('failed')], run('passed'), 2)).toEqual({ kind: 'recovered', failedRuns: 3 });
    expect(escalationAfter([run('failed')], run('passed'), 2)).toEqual({ kind: 'none' });
  });

  it('leaves CLI runs out', () => {
    expect(escalationAfter([run('failed')], run('failed', 'cli'), 2)).toEqual({ kind: 'none' });
  });
});
