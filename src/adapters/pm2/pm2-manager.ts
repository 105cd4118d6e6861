/**
 * ProcessManager on pm2, through the agent script (agent.ts), run with node through the command
 * runner: the agent's environment, and so pm2's daemon's, is PATH, HOME and PM2_HOME only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { AppSpec, ManagerStatus, ProcessManager } from '../../ports/process-manager.js';

/** The compiled agent, beside this file. */
export const AGENT_SCRIPT = fileURLToPath(new URL('./agent.js', import.meta.url));

/** What the manager needs. */
export interface Pm2ManagerOptions {
  runner: CommandRunner;
  /** headroom's own PM2_HOME (short: its sockets must fit in 104 bytes). */
  pm2Home: string;
  /** The node executable that runs the agent. */
  nodePath: string;
  /** Longest wait for one pm2 operation (starting pm2's daemon takes about a second). */
  timeoutMs: number;
}

/** pm2 in headroom's own PM2_HOME. */
export class Pm2Manager implements ProcessManager {
  constructor(private readonly options: Pm2ManagerOptions) {}

  describe(name: string): Promise<ManagerStatus> {
    // No pm2 daemon: answer without running the agent (about 70 ms of node and pm2 start-up).
    if (!this.daemonMayRun()) return Promise.resolve({ daemon: null, app: null });
    return this.agent('describe', { name });
  }

  start(spec: AppSpec): Promise<ManagerStatus> {
    return this.agent('start', spec);
  }

  async stop(name: string, killDaemon: boolean): Promise<void> {
    if (this.daemonMayRun()) await this.agent('stop', { name, killDaemon });
  }

  /** False only when pm2's pid file names no live process. */
  private daemonMayRun(): boolean {
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(this.options.pm2Home, 'pm2.pid'), 'utf8').trim());
    } catch {
      return false;
    }
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private async agent(operation: string, request: object): Promise<ManagerStatus> {
    const { runner, nodePath, pm2Home, timeoutMs } = this.options;
    const result = await runner.run(nodePath, [AGENT_SCRIPT, operation, JSON.stringify(request)], { timeoutMs, env: { PM2_HOME: pm2Home } });
    const answer = parseAnswer(result.stdout.trim().split('\n').at(-1) ?? '');
    if (answer?.ok && answer.status) return answer.status;
    const why = answer?.error ?? commandFailure(result) ?? `no answer: ${JSON.stringify(result.stdout.slice(0, 200))}`;
    throw new Error(`pm2 ${operation}: ${why}`);
  }
}

interface AgentAnswer {
  ok?: boolean;
  status?: ManagerStatus;
  error?: string;
}

function parseAnswer(line: string): AgentAnswer | null {
  try {
    return JSON.parse(line) as AgentAnswer;
  } catch {
    return null;
  }
}
