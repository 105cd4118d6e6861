/**
 * What a daemon learns at start about the run before it: whether the machine rebooted since,
 * and whether that run stopped cleanly. Each start records its pid, time and boot in `run.json`;
 * a SIGTERM or SIGINT writes the `clean-stop` marker at once (launchd SIGKILLs after its exit
 * timeout, so it cannot wait for the end). A start that finds a record but no marker follows an
 * unclean stop: headroom was killed, or the machine lost power or panicked.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BootIdentity } from '../ports/boot.js';
import { parseJsonObject } from '../core/json-object.js';

/** What each start writes to run.json. */
export interface RunRecord {
  schemaVersion: 1;
  pid: number;
  startedAt: number;
  bootId: string | null;
  bootedAt: number | null;
}

/** The run before this one, as its files left it. */
export interface PreviousRun {
  pid: number;
  startedAt: number;
  bootId: string | null;
  bootedAt: number | null;
  /** When the clean-stop marker says it was told to stop; null when there is no marker. */
  stoppedAt: number | null;
}

/** What a start knows about the run before it. */
export interface StartFacts {
  boot: BootIdentity;
  /** null: no earlier run recorded (first start, or an unreadable run.json). */
  previous: PreviousRun | null;
  /** true: the machine booted since the previous run; null: cannot tell (no previous run, no boot identity). */
  rebooted: boolean | null;
  /** true: the previous run ended without SIGTERM/SIGINT (killed, crashed, power cut); null: no previous run. */
  uncleanStop: boolean | null;
}

/**
 * kern.boottime and /proc/stat's btime move with clock steps (docs/colima-pm2.md A4), by
 * seconds; a reboot moves them by at least the uptime of the run before. Used only where no
 * boot id can be read.
 */
export const BOOT_TIME_TOLERANCE_MS = 60_000;

/** Whether the machine booted between a recorded boot and `boot`: the ids when both exist, else the boot times; null when neither can tell. */
export function bootChanged(before: { bootId: string | null; bootedAt: number | null }, boot: BootIdentity): boolean | null {
  if (before.bootId !== null && boot.id !== null) return before.bootId !== boot.id;
  if (before.bootedAt !== null && boot.bootedAt !== null) return Math.abs(before.bootedAt - boot.bootedAt) > BOOT_TIME_TOLERANCE_MS;
  return null;
}

/** Compares this boot with the previous run's. */
export function startFacts(previous: PreviousRun | null, boot: BootIdentity): StartFacts {
  if (previous === null) return { boot, previous, rebooted: null, uncleanStop: null };
  return { boot, previous, rebooted: bootChanged(previous, boot), uncleanStop: previous.stoppedAt === null };
}

/** Parses run.json; null for anything that is not a run record. */
export function parseRunRecord(text: string): RunRecord | null {
  const record = parseJsonObject(text) as Partial<RunRecord> | null;
  if (record === null) return null;
  const nullableString = (value: unknown): value is string | null => value === null || typeof value === 'string';
  const nullableNumber = (value: unknown): value is number | null => value === null || typeof value === 'number';
  if (record.schemaVersion !== 1 || typeof record.pid !== 'number' || typeof record.startedAt !== 'number') return null;
  if (!nullableString(record.bootId) || !nullableNumber(record.bootedAt)) return null;
  return { schemaVersion: 1, pid: record.pid, startedAt: record.startedAt, bootId: record.bootId, bootedAt: record.bootedAt };
}

/** run.json and the clean-stop marker in the state folder (mode 0600, written atomically). */
export class RunRecordFiles {
  readonly recordFile: string;
  readonly markerFile: string;

  constructor(stateDir: string) {
    this.recordFile = path.join(stateDir, 'run.json');
    this.markerFile = path.join(stateDir, 'clean-stop');
  }

  /** Reads what the previous run left: its record and its marker. */
  readPrevious(): PreviousRun | null {
    const record = parseRunRecord(readOrNull(this.recordFile) ?? '');
    if (record === null) return null;
    const marker = readOrNull(this.markerFile);
    const stoppedAt = marker === null ? null : Number.isFinite(Date.parse(marker.trim())) ? Date.parse(marker.trim()) : record.startedAt;
    return { pid: record.pid, startedAt: record.startedAt, bootId: record.bootId, bootedAt: record.bootedAt, stoppedAt };
  }

  /** At start: compares with the previous run, then records this one and clears the marker. */
  begin(pid: number, startedAt: number, boot: BootIdentity): StartFacts {
    const facts = startFacts(this.readPrevious(), boot);
    const record: RunRecord = { schemaVersion: 1, pid, startedAt, bootId: boot.id, bootedAt: boot.bootedAt };
    const tmp = `${this.recordFile}.tmp-${pid}`;
    writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(tmp, this.recordFile);
    rmSync(this.markerFile, { force: true });
    return facts;
  }

  /** At SIGTERM/SIGINT: writes the marker. Synchronous and small, so it lands before any forced exit. */
  markCleanStop(at: number): void {
    writeFileSync(this.markerFile, `${new Date(at).toISOString()}\n`, { mode: 0o600 });
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
