/**
 * Pure parsers for macOS `vm_stat` output: the one-shot `Label: N.` format and the streaming
 * `vm_stat <interval>` table. Both yield the same page gauges; the page size always comes from
 * the banner ("page size of 16384 bytes" on Apple Silicon, 4096 on Intel), never from a constant.
 */

/** Page gauges read from vm_stat, in pages, plus the page size they are counted in. */
export interface VmStatPages {
  pageSizeBytes: number;
  free: number;
  active: number;
  inactive: number;
  speculative: number;
  wired: number;
  purgeable: number;
  fileBacked: number;
  anonymous: number;
  storedInCompressor: number;
  occupiedByCompressor: number;
}

type Gauge = Exclude<keyof VmStatPages, 'pageSizeBytes'>;

/** The one-shot labels we read; every other label (cumulative counters, macOS 26 `Pages tagged*`) is ignored. */
const SNAPSHOT_LABELS: Readonly<Record<string, Gauge>> = {
  'Pages free': 'free',
  'Pages active': 'active',
  'Pages inactive': 'inactive',
  'Pages speculative': 'speculative',
  'Pages wired down': 'wired',
  'Pages purgeable': 'purgeable',
  'File-backed pages': 'fileBacked',
  'Anonymous pages': 'anonymous',
  'Pages stored in compressor': 'storedInCompressor',
  'Pages occupied by compressor': 'occupiedByCompressor',
};

/** The streaming table's column names for the same gauges (system_cmds vm_stat.c `banner()`). */
const STREAM_COLUMNS: Readonly<Record<string, Gauge>> = {
  free: 'free',
  active: 'active',
  inactive: 'inactive',
  specul: 'speculative',
  wired: 'wired',
  prgable: 'purgeable',
  'file-backed': 'fileBacked',
  anonymous: 'anonymous',
  cmprssed: 'storedInCompressor',
  cmprssor: 'occupiedByCompressor',
};

const GAUGES = Object.values(SNAPSHOT_LABELS);
const BANNER = /^Mach Virtual Memory Statistics: \(page size of (\d+) bytes\)\s*$/;

/** Thrown when vm_stat output cannot give every gauge; the message names what is missing. */
export class VmStatParseError extends Error {
  override name = 'VmStatParseError';
}

/** Reads the page size from a vm_stat banner line, or null when the line is not a banner. */
export function parsePageSizeBanner(line: string): number | null {
  const match = BANNER.exec(line);
  if (!match?.[1]) return null;
  const size = Number(match[1]);
  return Number.isSafeInteger(size) && size > 0 ? size : null;
}

/** Parses one-shot `vm_stat` output: lines split on their last colon, unknown labels ignored. */
export function parseVmStat(text: string): VmStatPages {
  const lines = text.split('\n');
  const pageSizeBytes = parsePageSizeBanner(lines[0] ?? '');
  if (pageSizeBytes === null) {
    throw new VmStatParseError(`vm_stat: first line is not the "Mach Virtual Memory Statistics: (page size of N bytes)" banner: ${JSON.stringify(lines[0] ?? '')}`);
  }
  const found: Partial<Record<Gauge, number>> = {};
  for (const line of lines.slice(1)) {
    const colon = line.lastIndexOf(':');
    if (colon < 0) continue;
    const label = line.slice(0, colon).trim().replace(/^"|"$/g, '');
    const gauge = SNAPSHOT_LABELS[label];
    if (!gauge) continue;
    const raw = line.slice(colon + 1).trim().replace(/\.$/, '');
    if (!/^\d+$/.test(raw)) {
      throw new VmStatParseError(`vm_stat: "${label}" has a value that is not a page count: ${JSON.stringify(raw)}`);
    }
    found[gauge] = Number(raw);
  }
  return completePages(pageSizeBytes, found, 'vm_stat');
}

function completePages(pageSizeBytes: number, found: Partial<Record<Gauge, number>>, source: string): VmStatPages {
  const missing = GAUGES.filter((gauge) => found[gauge] === undefined);
  if (missing.length > 0) {
    throw new VmStatParseError(`${source}: missing ${missing.join(', ')}`);
  }
  return { pageSizeBytes, ...(found as Record<Gauge, number>) };
}

/**
 * Reads one streaming table cell: a page count, or a too-wide value vm_stat shortened to
 * thousands, millions or billions with a K, M or G suffix (`146832K`).
 */
export function parseStreamCell(cell: string): number | null {
  const match = /^(\d+)([KMG]?)$/.exec(cell);
  if (!match?.[1]) return null;
  const scale = match[2] === 'K' ? 1e3 : match[2] === 'M' ? 1e6 : match[2] === 'G' ? 1e9 : 1;
  return Number(match[1]) * scale;
}

/**
 * A line-at-a-time parser for `vm_stat <interval>`: it learns the page size from each banner and
 * the column order from each header, so a release that moves or adds columns still parses. The
 * gauges are current values on every row; only the counters (faults, pageins…) are deltas, and
 * the first row after a banner holds their totals since boot, which we do not read.
 */
export class VmStatStreamParser {
  private pageSizeBytes: number | null = null;
  private columns: string[] | null = null;

  /** Feeds one line; returns the gauges when the line is a data row, else null. */
  push(line: string): VmStatPages | null {
    const banner = parsePageSizeBanner(line);
    if (banner !== null) {
      this.pageSizeBytes = banner;
      this.columns = null;
      return null;
    }
    const cells = line.trim().split(/\s+/).filter((cell) => cell.length > 0);
    if (cells.length === 0) return null;
    if (cells.includes('free') && cells.includes('wired')) {
      this.columns = cells;
      return null;
    }
    if (this.pageSizeBytes === null || this.columns === null) {
      throw new VmStatParseError(`vm_stat stream: a data row came before its banner and header: ${JSON.stringify(line)}`);
    }
    if (cells.length !== this.columns.length) {
      throw new VmStatParseError(`vm_stat stream: row has ${cells.length} cells but the header has ${this.columns.length}: ${JSON.stringify(line)}`);
    }
    const found: Partial<Record<Gauge, number>> = {};
    this.columns.forEach((column, index) => {
      const gauge = STREAM_COLUMNS[column];
      if (!gauge) return;
      const value = parseStreamCell(cells[index] ?? '');
      if (value === null) {
        throw new VmStatParseError(`vm_stat stream: column "${column}" is not a page count: ${JSON.stringify(cells[index])}`);
      }
      found[gauge] = value;
    });
    return completePages(this.pageSizeBytes, found, 'vm_stat stream');
  }
}

/** A data row starts with a number (after vm_stat's right-aligning spaces); banners and headers start with a word. */
const DATA_ROW = /^\s*\d/;

/**
 * Keeps only the newest data row of a batch of lines, and parses it when asked: the sensor reads
 * five rows a sample from its FIFO and uses the last. Banners and headers are followed as they
 * come, and a row held when one arrives is parsed first, under the header it was printed under.
 */
export class LatestRowParser {
  private readonly parser = new VmStatStreamParser();
  private held: string | null = null;

  /** Feeds one line. Returns the held row's gauges when this line is a banner or a header, else null; throws what its parse throws. */
  push(line: string): VmStatPages | null {
    if (DATA_ROW.test(line)) {
      this.held = line;
      return null;
    }
    try {
      return this.take();
    } finally {
      this.parser.push(line);
    }
  }

  /** The newest row fed since the last `take`, parsed; null when there is none. */
  take(): VmStatPages | null {
    const row = this.held;
    this.held = null;
    return row === null ? null : this.parser.push(row);
  }
}

/** Parses a whole captured stream; returns every data row's gauges in order. */
export function parseVmStatStream(text: string): VmStatPages[] {
  const parser = new VmStatStreamParser();
  const rows: VmStatPages[] = [];
  for (const line of text.split('\n')) {
    const row = parser.push(line);
    if (row) rows.push(row);
  }
  return rows;
}
