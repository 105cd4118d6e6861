/**
 * The real CommandRunner, on execa: the executable is resolved from PATH, arguments are an array,
 * the environment is a minimal allow-list, and a timeout ends the whole process group (SIGTERM,
 * then SIGKILL after a grace period) so a wedged grandchild cannot keep the pipes open.
 */
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { CommandResult, CommandRunner, LineStream, LineStreamHandlers, RunOptions } from '../ports/command-runner.js';

/** Time between SIGTERM and SIGKILL when a command overstays its timeout or is canceled. */
export const KILL_GRACE_MS = 500;

/** The only parent variables a child sees, plus whatever a call adds explicitly. */
export function baseChildEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C', LC_ALL: 'C' };
  if (parent.PATH) env.PATH = parent.PATH;
  if (parent.HOME) env.HOME = parent.HOME;
  return env;
}

/** Runs commands with execa; counts every child it starts. */
export class ExecaRunner implements CommandRunner {
  private spawned = 0;

  constructor(private readonly parentEnv: NodeJS.ProcessEnv = process.env) {}

  get spawnCount(): number {
    return this.spawned;
  }

  async run(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
    const started = performance.now();
    this.spawned += 1;
    const child = execa(file, args, {
      env: { ...baseChildEnv(this.parentEnv), ...options.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      detached: true,
      maxBuffer: 4 * 1024 * 1024,
    });
    let timedOut = false;
    let canceled = false;
    const stop = (): void => killGroup(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => {
      canceled = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await child;
      return {
        file,
        args,
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: typeof result.stdout === 'string' ? result.stdout : '',
        stderr: typeof result.stderr === 'string' ? result.stderr : '',
        timedOut,
        canceled: canceled && !timedOut,
        spawnError: spawnErrorOf(result),
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  streamLines(file: string, args: readonly string[], handlers: LineStreamHandlers): LineStream {
    const started = performance.now();
    this.spawned += 1;
    const child = execa(file, args, {
      env: baseChildEnv(this.parentEnv),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      buffer: { stdout: false, stderr: true },
      maxBuffer: 64 * 1024,
    });
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => handlers.onLine(line));
    }
    let stopped = false;
    const exited = child.then((result) => ({
      file,
      args,
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      timedOut: false,
      canceled: stopped,
      spawnError: spawnErrorOf(result),
      durationMs: Math.round(performance.now() - started),
    }));
    return {
      pid: child.pid,
      stop: () => {
        if (stopped) return;
        stopped = true;
        child.kill('SIGTERM');
      },
      exited,
    };
  }
}

function spawnErrorOf(result: { failed: boolean; code?: string | undefined; exitCode?: number | undefined; signal?: string | undefined }): string | undefined {
  if (!result.failed || result.exitCode !== undefined || result.signal !== undefined) return undefined;
  if (result.code === 'ENOENT') return 'not found on PATH';
  if (result.code === 'EACCES') return 'not executable';
  return result.code ?? 'could not start';
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  send('SIGTERM');
  setTimeout(() => send('SIGKILL'), KILL_GRACE_MS).unref();
}
