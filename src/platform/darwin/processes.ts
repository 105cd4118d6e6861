/**
 * The process table on macOS, from `ps -axww -o pid=,ppid=,command=` (one child per read; the
 * guard reads it only while Ollama is busy loading a model) and `ps -o uid= -p PID`.
 */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { ProcessInfo, ProcessTable } from '../../ports/processes.js';

/** Parses `ps -o pid=,ppid=,command=` lines: two numbers, then the command line with its spaces. */
export function parsePsPidPpidCommand(text: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line);
    if (!match?.[1] || !match[2]) continue;
    processes.push({ pid: Number(match[1]), ppid: Number(match[2]), command: (match[3] ?? '').trim() });
  }
  return processes;
}

/** ProcessTable on ps. */
export class DarwinProcessTable implements ProcessTable {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async list(signal?: AbortSignal): Promise<ProcessInfo[]> {
    const result = await this.runner.run('ps', ['-axww', '-o', 'pid=,ppid=,command='], { timeoutMs: this.timeoutMs, signal });
    const failure = commandFailure(result);
    if (failure !== null) throw new Error(failure);
    return parsePsPidPpidCommand(result.stdout);
  }

  async ownerUid(pid: number): Promise<number | null> {
    const result = await this.runner.run('ps', ['-o', 'uid=', '-p', String(pid)], { timeoutMs: this.timeoutMs });
    const uid = result.stdout.trim();
    return result.exitCode === 0 && /^\d+$/.test(uid) ? Number(uid) : null;
  }
}
