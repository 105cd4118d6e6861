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
  it('shows the daemon, a bar, pressure with its reason, swap, Ollama and the guard', () => {
    const ollama = {
      url: 'http://127.0.0.1:11434',
      status: 'ok' as const,
      readAt: AT,
      models: [
        { name: 'llama3.2:3b', sizeBytes: 3 * GiB, kind: 'text' as const },
        { name: 'llava:7b', sizeBytes: 6 * GiB, kind: 'vision' as const },
      ],
    };
    const guard = {
      level: 'warn' as const,
      dryRun: false,
      incident: { id: 2, startedAt: AT - 30_000, peak: 'warn' as const, unloaded: ['qwen3:8b'], noticeSent: true, attempted: [], emergency: null },
      unloading: ['gemma3:4b'],
      lastUnload: null,
    };
    expect(renderStatus(memory, { pid: 77, lastSampleAt: AT - 400 }, AT, { ollama, guard })).toBe(
      [
        'daemon    running (pid 77, last sample 400 ms ago)',
        'memory    [███████████████████████░░░░░░░] 75% used',
        '          24.0 GiB used, 8.0 GiB available of 32.0 GiB',
        '          wired 2.0 GiB, compressed 3.0 GiB, free 1.0 GiB',
        'pressure  warn (kern.memorystatus_vm_pressure_level = 2)',
        'swap      9.0 GiB used of 10.0 GiB (90%)',
        'ollama    ok at http://127.0.0.1:11434, loaded: llama3.2:3b (3.0 GiB), llava:7b (6.0 GiB, vision)',
        'guard     warn, incident 2 for 30.0 s, unloading gemma3:4b, unloaded qwen3:8b',
        '',
      ].join('\n'),
    );
  });

  it('says why Ollama is not readable, and when the guard is off', () => {
    const down = { url: 'http://127.0.0.1:11434', status: 'unreachable' as const, error: 'GET /api/ps: cannot reach http://127.0.0.1:11434 (ECONNREFUSED)', readAt: AT, models: [] };
    expect(renderStatus(memory, null, AT, { ollama: down })).toContain('ollama    unreachable (GET /api/ps: cannot reach http://127.0.0.1:11434 (ECONNREFUSED))');
    expect(renderStatus(memory, null, AT, { ollama: null })).toContain('ollama    not watched (guard.enabled is false)');
  });

  it('adds the docker line it is given, after the others', () => {
    const text = renderStatus(memory, null, AT, { docker: 'docker    healthy: Docker answers on /u/.colima/default/docker.sock (colima default)' });
    expect(text.trimEnd().split('\n').at(-1)).toBe('docker    healthy: Docker answers on /u/.colima/default/docker.sock (colima default)');
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
