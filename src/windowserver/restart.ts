/**
 * Telling a lost GUI session from a reboot. WindowServer's pid and start are kept in
 * `windowserver.json` with the boot they were seen in; a later run that finds another
 * WindowServer in the same boot knows it restarted, and a gui/<uid> LaunchAgent (headroom
 * itself) dies with it: the session was lost. Pure, but for the notice's clock-free wording.
 */
import { bootChanged } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';
import type { WindowServerProcess } from '../ports/windowserver.js';
import { formatDurationMs } from '../core/units.js';

/** What windowserver.json holds: the WindowServer last seen, and in which boot. */
export interface WindowServerIdentity {
  schemaVersion: 1;
  pid: number;
  startKey: string;
  startedAt: number | null;
  bootId: string | null;
  bootedAt: number | null;
  /** When headroom first saw this WindowServer. */
  seenAt: number;
}

/** A WindowServer restart without a reboot: the GUI session was lost. */
export interface WindowServerRestart {
  detectedAt: number;
  /** The one before; `seenAt`: when headroom first saw it (at start), or last read it (during a run). */
  previous: { pid: number; startedAt: number | null; seenAt: number };
  current: { pid: number; startedAt: number | null };
  /** true: seen while headroom ran; false: found at start, against the run before. */
  duringRun: boolean;
}

/** first: nothing recorded; same: the same process; restarted: a new one in the same boot; rebooted; unknown: cannot tell which. */
export type IdentityChange = 'first' | 'same' | 'restarted' | 'rebooted' | 'unknown';

/**
 * True when two readings are the same process: the same pid and the same start. The start is
 * compared as an instant when both have one: a record written before ps ran in UTC holds its
 * start in the local time of then, which another time zone prints differently.
 */
export function sameProcess(a: Pick<WindowServerProcess, 'pid' | 'startKey' | 'startedAt'>, b: Pick<WindowServerProcess, 'pid' | 'startKey' | 'startedAt'>): boolean {
  if (a.pid !== b.pid) return false;
  return a.startedAt !== null && b.startedAt !== null ? a.startedAt === b.startedAt : a.startKey === b.startKey;
}

/**
 * Compares the WindowServer seen now with the one recorded: by pid and start. A different one is
 * a restart when the boot is the same, judged by the boot recorded beside it, else (an older
 * file without one) by whether the machine rebooted since the previous run.
 */
export function compareIdentity(stored: WindowServerIdentity | null, current: WindowServerProcess, boot: BootIdentity | null, rebootedSincePreviousRun: boolean | null): IdentityChange {
  if (stored === null) return 'first';
  if (sameProcess(stored, current)) return 'same';
  const rebooted = (boot ? bootChanged(stored, boot) : null) ?? rebootedSincePreviousRun;
  if (rebooted === null) return 'unknown';
  return rebooted ? 'rebooted' : 'restarted';
}

/** The record for `current`, seen at `at` in `boot`. */
export function identityOf(current: WindowServerProcess, boot: BootIdentity | null, at: number): WindowServerIdentity {
  return { schemaVersion: 1, pid: current.pid, startKey: current.startKey, startedAt: current.startedAt, bootId: boot?.id ?? null, bootedAt: boot?.bootedAt ?? null, seenAt: at };
}

/** Parses windowserver.json; null for anything else. */
export function parseIdentity(text: string): WindowServerIdentity | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Partial<WindowServerIdentity>;
  const nullable = (value: unknown, type: 'string' | 'number'): boolean => value === null || typeof value === type;
  if (record.schemaVersion !== 1 || typeof record.pid !== 'number' || typeof record.startKey !== 'string' || typeof record.seenAt !== 'number') return null;
  if (!nullable(record.startedAt, 'number') || !nullable(record.bootId, 'string') || !nullable(record.bootedAt, 'number')) return null;
  return { schemaVersion: 1, pid: record.pid, startKey: record.startKey, startedAt: record.startedAt ?? null, bootId: record.bootId ?? null, bootedAt: record.bootedAt ?? null, seenAt: record.seenAt };
}

/** The notice: the session was lost, when, and what that means. */
export function restartMessage(restart: WindowServerRestart): { title: string; message: string } {
  const when = restart.current.startedAt === null ? '' : ` ${formatDurationMs(Math.max(0, restart.detectedAt - restart.current.startedAt))} ago`;
  const where = restart.duringRun ? 'while headroom ran' : 'since headroom last ran';
  return {
    title: 'headroom: the GUI session was lost',
    message:
      `WindowServer restarted${when} ${where} (pid ${restart.previous.pid} → ${restart.current.pid}) without a reboot: ` +
      'the windows and apps of the session were closed. This is what a WindowServer starved of memory ends in; see headroom logs for what led to it.',
  };
}
