/** A scripted CommandRunner: answers by argv, records every call, streams lines on demand. */
import type { CommandResult, CommandRunner, LineStream, LineStreamHandlers, RunOptions } from '../../src/ports/command-runner.js';

/** What a scripted command answers. */
export type FakeAnswer = Partial<Pick<CommandResult, 'exitCode' | 'signal' | 'stdout' | 'stderr' | 'timedOut' | 'spawnError'>>;

/** A stream the test drives by hand. */
export interface FakeStream {
  file: string;
  args: readonly string[];
  /** What the code under test wrote to the child's stdin. */
  written: string[];
  /** Called on each write, so a test can answer like the child would. */
  onWrite: ((text: string) => void) | null;
  /** A stdout line from the child: handed over at once, or, for a `polled` stream of a runner that holds polled lines, at the next poll. */
  emit(line: string): void;
  emitError(line: string): void;
  /** Whether the code under test asked for a polled stream. */
  polled: boolean;
  /** Lines emitted and not yet polled (only while the runner holds polled lines). */
  waiting: string[];
  /** Ends the stream as if the child exited with `exitCode`. */
  exit(exitCode?: number): void;
  stopped: boolean;
}

/** Records calls; `answer` decides each run's result. */
export class FakeRunner implements CommandRunner {
  readonly calls: Array<{ file: string; args: readonly string[]; options: RunOptions }> = [];
  readonly streams: FakeStream[] = [];
  spawnCount = 0;
  /** Hold a polled stream's lines until it is polled, as the real runner's FIFO does; else hand them over at once. */
  holdPolledLines = false;

  /**
   * `answer` decides each run's result; `onStream`, when given, sees each new stream, so a test
   * can set its `onWrite` and answer like a child that reads stdin.
   */
  constructor(
    private readonly answer: (file: string, args: readonly string[]) => FakeAnswer | Promise<FakeAnswer>,
    private readonly onStream?: (stream: FakeStream) => void,
  ) {}

  async run(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
    this.spawnCount += 1;
    this.calls.push({ file, args, options });
    const answer = await this.answer(file, args);
    return {
      file,
      args,
      exitCode: answer.spawnError !== undefined || answer.signal !== undefined ? undefined : (answer.exitCode ?? 0),
      signal: answer.signal,
      stdout: answer.stdout ?? '',
      stderr: answer.stderr ?? '',
      timedOut: answer.timedOut ?? false,
      canceled: false,
      spawnError: answer.spawnError,
      durationMs: 1,
    };
  }

  streamLines(file: string, args: readonly string[], handlers: LineStreamHandlers): LineStream {
    this.spawnCount += 1;
    let resolveExit: (result: CommandResult) => void = () => undefined;
    const exited = new Promise<CommandResult>((resolve) => {
      resolveExit = resolve;
    });
    const finish = (exitCode: number | undefined, signal: string | undefined): void =>
      resolveExit({ file, args, exitCode, signal, stdout: '', stderr: '', timedOut: false, canceled: stream.stopped, spawnError: undefined, durationMs: 1 });
    const stream: FakeStream = {
      file,
      args,
      written: [],
      onWrite: null,
      stopped: false,
      emit: (line) => {
        if (stream.polled && this.holdPolledLines) stream.waiting.push(line);
        else handlers.onLine(line);
      },
      polled: handlers.polled === true,
      waiting: [],
      emitError: (line) => handlers.onErrorLine?.(line),
      exit: (exitCode = 0) => finish(exitCode, undefined),
    };
    this.streams.push(stream);
    this.onStream?.(stream);
    return {
      pid: 4242,
      poll: () => {
        for (const line of stream.waiting.splice(0)) handlers.onLine(line);
      },
      write: (text) => {
        if (stream.stopped) return;
        stream.written.push(text);
        stream.onWrite?.(text);
      },
      stop: () => {
        stream.stopped = true;
        finish(undefined, 'SIGTERM');
      },
      exited,
    };
  }
}
