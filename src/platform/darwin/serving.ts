/**
 * Who serves on a port, on macOS: `lsof -nP -iTCP:PORT -sTCP:LISTEN -Fp` for the listeners,
 * `ps eww -o command= -p PID` for a process's environment (macOS shows it for the user's own
 * processes only), `launchctl list` for the Homebrew service's pid.
 */
import type { CommandRunner } from '../../ports/command-runner.js';
import type { ServerProbe } from '../../ports/serving.js';
import { parsePsEnvironment } from '../../ollama/safe-env.js';
import { findOllamaApp } from '../../ollama/serving.js';
import type { ProcessInfo } from '../../ports/processes.js';

/** Pids from lsof's field output: one `p<pid>` line per process. */
export function parseLsofPids(text: string): number[] {
  const pids = new Set<number>();
  for (const line of text.split('\n')) {
    const match = /^p(\d+)$/.exec(line.trim());
    if (match?.[1]) pids.add(Number(match[1]));
  }
  return [...pids];
}

/** `launchctl list` rows (`PID<TAB>Status<TAB>Label`, PID `-` when not running): the pid of a label, null when not running, undefined when absent. */
export function parseLaunchctlList(text: string, label: string): number | null | undefined {
  for (const line of text.split('\n')) {
    const [pid, , name] = line.split('\t');
    if (name?.trim() !== label) continue;
    return pid && /^\d+$/.test(pid.trim()) ? Number(pid.trim()) : null;
  }
  return undefined;
}

/** ServerProbe on lsof, ps and launchctl. */
export class DarwinServerProbe implements ServerProbe {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async portListeners(port: number): Promise<number[] | null> {
    const result = await this.runner.run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fp'], { timeoutMs: this.timeoutMs });
    if (result.spawnError !== undefined || result.timedOut) return null;
    // lsof exits 1 when nothing matches.
    return parseLsofPids(result.stdout);
  }

  async environment(pid: number): Promise<Record<string, string> | null> {
    const result = await this.runner.run('ps', ['eww', '-o', 'command=', '-p', String(pid)], { timeoutMs: this.timeoutMs });
    if (result.exitCode !== 0 || result.stdout.trim() === '') return null;
    return parsePsEnvironment(result.stdout);
  }

  ollamaApp(processes: readonly ProcessInfo[]): ProcessInfo | null {
    return findOllamaApp(processes);
  }

  async launchdServicePid(label: string): Promise<number | null | undefined> {
    const result = await this.runner.run('launchctl', ['list'], { timeoutMs: this.timeoutMs });
    if (result.exitCode !== 0) return undefined;
    return parseLaunchctlList(result.stdout, label);
  }
}
