/** Pure parser for /proc/meminfo. */

/** Thrown when /proc/meminfo lacks a figure we need; the message names it. */
export class MeminfoParseError extends Error {
  override name = 'MeminfoParseError';
}

/** Parses `Key:   123 kB` lines into bytes (`kB` is KiB); lines without a number are skipped. */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    values.set(match[1], Number(match[2]) * (match[3] === 'kB' ? 1024 : 1));
  }
  return values;
}

/** Reads one required figure in bytes. */
export function meminfoBytes(values: ReadonlyMap<string, number>, key: string): number {
  const value = values.get(key);
  if (value === undefined) throw new MeminfoParseError(`/proc/meminfo: ${key} is missing`);
  return value;
}
