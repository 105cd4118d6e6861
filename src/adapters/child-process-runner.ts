/**
 * The real CommandRunner, on node:child_process: the executable is resolved from the child's
 * PATH, arguments are an array (never a shell), the environment is a minimal allow-list, and a
 * timeout ends the whole process group (SIGTERM, then SIGKILL after a grace period) so a wedged
 * grandchild cannot keep the pipes open.
 *
 * Why not execa: the darwin sampler spawned one `sysctl` per second, and execa measured 3.27 ms
 * of parent CPU per spawn against 1.36 ms for child_process.spawn (npm run bench:spawn, docs/memory.md).
 * We used little of execa beyond spawn itself: the timeout and group kill are ours either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter, onLines } from './line-splitter.js';
import { closeQuietly, drainFifo, openFifo, type FifoEnds } from './polled-fifo.js';
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

  /** `onFifoError` hears why a `polled` stream fell back to a watched pipe. */
  constructor(
    private readonly parentEnv: NodeJS.ProcessEnv = process.env,
    private readonly onFifoError?: (reason: string) => void,
  ) {}

  get spawnCount(): number {
    return this.spawned;
  }

  run(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
    const started = performance.now();
    this.spawned += 1;
    const failed = (spawnError: string): CommandResult => ({
      file,
      args,
      exitCode: undefined,
      signal: undefined,
      stdout: '',
      stderr: '',
      timedOut: false,
      canceled: false,
      spawnError,
      durationMs: Math.round(performance.now() - started),
    });
    if (options.signal?.aborted) return Promise.resolve({ ...failed('canceled before it started'), canceled: true });
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(file, args, { env: { ...baseChildEnv(this.parentEnv), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      } catch (error) {
        // ENOMEM, E2BIG and friends throw at once instead of emitting "error".
        resolve(failed(spawnErrorText(error)));
        return;
      }
      let spawnError: string | undefined;
      child.on('error', (error) => {
        spawnError = spawnErrorText(error);
      });
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      let timedOut = false;
      let canceled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, options.timeoutMs);
      const onAbort = (): void => {
        canceled = true;
        killGroup(child.pid);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
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
    let child: ChildProcess | null = null;
    let spawnError: string | undefined;
    const env = baseChildEnv(this.parentEnv);
    let fifo: FifoEnds | null = null;
    if (handlers.polled) {
      this.spawned += 1;
      const opened = openFifo(env);
      if ('error' in opened) this.onFifoError?.(opened.error);
      else fifo = opened;
    }
    try {
      child = spawn(file, args, { env, stdio: ['pipe', fifo ? fifo.writeFd : 'pipe', 'pipe'], detached: true });
    } catch (error) {
      spawnError = spawnErrorText(error);
    }
    // The child has its own copy of the write end; ours would keep the FIFO from ever ending.
    if (fifo) closeQuietly(fifo.writeFd);
    let poll = (): void => undefined;
    const result = (exitCode: number | null, signal: NodeJS.Signals | null, stderrText: string, canceled: boolean): CommandResult => ({
      file,
      args,
      exitCode: spawnError === undefined && exitCode !== null ? exitCode : undefined,
      signal: signal ?? undefined,
      stdout: '',
      stderr: stderrText,
      timedOut: false,
      canceled,
      spawnError,
      durationMs: Math.round(performance.now() - started),
    });
    if (!child) {
      if (fifo) closeQuietly(fifo.readFd);
      return { pid: undefined, write: () => undefined, poll, stop: () => undefined, exited: Promise.resolve(result(null, null, '', false)) };
    }
    const spawned = child;
    spawned.on('error', (error) => {
      spawnError = spawnErrorText(error);
    });
    // With EMFILE the child comes back without pipes; it then only emits "error" and "close".
    let closeFifo = (): void => undefined;
    if (fifo) {
      const { readFd } = fifo;
      const splitter = new LineSplitter((line) => handlers.onLine(line));
      const buffer = Buffer.allocUnsafe(16 * 1024);
      let open = true;
      const end = (): void => {
        open = false;
        splitter.end();
        closeQuietly(readFd);
      };
      poll = () => {
        if (!open) return;
        try {
          if (drainFifo(readFd, buffer, splitter)) return;
        } catch {
          // A read error ends the stream as the end of the file does.
        }
        end();
      };
      closeFifo = () => {
        // Reads to the end; a grandchild that kept the write end open must not keep us reading.
        for (let reads = 0; open && reads < 64; reads++) poll();
        if (open) end();
      };
    } else if (spawned.stdout) onLines(spawned.stdout, (line) => handlers.onLine(line));
    if (spawned.stderr && handlers.onErrorLine) {
      const onErrorLine = handlers.onErrorLine;
      onLines(spawned.stderr, (line) => onErrorLine(line));
    }
    const stderr = spawned.stderr ? collect(spawned.stderr, 64 * 1024) : { text: () => '' };
    // A child that exits while we write must not crash the daemon with EPIPE.
    spawned.stdin?.on('error', () => undefined);
    let stopped = false;
    const exited = new Promise<CommandResult>((resolve) => {
      spawned.on('close', (code, signal) => {
        // What the child printed last reaches onLine before its exit is reported.
        closeFifo();
        resolve(result(code, signal, stderr.text(), stopped));
      });
    });
    return {
      pid: spawned.pid,
      write: (text) => {
        if (spawned.stdin?.writable) spawned.stdin.write(text);
      },
      poll,
      stop: () => {
        if (stopped) return;
        stopped = true;
        killGroup(spawned.pid);
      },
      exited,
    };
  }
}

/** "not found on PATH" for ENOENT, "not executable" for EACCES, else the error's own words. */
function spawnErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not found on PATH';
  if (code === 'EACCES') return 'not executable';
  return (error as Error).message;
}

function collect(stream: NodeJS.ReadableStream | null, limit = MAX_OUTPUT_BYTES): { text(): string } {
  if (!stream) return { text: () => '' };
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
