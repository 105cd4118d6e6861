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
 * warn: kernel pressure warn, or available under the floor, or swap over `swapUsedPercent`.
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
    const usedPercent = (memory.swapUsedBytes / memory.swapTotalBytes) * 100;
    if (usedPercent > rules.swapUsedPercent) {
      warn = true;
      reasons.push(`swap ${usedPercent.toFixed(0)}% used > ${rules.swapUsedPercent}%`);
    }
  }
  const known = memory.pressure !== 'unknown' || memory.availableBytes !== null;
  return { known, warn: warn || critical, critical, reasons };
}
