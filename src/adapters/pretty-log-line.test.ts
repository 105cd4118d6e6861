import { describe, expect, it } from 'vitest';
import { createLinePrettifier } from './pretty-log-line.js';

const LINE = JSON.stringify({ level: 'warn', time: '2026-11-22T10:00:04.120Z', pid: 7, component: 'probe', msg: 'probes failed', model: 'qwen3:8b' });

describe('createLinePrettifier', () => {
  it('prints one line per event: time, level, [component], message, the other fields', () => {
    const text = createLinePrettifier(false)(LINE);
    expect(text).toMatch(/^\[2026-11-22 \d\d:\d\d:04\.120\] WARN: \[probe\] probes failed \{"model":"qwen3:8b"\}\n$/);
  });

  it('colours on a terminal', () => {
    expect(createLinePrettifier(true)(LINE)).toContain('\x1b[');
  });

  it('passes a line that is not JSON through (a crash trace)', () => {
    expect(createLinePrettifier(false)('TypeError: boom')).toBe('TypeError: boom\n');
  });
});
