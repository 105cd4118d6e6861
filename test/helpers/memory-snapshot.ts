/** Memory snapshots for tests that need one (not a capture: the figures are chosen per test). */
import type { MemorySnapshot } from '../../src/core/memory.js';
import { GiB } from '../../src/core/units.js';

/** A 64 GiB machine at normal pressure with `availableGiB` available. */
export function memorySnapshot(fields: Partial<MemorySnapshot> & { availableGiB?: number } = {}): MemorySnapshot {
  const { availableGiB = 40, ...rest } = fields;
  return {
    at: Date.UTC(2026, 10, 21, 12),
    totalBytes: 64 * GiB,
    availableBytes: availableGiB * GiB,
    freeBytes: 2 * GiB,
    wiredBytes: 4 * GiB,
    compressedBytes: 1 * GiB,
    swapUsedBytes: 0,
    swapTotalBytes: 0,
    pressure: 'normal',
    ...rest,
  };
}
