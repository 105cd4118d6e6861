import { describe, expect, it } from 'vitest';
import type { MemorySnapshot } from '../core/memory.js';
import { GiB } from '../core/units.js';
import { renderStatus, usageBar } from './status-text.js';

const AT = Date.UTC(2026, 10, 21, 12, 0, 0);
const memory: MemorySnapshot = {
  at: AT,
  totalBytes: 32 * GiB,
  availableBytes: 8 * GiB,
  freeBytes: 1 * GiB,
  wiredBytes: 2 * GiB,
  compressedBytes: 3 * GiB,
  swapUsedBytes: 9 * GiB,
  swapTotalBytes: 10 * GiB,
  pressure: 'warn',
  pressureReason: 'kern.memorystatus_vm_pressure_level = 2',
};

describe('usageBar', () => {
  it('fills the used share', () => {
    expect(usageBar(75, 100, 8)).toBe('[██████░░]');
    expect(usageBar(0, 100, 4)).toBe('[░░░░]');
    expect(usageBar(150, 100, 4)).toBe('[████]');
    expect(usageBar(1, 0, 4)).toBe('[░░░░]');
  });
});

describe('renderStatus', () => {
  it('shows the daemon, a bar, pressure with its reason, and swap', () => {
    expect(renderStatus(memory, { pid: 77, lastSampleAt: AT - 400 }, AT)).toBe(
      [
        'daemon    running (pid 77, last sample 400 ms ago)',
        'memory    [███████████████████████░░░░░░░] 75% used',
        '          24.0 GiB used, 8.0 GiB available of 32.0 GiB',
        '          wired 2.0 GiB, compressed 3.0 GiB, free 1.0 GiB',
        'pressure  warn (kern.memorystatus_vm_pressure_level = 2)',
        'swap      9.0 GiB used of 10.0 GiB (90%)',
        '',
      ].join('\n'),
    );
  });

  it('says when it sampled itself and lists what failed', () => {
    const text = renderStatus(
      { ...memory, totalBytes: null, availableBytes: null, swapUsedBytes: null, pressure: 'unknown', errors: ['sysctl: timed out after 2000 ms'] },
      null,
      AT,
    );
    expect(text).toContain('daemon    not running (sampled just now)');
    expect(text).toContain('memory    unknown (total n/a, available n/a)');
    expect(text).toContain('swap      unknown');
    expect(text).toContain('error     sysctl: timed out after 2000 ms');
  });
});
