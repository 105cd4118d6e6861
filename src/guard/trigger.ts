/** The pressure triggers, from one memory snapshot. Pure. */
import type { MemorySnapshot } from '../core/memory.js';
import { formatBytes } from '../core/units.js';
import type { GuardRules } from './types.js';

/** Which triggers hold in a snapshot, and why. `known` is false when nothing could be judged. */
export interface Trigger {
  known: boolean;
  warn: boolean;
  critical: boolean;
  reasons: string[];
}

/** The available-memory floor: the larger of `floorMinBytes` and `floorPercent` of RAM. */
export function floorBytes(totalBytes: number | null, rules: Pick<GuardRules, 'floorMinBytes' | 'floorPercent'>): number {
  return Math.max(rules.floorMinBytes, totalBytes === null ? 0 : (totalBytes * rules.floorPercent) / 100);
}

/**
 * warn: kernel pressure warn, or available under the floor, or swap over `swapUsedPercent` used
 * with less than `swapFreeMinBytes` free.
 * critical: kernel pressure critical, or available under half the floor.
 */
export function evaluateTrigger(memory: MemorySnapshot, rules: GuardRules): Trigger {
  const reasons: string[] = [];
  let warn = false;
  let critical = false;
  const floor = floorBytes(memory.totalBytes, rules);
  if (memory.pressure === 'critical') {
    critical = true;
    reasons.push('kernel pressure critical');
  } else if (memory.pressure === 'warn') {
    warn = true;
    reasons.push('kernel pressure warn');
  }
  if (memory.availableBytes !== null) {
    if (memory.availableBytes < floor / 2) {
      critical = true;
      reasons.push(`available ${formatBytes(memory.availableBytes)} < half the floor (${formatBytes(floor / 2)})`);
    } else if (memory.availableBytes < floor) {
      warn = true;
      reasons.push(`available ${formatBytes(memory.availableBytes)} < floor ${formatBytes(floor)}`);
    }
  }
  if (memory.swapUsedBytes !== null && memory.swapTotalBytes !== null && memory.swapTotalBytes > 0) {
    // macOS adds swap files as it needs them and removes them lazily, so "90 % of the swap files"
    // alone is common at normal pressure; the swap is nearly full when little of it is also free.
    const usedPercent = (memory.swapUsedBytes / memory.swapTotalBytes) * 100;
    const freeBytes = memory.swapTotalBytes - memory.swapUsedBytes;
    if (usedPercent > rules.swapUsedPercent && freeBytes < rules.swapFreeMinBytes) {
      warn = true;
      reasons.push(`swap ${usedPercent.toFixed(0)}% used (${formatBytes(freeBytes)} free)`);
    }
  }
  const known = memory.pressure !== 'unknown' || memory.availableBytes !== null;
  return { known, warn: warn || critical, critical, reasons };
}
