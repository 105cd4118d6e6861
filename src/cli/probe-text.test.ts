import { describe, expect, it } from 'vitest';
import type { ProbeRun } from '../probe/types.js';
import { probeLine, renderProbeRun, runVerdict } from './probe-text.js';

const NOW = Date.UTC(2026, 10, 21, 12);

function run(fields: Partial<ProbeRun> = {}): ProbeRun {
  return {
    startedAt: NOW - 5000,
    finishedAt: NOW - 4000,
    trigger: 'schedule',
    outcome: 'passed',
    reason: null,
    model: 'qwen3:8b',
    modelWhy: 'already loaded',
    results: [
      { probe: 'capital', verdict: 'pass', reason: null, answer: 'Paris.', latencyMs: 1234, tokensPerSecond: 41.26 },
      { probe: 'arithmetic', verdict: 'pass', reason: null, answer: '42, the sum.', latencyMs: 800, tokensPerSecond: null },
    ],
    ...fields,
  };
}

describe('renderProbeRun', () => {
  it('prints the model, a row per probe with latency and tokens/s, and the verdict', () => {
    expect(renderProbeRun(run())).toBe(
      [
        'model  qwen3:8b (already loaded)',
        'probe       verdict  latency  tokens/s  detail',
        'capital     pass     1.2 s    41.3      "Paris."',
        'arithmetic  pass     0.8 s    -         "42, the sum."',
        'passed: 2 of 2 probes',
        '',
      ].join('\n'),
    );
  });

  it('shows why a probe failed, and what headroom did about it', () => {
    const failed = run({
      outcome: 'failed',
      escalation: 'restarted Ollama',
      results: [{ probe: 'capital', verdict: 'timeout', reason: 'no answer within 300 ms', answer: null, latencyMs: 301, tokensPerSecond: null }],
    });
    expect(renderProbeRun(failed)).toContain('capital  timeout  0.3 s    -         no answer within 300 ms\nfailed: 1 of 1 probes\nrestarted Ollama\n');
  });
});

describe('runVerdict', () => {
  it('gives the reason of a skipped run, and of a run that reached no model', () => {
    expect(runVerdict(run({ outcome: 'skipped', reason: 'pressure: warn', results: [] }))).toBe('skipped: pressure: warn');
    const down = run({ outcome: 'failed', model: null, results: [{ probe: 'capital', verdict: 'error', reason: 'cannot reach x', answer: null, latencyMs: null, tokensPerSecond: null }] });
    expect(runVerdict(down)).toBe('failed: cannot reach x');
  });
});

describe('probeLine', () => {
  it('shows the last run, the failure streak and the next run', () => {
    const status = { schedule: '*/30 * * * *', nextRunAt: NOW + 18 * 60_000, running: false, failedRuns: 2, lastRun: null };
    expect(probeLine(run({ outcome: 'failed', results: [run().results[0]!, { ...run().results[1]!, verdict: 'fail', reason: 'x' }] }), status, NOW)).toBe(
      'probes    failed: 1 of 2 probes with qwen3:8b, 4.0 s ago (schedule); 2 failed runs in a row; next in 18 min',
    );
  });

  it('says when no run happened yet, and when probes are not scheduled', () => {
    expect(probeLine(null, { schedule: null, nextRunAt: null, running: false, failedRuns: 0, lastRun: null }, NOW)).toBe('probes    no run yet; not scheduled (probe.enabled is false)');
    expect(probeLine(null, null, NOW)).toBe('probes    no run yet');
  });
});
