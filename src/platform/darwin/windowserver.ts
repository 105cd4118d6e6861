/**
 * WindowServer on macOS: found by name (`pgrep -x WindowServer`; its path differs between
 * releases, its name does not), then followed by pid with one `ps -o … -p PID` per reading.
 */
import path from 'node:path';
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { ProcessInspector } from '../../ports/processes.js';
import type { WindowServerProcess, WindowServerSensor } from '../../ports/windowserver.js';
import { parseLstart } from './ps-details.js';

/** The process name pgrep matches, and the basename of its executable. */
export const WINDOWSERVER_NAME = 'WindowServer';

/** WindowServerSensor on pgrep and ps. */
export class DarwinWindowServerSensor implements WindowServerSensor {
  constructor(
    private readonly runner: CommandRunner,
    private readonly inspector: ProcessInspector,
    private readonly timeoutMs: number,
  ) {}

  async find(signal?: AbortSignal): Promise<number | null> {
    const result = await this.runner.run('pgrep', ['-x', WINDOWSERVER_NAME], { timeoutMs: this.timeoutMs, signal });
    // pgrep exits 1 when nothing matches.
    if (result.exitCode === 1) return null;
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    const pids = result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
    if (pids.length === 0) throw new Error(`pgrep -x ${WINDOWSERVER_NAME}: exited 0 without a pid`);
    return Math.min(...pids);
  }

  async read(pid: number, signal?: AbortSignal): Promise<WindowServerProcess | null> {
    const details = await this.inspector.get(pid, signal);
    // A pid reused by another program is WindowServer gone.
    if (!details || path.basename(details.command.split(' ')[0] ?? '') !== WINDOWSERVER_NAME) return null;
    if (details.cpuMs === null) throw new Error(`ps -p ${pid}: unreadable CPU time`);
    return { pid, startKey: details.startKey, startedAt: parseLstart(details.startKey), cpuMs: details.cpuMs };
  }
}
