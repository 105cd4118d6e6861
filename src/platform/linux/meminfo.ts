/** Pure parser for /proc/meminfo. */

/** Thrown when /proc/meminfo lacks a figure we need; the message names it. */
export class MeminfoParseError extends Error {
  override name = 'MeminfoParseError';
}

/** One `Key:   123 kB` line; multiline and global, so one pass over the text finds them all. */
const LINE = /^([A-Za-z0-9_()]+):[ \t]+(\d+)(?:[ \t]+(kB))?[ \t]*\r?$/gm;

/** Parses `Key:   123 kB` lines into bytes (`kB` is KiB); lines without a number are skipped. */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  // One pass with one expression, not a split and an exec per line: it runs every sample.
  LINE.lastIndex = 0;
  for (let match = LINE.exec(text); match !== null; match = LINE.exec(text)) {
    values.set(match[1]!, Number(match[2]) * (match[3] === 'kB' ? 1024 : 1));
  }
  return values;
}

/** Reads one required figure in bytes. */
export function meminfoBytes(values: ReadonlyMap<string, number>, key: string): number {
  const value = values.get(key);
  if (value === undefined) throw new MeminfoParseError(`/proc/meminfo: ${key} is missing`);
  return value;
}
