/**
 * A pid's owner on macOS: `ps -o uid=,etime=,comm= -p PID` (one child per PID file; only during
 * a Docker check). ps exits 1 and prints nothing when no such process exists. comm is the
 * executable's path on macOS; etime is the elapsed time `[[dd-]hh:]mm:ss`.
 */
import path from 'node:path';
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { PidLookup, PidOwner } from '../../ports/pid-lookup.js';

/** Parses ps's elapsed time `[[dd-]hh:]mm:ss` to ms; null for anything else. */
export function parseEtime(text: string): number | null {
  const match = /^(?:(?:(\d+)-)?(\d+):)?(\d+):(\d+)$/.exec(text.trim());
  if (!match) return null;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** Parses the one line of `ps -o uid=,etime=,comm= -p PID`; null when it is not that line. */
export function parsePsOwnerLine(text: string, now: number): Extract<PidOwner, { state: 'alive' }> | null {
  const match = /^\s*(\d+)\s+([\d:-]+)\s+(\S.*?)\s*$/m.exec(text);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const elapsedMs = parseEtime(match[2]);
  return { state: 'alive', name: path.basename(match[3]), uid: Number(match[1]), startedAt: elapsedMs === null ? null : now - elapsedMs };
}

/** PidLookup on ps. */
export class DarwinPidLookup implements PidLookup {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  async lookup(pid: number, signal?: AbortSignal): Promise<PidOwner> {
    const result = await this.runner.run('ps', ['-o', 'uid=,etime=,comm=', '-p', String(pid)], { timeoutMs: this.timeoutMs, signal });
    if (result.exitCode === 1 && result.stdout.trim() === '') return { state: 'dead' };
    const failure = commandFailure(result);
    if (failure !== null) return { state: 'unknown', error: failure };
    return parsePsOwnerLine(result.stdout, this.now()) ?? { state: 'unknown', error: `ps -p ${pid}: unexpected output ${JSON.stringify(result.stdout.slice(0, 200))}` };
  }
}
