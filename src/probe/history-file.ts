/**
 * probes.json: the last runs, oldest first, written by whoever ran them (the daemon or the CLI)
 * with a private temporary file renamed over the old one. A file that cannot be read is moved
 * aside (probes.json.bad-<time>), never overwritten, and the history starts again.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ProbeRun } from './types.js';

/** The runs kept, and what was wrong with the file if it could not be used. */
export interface LoadedHistory {
  runs: ProbeRun[];
  problem: string | null;
}

/** Where the runs are kept. */
export interface ProbeHistory {
  load(): LoadedHistory;
  /** Adds `run` and keeps the newest ones; returns them. */
  append(run: ProbeRun): ProbeRun[];
}

/** The runs of probes.json, in a file. */
export class ProbeHistoryFile implements ProbeHistory {
  constructor(
    readonly file: string,
    private readonly keepRuns: number,
    private readonly now: () => number = Date.now,
  ) {}

  load(): LoadedHistory {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], problem: null };
      return { runs: [], problem: `${this.file}: cannot read: ${(error as Error).message}` };
    }
    const runs = parseRuns(text);
    if (runs) return { runs, problem: null };
    const aside = `${this.file}.bad-${this.now()}`;
    try {
      renameSync(this.file, aside);
    } catch (error) {
      return { runs: [], problem: `${this.file}: not a probe history, and it could not be moved aside: ${(error as Error).message}` };
    }
    return { runs: [], problem: `${this.file}: not a probe history (schemaVersion 1); moved to ${aside}` };
  }

  append(run: ProbeRun): ProbeRun[] {
    const runs = [...this.load().runs, run].slice(-this.keepRuns);
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ schemaVersion: 1, runs })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    return runs;
  }
}

function parseRuns(text: string): ProbeRun[] | null {
  try {
    const data = JSON.parse(text) as { schemaVersion?: unknown; runs?: unknown };
    if (data.schemaVersion !== 1 || !Array.isArray(data.runs)) return null;
    const runs = data.runs as Array<Partial<ProbeRun>>;
    return runs.every((run) => typeof run.startedAt === 'number' && typeof run.outcome === 'string' && Array.isArray(run.results)) ? (runs as ProbeRun[]) : null;
  } catch {
    return null;
  }
}
