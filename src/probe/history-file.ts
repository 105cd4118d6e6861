/**
 * probes.json: the last runs, oldest first, and the failure streak of the scheduled runs,
 * written by whoever ran them (the daemon or the CLI) with a private temporary file renamed over
 * the old one. A file that cannot be read is moved aside (probes.json.bad-<time>), never
 * overwritten, and the history starts again.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { NO_STREAK, type Streak } from './escalation.js';
import type { ProbeRun } from './types.js';

/** The runs kept and the streak, and what was wrong with the file if it could not be used. */
export interface LoadedHistory {
  runs: ProbeRun[];
  streak: Streak;
  problem: string | null;
}

/** Where the runs are kept. */
export interface ProbeHistory {
  /** `moveAside: false` for readers that must change nothing (`headroom status`). */
  load(options?: { moveAside?: boolean }): LoadedHistory;
  /** Adds `run` (and the streak after it, else the stored one stays) and keeps the newest runs; returns them. */
  append(run: ProbeRun, streak?: Streak): ProbeRun[];
}

/** The runs of probes.json, in a file. */
export class ProbeHistoryFile implements ProbeHistory {
  constructor(
    readonly file: string,
    private readonly keepRuns: number,
    private readonly now: () => number = Date.now,
  ) {}

  load(options: { moveAside?: boolean } = {}): LoadedHistory {
    const empty = { runs: [], streak: NO_STREAK };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...empty, problem: null };
      return { ...empty, problem: `${this.file}: cannot read: ${(error as Error).message}` };
    }
    const parsed = parseHistory(text);
    if (parsed) return { ...parsed, problem: null };
    if (options.moveAside === false) return { ...empty, problem: `${this.file}: not a probe history (schemaVersion 1)` };
    const aside = `${this.file}.bad-${this.now()}`;
    try {
      renameSync(this.file, aside);
    } catch (error) {
      return { ...empty, problem: `${this.file}: not a probe history, and it could not be moved aside: ${(error as Error).message}` };
    }
    return { ...empty, problem: `${this.file}: not a probe history (schemaVersion 1); moved to ${aside}` };
  }

  append(run: ProbeRun, streak?: Streak): ProbeRun[] {
    const before = this.load();
    const runs = [...before.runs, run].slice(-this.keepRuns);
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ schemaVersion: 1, streak: streak ?? before.streak, runs })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    return runs;
  }
}

function parseHistory(text: string): { runs: ProbeRun[]; streak: Streak } | null {
  try {
    const data = JSON.parse(text) as { schemaVersion?: unknown; runs?: unknown; streak?: Partial<Streak> };
    if (data.schemaVersion !== 1 || !Array.isArray(data.runs)) return null;
    const runs = data.runs as Array<Partial<ProbeRun>>;
    if (!runs.every((run) => typeof run.startedAt === 'number' && typeof run.outcome === 'string' && Array.isArray(run.results))) return null;
    const streak = data.streak;
    const valid = streak && typeof streak.failedRuns === 'number' && typeof streak.escalated === 'boolean';
    return { runs: runs as ProbeRun[], streak: valid ? { failedRuns: streak.failedRuns!, escalated: streak.escalated! } : NO_STREAK };
  } catch {
    return null;
  }
}
