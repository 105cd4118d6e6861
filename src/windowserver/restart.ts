/**
 * Telling a WindowServer restart from a reboot, and a lost GUI session from a logout.
 * WindowServer's pid and start are kept in `windowserver.json` with the boot they were seen in;
 * a later run that finds another WindowServer in the same boot knows it restarted. A crash (a
 * watchdog kill under memory starvation) does that, and so does a logout: a gui/<uid> LaunchAgent
 * (headroom itself) ends with the session either way. So the restart is called a lost session
 * only on evidence: the run before ended without SIGTERM/SIGINT (a logout sends SIGTERM), or a
 * WindowServer crash report was written since the old WindowServer started. Pure.
 */
import { bootChanged } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';
import type { CrashReport, WindowServerProcess } from '../ports/windowserver.js';
import { formatDurationMs } from '../core/units.js';
import { parseJsonObject } from '../core/json-object.js';

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

/** A WindowServer restart without a reboot: an incident, a lost GUI session when the evidence says so. */
export interface WindowServerRestart {
  detectedAt: number;
  /** The one before; `seenAt`: when headroom first saw it (at start), or last read it (during a run). */
  previous: { pid: number; startedAt: number | null; seenAt: number };
  current: { pid: number; startedAt: number | null };
  /** true: seen while headroom ran; false: found at start, against the run before. */
  duringRun: boolean;
  /** True when the evidence says the session was lost (a crash), not ended (a logout). */
  lostSession: boolean;
  /** What says so, in words; empty when nothing does. */
  evidence: string[];
}

/** What is known about how the previous WindowServer ended. */
export interface RestartFacts {
  /** The previous headroom run ended without SIGTERM/SIGINT; null: not known (or seen during this run). */
  uncleanStop: boolean | null;
  /** WindowServer crash reports written since the previous WindowServer started. */
  crashReports: readonly CrashReport[];
}

/** When the previous WindowServer started, as far as known: the crash reports that count are the ones since. */
export function crashReportsSince(previous: WindowServerRestart['previous']): number {
  return previous.startedAt ?? previous.seenAt;
}

/** The evidence of a lost session: a run before that did not stop cleanly, crash reports. */
export function judgeRestart(facts: RestartFacts): Pick<WindowServerRestart, 'lostSession' | 'evidence'> {
  const evidence: string[] = [];
  if (facts.uncleanStop === true) evidence.push('the previous headroom run ended without SIGTERM (a logout sends one)');
  for (const report of facts.crashReports) evidence.push(`crash report ${report.file} (${new Date(report.at).toISOString()})`);
  return { lostSession: evidence.length > 0, evidence };
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
  const record = parseJsonObject(text) as Partial<WindowServerIdentity> | null;
  if (record === null) return null;
  const nullable = (value: unknown, type: 'string' | 'number'): boolean => value === null || typeof value === type;
  if (record.schemaVersion !== 1 || typeof record.pid !== 'number' || typeof record.startKey !== 'string' || typeof record.seenAt !== 'number') return null;
  if (!nullable(record.startedAt, 'number') || !nullable(record.bootId, 'string') || !nullable(record.bootedAt, 'number')) return null;
  return { schemaVersion: 1, pid: record.pid, startKey: record.startKey, startedAt: record.startedAt ?? null, bootId: record.bootId ?? null, bootedAt: record.bootedAt ?? null, seenAt: record.seenAt };
}

/** The notice: what restarted, when, and what that means, worded by the evidence. */
export function restartMessage(restart: WindowServerRestart): { title: string; message: string } {
  const when = restart.current.startedAt === null ? '' : ` ${formatDurationMs(Math.max(0, restart.detectedAt - restart.current.startedAt))} ago`;
  const where = restart.duringRun ? 'while headroom ran' : 'since headroom last ran';
  const what = `WindowServer restarted${when} ${where} (pid ${restart.previous.pid} → ${restart.current.pid}) without a reboot`;
  if (restart.lostSession) {
    return {
      title: 'headroom: the GUI session was lost',
      message:
        `${what}: the windows and apps of the session were closed (${restart.evidence.join('; ')}). ` +
        'This is what a WindowServer starved of memory ends in; see headroom logs for what led to it.',
    };
  }
  const checked = restart.duringRun ? 'no WindowServer crash report was found' : 'headroom stopped cleanly and no WindowServer crash report was found';
  return {
    title: 'headroom: WindowServer restarted',
    message: `${what}. A logout does this too; ${checked}, so nothing says the session was lost.`,
  };
}

/** The restart in one line, for the log and the status: a lost session, or a restart a logout explains. */
export function restartSummary(restart: Pick<WindowServerRestart, 'lostSession'>): string {
  return restart.lostSession ? 'the GUI session was lost' : 'a logout, or a restart with no crash report';
}
