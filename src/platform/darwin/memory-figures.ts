/**
 * Turns vm_stat pages and sysctl values into a MemorySnapshot. Pure.
 *
 * available = total − (anonymous − purgeable + wired + pages occupied by compressor), i.e. what
 * Activity Monitor calls "Memory Used" (App + Wired + Compressed) taken away from RAM. File cache
 * (file-backed and purgeable pages) counts as available because the kernel drops it on demand.
 */
import type { MemorySnapshot } from '../../core/memory.js';
import { parseSwapUsage, parseSysctlInteger, pressureFromDarwinLevel } from './sysctl.js';
import type { VmStatPages } from './vm-stat.js';

/** The sysctl names one sample asks for, in one call. */
export const MEMORY_SYSCTL_NAMES = [
  'hw.memsize',
  'vm.swapusage',
  'kern.memorystatus_vm_pressure_level',
  'kern.memorystatus_level',
] as const;

/** Bytes the kernel cannot hand out without paging: anonymous − purgeable + wired + compressor pages. */
export function darwinUsedBytes(pages: VmStatPages): number {
  const usedPages = Math.max(0, pages.anonymous - pages.purgeable) + pages.wired + pages.occupiedByCompressor;
  return usedPages * pages.pageSizeBytes;
}

/** Builds a snapshot from whatever was read; a missing part turns its fields to null and adds an error. */
export function darwinSnapshot(
  at: number,
  pages: VmStatPages | null,
  sysctl: ReadonlyMap<string, string> | null,
  errors: readonly string[],
): MemorySnapshot {
  const problems = [...errors];
  const attempt = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return null;
    }
  };

  const totalBytes = sysctl ? attempt(() => parseSysctlInteger('hw.memsize', sysctl.get('hw.memsize'))) : null;
  const swap = sysctl ? attempt(() => parseSwapUsage(sysctl.get('vm.swapusage'))) : null;
  const level = sysctl
    ? attempt(() => parseSysctlInteger('kern.memorystatus_vm_pressure_level', sysctl.get('kern.memorystatus_vm_pressure_level')))
    : null;
  const kernelFreePercent = sysctl
    ? attempt(() => parseSysctlInteger('kern.memorystatus_level', sysctl.get('kern.memorystatus_level')))
    : null;

  const availableBytes =
    pages && totalBytes !== null ? Math.max(0, totalBytes - darwinUsedBytes(pages)) : null;

  const snapshot: MemorySnapshot = {
    at,
    totalBytes,
    availableBytes,
    freeBytes: pages ? pages.free * pages.pageSizeBytes : null,
    wiredBytes: pages ? pages.wired * pages.pageSizeBytes : null,
    compressedBytes: pages ? pages.occupiedByCompressor * pages.pageSizeBytes : null,
    swapUsedBytes: swap ? swap.usedBytes : null,
    swapTotalBytes: swap ? swap.totalBytes : null,
    pressure: level === null ? 'unknown' : pressureFromDarwinLevel(level),
  };
  if (level !== null) snapshot.pressureReason = `kern.memorystatus_vm_pressure_level = ${level}`;
  if (kernelFreePercent !== null) snapshot.kernelFreePercent = kernelFreePercent;
  if (level !== null && snapshot.pressure === 'unknown') {
    problems.push(`sysctl: kern.memorystatus_vm_pressure_level is ${level}, not one of 1, 2, 4`);
  }
  if (problems.length > 0) snapshot.errors = problems;
  return snapshot;
}
