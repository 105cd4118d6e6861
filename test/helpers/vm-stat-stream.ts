/**
 * Derives `vm_stat N` streaming output from a captured one-shot `vm_stat`, following the format
 * strings of system_cmds vm_stat.c (banner, `%8s` header, `%*llu` cells with K/M/G shortening,
 * a space after each cell). No Apple Silicon streaming capture exists that its author did not
 * edit (test/fixtures/darwin/SOURCES.md), so tests that need one use this and say so. The first
 * row after a banner holds totals since boot, which is what the one-shot output shows.
 */

const COLUMNS: Array<[string, string, number]> = [
  ['free', 'Pages free', 8],
  ['active', 'Pages active', 8],
  ['specul', 'Pages speculative', 8],
  ['inactive', 'Pages inactive', 8],
  ['throttle', 'Pages throttled', 8],
  ['wired', 'Pages wired down', 8],
  ['prgable', 'Pages purgeable', 8],
  ['faults', 'Translation faults', 8],
  ['copy', 'Pages copy-on-write', 8],
  ['0fill', 'Pages zero filled', 8],
  ['reactive', 'Pages reactivated', 8],
  ['purged', 'Pages purged', 8],
  ['file-backed', 'File-backed pages', 11],
  ['anonymous', 'Anonymous pages', 9],
  ['cmprssed', 'Pages stored in compressor', 8],
  ['cmprssor', 'Pages occupied by compressor', 8],
  ['dcomprs', 'Decompressions', 8],
  ['comprs', 'Compressions', 8],
  ['pageins', 'Pageins', 8],
  ['pageout', 'Pageouts', 8],
  ['swapins', 'Swapins', 8],
  ['swapouts', 'Swapouts', 8],
];

function cell(value: number, width: number): string {
  const plain = String(value).padStart(width);
  if (plain.length <= width) return plain;
  for (const [divisor, suffix] of [[1e3, 'K'], [1e6, 'M'], [1e9, 'G']] as const) {
    const short = `${String(Math.floor(value / divisor)).padStart(width - 1)}${suffix}`;
    if (short.length <= width) return short;
  }
  return `${String(Math.floor(value / 1e9))}G`;
}

/**
 * Banner, header and one data row, as `vm_stat 1` prints them first. `movedPages` adds to the
 * one-shot's gauges by label (`{ 'Pages free': -131072 }`): an edit, for tests that need memory
 * to move, which no capture shows.
 */
export function deriveVmStatStream(oneShot: string, movedPages: Readonly<Record<string, number>> = {}): string {
  const lines = oneShot.split('\n');
  const values = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const colon = line.lastIndexOf(':');
    if (colon < 0) continue;
    values.set(line.slice(0, colon).trim().replace(/^"|"$/g, ''), Number(line.slice(colon + 1).trim().replace(/\.$/, '')));
  }
  for (const [label, pages] of Object.entries(movedPages)) {
    const value = values.get(label);
    if (value === undefined) throw new Error(`deriveVmStatStream: no "${label}" in the one-shot output`);
    if (value + pages < 0) throw new Error(`deriveVmStatStream: "${label}" would fall below 0 (${value} ${pages})`);
    values.set(label, value + pages);
  }
  const header = COLUMNS.map(([name, , width]) => name.padStart(width)).join(' ');
  const row = COLUMNS.map(([, label, width]) => `${cell(values.get(label) ?? 0, width)} `).join('');
  return `${lines[0]}\n${header}\n${row}\n`;
}
