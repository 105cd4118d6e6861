/**
 * Pure parsers for `sysctl name…` output. We always ask without `-n`, so every line carries its
 * name: with `-n`, a missing key drops its line and shifts every value after it.
 */
import type { Pressure } from '../../core/memory.js';
import { MiB } from '../../core/units.js';

/** Thrown when a sysctl value cannot be read; the message names the key. */
export class SysctlParseError extends Error {
  override name = 'SysctlParseError';
}

/** Splits `name: value` lines into a map; lines without a `name: ` prefix (stderr noise, `-n` output) are skipped. */
export function parseSysctlPairs(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of text.split('\n')) {
    // Values may hold colons (kern.boottime prints a clock time), names never do: split on the
    // first. Every sysctl name is dotted, which keeps "sysctl: unknown oid …" out.
    const match = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+): ?(.*)$/.exec(line.trimEnd());
    if (match?.[1] !== undefined && match[2] !== undefined) pairs.set(match[1], match[2].trim());
  }
  return pairs;
}

/** Reads a non-negative integer value such as `hw.memsize`. */
export function parseSysctlInteger(name: string, value: string | undefined): number {
  if (value === undefined) throw new SysctlParseError(`sysctl: ${name} is missing from the output`);
  if (!/^\d+$/.test(value)) throw new SysctlParseError(`sysctl: ${name} is not an integer: ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new SysctlParseError(`sysctl: ${name} is out of range: ${value}`);
  return n;
}

/** Swap use in bytes, from `vm.swapusage`. */
export interface SwapUsage {
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
}

const SWAP_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: MiB, G: 1024 * MiB };

/** Parses `total = 14336.00M  used = 13262.06M  free = 1073.94M  (encrypted)`; `(encrypted)` is optional. */
export function parseSwapUsage(value: string | undefined): SwapUsage {
  if (value === undefined) throw new SysctlParseError('sysctl: vm.swapusage is missing from the output');
  const read = (field: string): number => {
    const match = new RegExp(`\\b${field} = (\\d+(?:\\.\\d+)?)([KMG]?)\\b`).exec(value);
    if (!match?.[1]) throw new SysctlParseError(`sysctl: vm.swapusage has no "${field} = N" figure: ${JSON.stringify(value)}`);
    return Math.round(Number(match[1]) * (SWAP_UNITS[match[2] ?? ''] ?? 1));
  };
  return { totalBytes: read('total'), usedBytes: read('used'), freeBytes: read('free') };
}

/**
 * Maps kern.memorystatus_vm_pressure_level to a level. The kernel answers with the dispatch
 * levels 1 (normal), 2 (warn) and 4 (critical) (XNU kern_memorystatus_notify.c); anything else
 * is unknown rather than guessed.
 */
export function pressureFromDarwinLevel(level: number): Pressure {
  switch (level) {
    case 1:
      return 'normal';
    case 2:
      return 'warn';
    case 4:
      return 'critical';
    default:
      return 'unknown';
  }
}
