/** Bytes in one KiB, MiB, GiB. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Formats a byte count for people: "12.3 GiB", "512 MiB", "n/a" for null. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return 'n/a';
  const units: Array<[number, string]> = [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (Math.abs(bytes) >= size) {
      const value = bytes / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${name}`;
    }
  }
  return `${bytes} B`;
}

/** Formats a duration in milliseconds as "850 ms", "12.5 s", "3 min". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
