/**
 * The real CommandRunner, on node:child_process: the executable is resolved from the child's
 * PATH, arguments are an array (never a shell), the environment is a minimal allow-list, and a
 * timeout ends the whole process group (SIGTERM, then SIGKILL after a grace period) so a wedged
 * grandchild cannot keep the pipes open.
 *
 * Why not execa: the darwin sampler spawns one `sysctl` per second, and execa measured 2.0 ms of
 * parent CPU per spawn and +40 MiB RSS against 0.8 ms for child_process.spawn (docs/memory.md).
 * We used little of execa beyond spawn itself: the timeout and group kill are ours either way.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandResult, CommandRunner, LineStream, LineStreamHandlers, RunOptions } from '../ports/command-runner.js';

/** Time between SIGTERM and SIGKILL when a command overstays its timeout or is canceled. */
export const KILL_GRACE_MS = 500;
/** Output kept per stream; a command that prints more is cut (and says so in stderr). */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The only parent variables a child sees, plus whatever a call adds explicitly. */
export function baseChildEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C', LC_ALL: 'C' };
  if (parent.PATH) env.PATH = parent.PATH;
  if (parent.HOME) env.HOME = parent.HOME;
  return env;
}

/** Runs commands with node:child_process; counts every child it starts. */
export class ChildProcessRunner implements CommandRunner {
  private spawned = 0;

  constructor(private readonly parentEnv: NodeJS.ProcessEnv = process.env) {}

  get spawnCount(): number {
    return this.spawned;
  }

  run(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
    const started = performance.now();
    this.spawned += 1;
    return new Promise((resolve) => {
      const child = spawn(file, args, {
        env: { ...baseChildEnv(this.parentEnv), ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      let timedOut = false;
      let canceled = false;
      let spawnError: string | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, options.timeoutMs);
      const onAbort = (): void => {
        canceled = true;
        killGroup(child.pid);
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error.code === 'ENOENT' ? 'not found on PATH' : error.code === 'EACCES' ? 'not executable' : error.message;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({
          file,
          args,
          exitCode: spawnError === undefined && code !== null ? code : undefined,
          signal: signal ?? undefined,
          stdout: stdout.text(),
          stderr: stderr.text(),
          timedOut,
          canceled: canceled && !timedOut,
          spawnError,
          durationMs: Math.round(performance.now() - started),
        });
      });
    });
  }

  streamLines(file: string, args: readonly string[], handlers: LineStreamHandlers): LineStream {
    const started = performance.now();
    this.spawned += 1;
    const child = spawn(file, args, { env: baseChildEnv(this.parentEnv), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => handlers.onLine(line));
    if (handlers.onErrorLine) {
      const onErrorLine = handlers.onErrorLine;
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => onErrorLine(line));
    }
    const stderr = collect(child.stderr, 64 * 1024);
    // A child that exits while we write must not crash the daemon with EPIPE.
    child.stdin.on('error', () => undefined);
    let stopped = false;
    let spawnError: string | undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error.code === 'ENOENT' ? 'not found on PATH' : error.message;
    });
    const exited = new Promise<CommandResult>((resolve) => {
      child.on('close', (code, signal) =>
        resolve({
          file,
          args,
          exitCode: spawnError === undefined && code !== null ? code : undefined,
          signal: signal ?? undefined,
          stdout: '',
          stderr: stderr.text(),
          timedOut: false,
          canceled: stopped,
          spawnError,
          durationMs: Math.round(performance.now() - started),
        }),
      );
    });
    return {
      pid: child.pid,
      write: (text) => {
        if (child.stdin.writable) child.stdin.write(text);
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        killGroup(child.pid);
      },
      exited,
    };
  }
}

function collect(stream: NodeJS.ReadableStream, limit = MAX_OUTPUT_BYTES): { text(): string } {
  // Keeps the first `limit` bytes; a command that prints more is cut, and the cut is marked.
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  stream.on('data', (chunk: Buffer) => {
    if (size >= limit) {
      truncated = true;
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  return {
    text: () => {
      const text = Buffer.concat(chunks).toString('utf8');
      return truncated ? `${text}\n[headroom: output cut at ${limit} bytes]` : text;
    },
  };
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
