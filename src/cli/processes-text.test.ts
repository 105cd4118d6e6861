import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../core/units.js';
import { fixedWindowServerStatus } from '../windowserver/watch.js';
import { processesLines, renderProcessesPreview, windowServerLines } from './processes-text.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

describe('windowServerLines', () => {
  it('says the health, pid and reason, the emergency, and a restart: a lost session, or one a logout explains', () => {
    const status = {
      ...fixedWindowServerStatus('unknown', ''),
      health: 'strained' as const,
      reason: 'CPU 95% of a core, at or over 70% for 12 s',
      pid: 372,
      emergency: 'WindowServer CPU 95%',
      restart: { detectedAt: NOW - 1000, previous: { pid: 300, startedAt: null, seenAt: 0 }, current: { pid: 372, startedAt: NOW - 7_200_000 }, duringRun: false, lostSession: true, evidence: ['x'] },
    };
    expect(windowServerLines(status, NOW)).toEqual([
      'display   WindowServer strained (pid 372: CPU 95% of a core, at or over 70% for 12 s), emergency',
      '          restarted without a reboot 2.0 h ago (pid 300 → 372): the GUI session was lost',
    ]);
    expect(windowServerLines({ ...status, restart: { ...status.restart, lostSession: false, evidence: [] } }, NOW)[1]).toBe(
      '          restarted without a reboot 2.0 h ago (pid 300 → 372): a logout, or a restart with no crash report',
    );
    expect(windowServerLines(fixedWindowServerStatus('not applicable', 'Linux has no WindowServer'), NOW)).toEqual(['display   WindowServer not applicable (Linux has no WindowServer)']);
  });
});

describe('processesLines', () => {
  it('lists the heaviest with their metric and age, and the guarded patterns\' last action', () => {
    const state = {
      heaviest: {
        sampledAt: NOW - 12_000,
        processes: [
          { pid: 61864, name: 'ollama', command: 'ollama runner', uid: 501, bytes: 5 * GiB, metric: 'footprint' as const },
          { pid: 5000, name: 'python', command: 'python -m mlx_lm.lora', uid: 501, bytes: 3 * GiB, metric: 'footprint' as const },
        ],
      },
      guarded: 2,
      dryRun: true,
      actions: [{ at: NOW - 180_000, pid: 5000, name: 'python', rule: 0, action: 'term' as const, memory: null, outcome: { kind: 'dry-run' as const }, dryRun: true }],
    };
    expect(processesLines(state, NOW)).toEqual([
      'heaviest  ollama 5.0 GiB, python 3.0 GiB (physical footprint, 12.0 s ago)',
      'guarded   2 patterns (dry run); last: python (pid 5000) 3 min ago: dry-run',
    ]);
    expect(processesLines({ heaviest: null, guarded: 0, dryRun: false, actions: [] }, NOW)).toEqual([
      'heaviest  not sampled yet (sampled while memory pressure is not normal; "headroom processes" samples now)',
    ]);
    expect(processesLines(null, NOW)).toEqual([]);
  });
});

describe('renderProcessesPreview', () => {
  it('prints the heaviest with notes, then each pattern with its matches', () => {
    const text = renderProcessesPreview({
      heaviest: [
        { pid: 61864, name: 'ollama', command: 'ollama runner', uid: 501, bytes: 5 * GiB, metric: 'footprint' },
        { pid: 77, name: 'pid 77', command: '', uid: null, bytes: 700 * MiB, metric: 'footprint' },
      ],
      notes: { 61864: 'protected: Ollama (freed by unloading models, never by a signal)' },
      rules: [
        { index: 0, pattern: 'mlx_lm\\.lora', stage: 'critical', action: 'term-then-kill', graceMs: 10_000, matches: [{ pid: 5000, name: 'python', command: 'python -m mlx_lm.lora', verdict: 'term-then-kill at critical' }] },
        { index: 1, pattern: 'foo', stage: 'warn', action: 'notify', graceMs: 10_000, matches: [] },
      ],
    });
    expect(text).toBe(
      [
        'heaviest processes, by physical footprint:',
        '    5.0 GiB  ollama               pid 61864   protected: Ollama (freed by unloading models, never by a signal)',
        '    700 MiB  pid 77               pid 77',
        'guarded #0 /mlx_lm\\.lora/: at critical, term-then-kill (grace 10.0 s)',
        '  pid 5000 python: term-then-kill at critical',
        'guarded #1 /foo/: at warn, notify',
        '  no process matches',
        '',
      ].join('\n'),
    );
    expect(renderProcessesPreview({ heaviest: [], notes: {}, rules: [] })).toBe('heaviest processes, by memory:\nno guarded patterns (processes.guarded in the config)\n');
  });
});
