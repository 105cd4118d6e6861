import { describe, expect, it } from 'vitest';
import type { MemorySnapshot, Pressure } from '../core/memory.js';
import { GiB } from '../core/units.js';
import { recheckUnload } from './recheck.js';
import type { GuardRules } from './types.js';

const RULES = {
  floorMinBytes: 4 * GiB,
  floorPercent: 10,
  swapUsedPercent: 90,
} as GuardRules;

function fresh(pressure: Pressure, availableGiB: number | null): MemorySnapshot {
  return {
    at: 0,
    totalBytes: 48 * GiB,
    availableBytes: availableGiB === null ? null : availableGiB * GiB,
    freeBytes: null,
    wiredBytes: null,
    compressedBytes: null,
    swapUsedBytes: null,
    swapTotalBytes: null,
    pressure,
  };
}

const critical = { kind: 'unload' as const, rule: 'critical' as const, models: ['a', 'b'], reason: '' };
const warn = { kind: 'unload' as const, rule: 'warn' as const, models: ['a'], reason: '' };
const oversize = { kind: 'unload' as const, rule: 'oversize' as const, models: ['big'], reason: '' };

describe('recheckUnload', () => {
  it('lets a critical unload through, narrows it to one model when memory eased to warn, and skips it on recovery', () => {
    expect(recheckUnload(critical, fresh('critical', 1), null, RULES)).toEqual({ models: ['a', 'b'] });
    expect(recheckUnload(critical, fresh('warn', 10), null, RULES)).toEqual({ models: ['a'], note: 'eased to warn: unloading one model' });
    expect(recheckUnload(critical, fresh('normal', 20), null, RULES)).toEqual({ skip: 'memory has recovered' });
  });

  it('lets a warn unload through only while warn holds', () => {
    expect(recheckUnload(warn, fresh('normal', 3), null, RULES)).toEqual({ models: ['a'] }); // under the floor
    expect(recheckUnload(warn, fresh('normal', 20), null, RULES)).toEqual({ skip: 'memory has recovered' });
  });

  it('acts on the first decision when the fresh sample failed', () => {
    expect(recheckUnload(warn, fresh('unknown', null), null, RULES)).toEqual({ models: ['a'], note: 'the fresh sample failed; acting on the first' });
  });

  it('unloads an oversize model while it is still loaded, whatever memory says', () => {
    expect(recheckUnload(oversize, fresh('normal', 40), ['big', 'x'], RULES)).toEqual({ models: ['big'] });
    expect(recheckUnload(oversize, fresh('normal', 40), ['x'], RULES)).toEqual({ skip: 'the model is no longer loaded' });
    expect(recheckUnload(oversize, fresh('normal', 40), null, RULES)).toEqual({ models: ['big'] });
  });
});
