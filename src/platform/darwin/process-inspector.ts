/**
 * The process table in detail on macOS: `ps` for pids, owners, starts and command lines; `top`
 * for physical footprints. `top -l 1` takes about 0.7 s for all processes (a public measurement,
 * docs/windowserver.md), so it runs only while memory pressure is not normal.
 */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { MemoryUse, ProcessDetails, ProcessInspector } from '../../ports/processes.js';
import { parsePsDetails, PS_DETAIL_COLUMNS, PS_ENV } from './ps-details.js';
import { parseTopFootprints } from './top.js';

/** Longest wait for one `top -l 1`: it samples every process once. */
export const TOP_TIMEOUT_MS = 10_000;

/**
 * Longest wait for the whole table (`ps -axww`), at least the daemon's command timeout. A bound,
 * not a measurement: ps reads every process's arguments, which page in slowly under the very
 * pressure the guard acts at, and the 2 s meant for one sensor read could keep it from ever
 * finishing. It runs in the background, so a longer bound delays no sample.
 */
export const PS_TABLE_TIMEOUT_MS = 10_000;

/** ProcessInspector on ps and top. */
export class DarwinProcessInspector implements ProcessInspector {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async list(signal?: AbortSignal): Promise<ProcessDetails[]> {
    const result = await this.runner.run('ps', ['-axww', '-o', PS_DETAIL_COLUMNS], { timeoutMs: Math.max(PS_TABLE_TIMEOUT_MS, this.timeoutMs), signal, env: PS_ENV });
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    return parsePsDetails(result.stdout);
  }

  async get(pid: number, signal?: AbortSignal): Promise<ProcessDetails | null> {
    const result = await this.runner.run('ps', ['-ww', '-o', PS_DETAIL_COLUMNS, '-p', String(pid)], { timeoutMs: this.timeoutMs, signal, env: PS_ENV });
    // ps exits 1 and prints nothing when no process has the pid.
    if (result.exitCode === 1 && result.stdout.trim() === '') return null;
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    return parsePsDetails(result.stdout).find((p) => p.pid === pid) ?? null;
  }

  async heaviest(limit: number, signal?: AbortSignal): Promise<MemoryUse[]> {
    const result = await this.runner.run('top', ['-l', '1', '-o', 'mem', '-n', String(limit), '-stats', 'pid,mem'], { timeoutMs: TOP_TIMEOUT_MS, signal });
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    return parseTopFootprints(result.stdout)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, limit);
  }

  async memoryOf(pid: number, signal?: AbortSignal): Promise<MemoryUse | null> {
    const result = await this.runner.run('top', ['-l', '1', '-pid', String(pid), '-stats', 'pid,mem'], { timeoutMs: TOP_TIMEOUT_MS, signal });
    if (commandFailure(result) !== null) return null;
    return parseTopFootprints(result.stdout).find((use) => use.pid === pid) ?? null;
  }
}
