import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GiB } from '../core/units.js';
import type { LoadedModel } from '../ports/ollama.js';
import { fixturePath } from '../../test/helpers/fixtures.js';
import { memorySnapshot } from '../../test/helpers/memory-snapshot.js';
import { pressureProblem, requestSettings } from './request-plan.js';

const CONFIGURED = { keepAlive: '5m', contextLength: 4096 };

function loaded(expiresAt: number | null, contextLength: number | null = 8192): LoadedModel {
  return { name: 'm', sizeBytes: GiB, vramBytes: GiB, expiresAt, contextLength, digest: '', family: null, families: [] };
}

describe('pressureProblem', () => {
  it('allows a run at normal pressure with room above the floor', () => {
    expect(pressureProblem(memorySnapshot({ availableGiB: 20 }), 5 * GiB, 6 * GiB)).toBeNull();
  });

  it('refuses at warn, critical and unknown pressure', () => {
    for (const pressure of ['warn', 'critical', 'unknown'] as const) {
      expect(pressureProblem(memorySnapshot({ pressure }), 0, 0)).toBe(`pressure: ${pressure}`);
    }
  });

  it('refuses a load that would leave less than the floor, and one it cannot measure', () => {
    expect(pressureProblem(memorySnapshot({ availableGiB: 10 }), 5 * GiB, 6 * GiB)).toBe(
      "pressure: loading 5.0 GiB would leave 5.0 GiB of 10.0 GiB available, under the guard's floor of 6.0 GiB",
    );
    expect(pressureProblem(memorySnapshot({ availableBytes: null }), 5 * GiB, 6 * GiB)).toBe('pressure: available memory unknown, and loading needs 5.0 GiB');
  });
});

describe('requestSettings', () => {
  const now = Date.UTC(2026, 10, 21, 12);

  it('gives a model the probe loads the configured keep_alive and the probe context', () => {
    expect(requestSettings(null, now, CONFIGURED)).toEqual({ keepAlive: '5m', numCtx: 4096 });
  });

  it('keeps a loaded model\'s expiry and context', () => {
    expect(requestSettings(loaded(now + 90_500), now, CONFIGURED)).toEqual({ keepAlive: 91, numCtx: 8192 });
  });

  it('keeps a model loaded forever loaded forever (real /api/ps: expires_at in 2318)', () => {
    const ps = JSON.parse(readFileSync(fixturePath('ollama', 'ps-keepalive-forever.json'), 'utf8')) as { models: Array<{ expires_at: string; context_length: number }> };
    const model = ps.models[0]!;
    expect(requestSettings(loaded(Date.parse(model.expires_at), model.context_length), now, CONFIGURED)).toEqual({ keepAlive: -1, numCtx: 65536 });
  });

  it('falls back to the configured keep_alive for a model past or without an expiry, and omits an unknown context', () => {
    expect(requestSettings(loaded(now - 1000, null), now, CONFIGURED)).toEqual({ keepAlive: '5m', numCtx: undefined });
    expect(requestSettings(loaded(null), now, CONFIGURED)).toEqual({ keepAlive: '5m', numCtx: 8192 });
  });
});
