/**
 * `top -l 1 -stats pid,mem` on macOS: each process's physical footprint (`phys_footprint`, what
 * Activity Monitor's Memory column shows, Metal buffers and compressed pages included; `ps`'s
 * RSS misses both). Pure.
 *
 * Format facts from a public capture (a TypeScript project's parser notes, measured on a Mac,
 * 2026-08): a header block of varying height, then a `PID MEM` column header and one row per
 * process; MEM is left-aligned in five characters, so values carry trailing spaces (`12M  `);
 * units K and M were seen (M rounded to whole megabytes), G is printed by the header; a `+` or
 * `-` follows a value once top has an earlier frame to compare with.
 */
import type { MemoryUse } from '../../ports/processes.js';

const UNIT_BYTES: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The rows after the `PID MEM` header, in top's order; rows of any other shape are skipped. */
export function parseTopFootprints(text: string): MemoryUse[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /^\s*PID\s+MEM\s*$/.test(line));
  if (header < 0) return [];
  const uses: MemoryUse[] = [];
  for (const line of lines.slice(header + 1)) {
    const match = /^\s*(\d+)\s+(\d+(?:\.\d+)?)([BKMGT])[+-]?\s*$/.exec(line);
    const unit = match ? UNIT_BYTES[match[3] ?? ''] : undefined;
    if (!match || unit === undefined) continue;
    uses.push({ pid: Number(match[1]), bytes: Math.round(Number(match[2]) * unit), metric: 'footprint' });
  }
  return uses;
}
