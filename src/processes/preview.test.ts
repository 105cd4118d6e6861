import { describe, expect, it } from 'vitest';
import { GiB } from '../core/units.js';
import type { ProcessDetails } from '../ports/processes.js';
import { previewProcesses } from './preview.js';

function proc(pid: number, command: string, uid = 501, ppid = 390): ProcessDetails {
  return { pid, ppid, uid, startKey: `s${pid}`, command, rssBytes: null, cpuMs: null };
}

describe('previewProcesses', () => {
  it('lists each pattern\'s matches with what would happen, and notes the heaviest that are protected or guarded', () => {
    const processes = [
      proc(61864, '/Applications/Ollama.app/Contents/Resources/ollama runner --model x'),
      proc(5000, '/Users/u/venv/bin/python -m mlx_lm.lora --train'),
      proc(5001, '/Users/u/venv/bin/python -m mlx_lm.server'),
      proc(5002, '/Users/them/venv/bin/python -m mlx_lm.lora', 502),
      proc(4000, '/usr/bin/node dist/cli/main.js processes'),
    ];
    const rules = [
      { index: 0, pattern: /mlx_lm\.lora/, stage: 'critical' as const, action: 'term-then-kill' as const, graceMs: 10_000 },
      { index: 1, pattern: /mlx_lm|ollama/, stage: 'warn' as const, action: 'notify' as const, graceMs: 10_000 },
      { index: 2, pattern: /nothing-runs-this/, stage: 'warn' as const, action: 'term' as const, graceMs: 10_000 },
    ];
    const heaviest = [
      { pid: 61864, bytes: 5 * GiB, metric: 'footprint' as const },
      { pid: 5000, bytes: 3 * GiB, metric: 'footprint' as const },
      { pid: 77, bytes: GiB, metric: 'footprint' as const },
    ];
    const preview = previewProcesses({ processes, heaviest, rules, ownUid: 501, ownPid: 4000, protectedPids: [] });
    expect(preview.rules.map((r) => [r.index, r.matches.map((m) => [m.pid, m.verdict])])).toEqual([
      [
        0,
        [
          [5000, 'term-then-kill at critical'],
          [5002, "left alone, another user's (uid 502)"],
        ],
      ],
      [
        1,
        [
          [61864, 'left alone, protected: Ollama (freed by unloading models, never by a signal)'],
          [5001, 'notify at warn'],
        ],
      ],
      [2, []],
    ]);
    expect(preview.notes).toEqual({ 61864: 'protected: Ollama (freed by unloading models, never by a signal)', 5000: 'guarded #0: term-then-kill at critical' });
    expect(preview.heaviest.map((p) => [p.pid, p.name])).toEqual([
      [61864, 'ollama'],
      [5000, 'python'],
      [77, 'pid 77'],
    ]);
  });
});
