/**
 * The real logger: pino writing JSON lines to the log file (synchronously, so the last lines
 * before a freeze reach the disk), and optionally pretty or JSON lines on stdout.
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { RotatingFile } from './rotating-file.js';
import path from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/schema.js';

/** Where and how to log. */
export interface LoggerOptions {
  level: Config['log']['level'];
  /** The JSON-lines file; null writes no file. */
  file: string | null;
  /** Rotation of the file (the daemon's); without it, lines are appended and never rotated (one-shot commands). */
  rotation?: { maxBytes: number; keepFiles: number } | undefined;
  stdout: Config['log']['stdout'];
  isTTY: boolean;
}

/** A pino logger plus a flush for shutdown. */
export interface LoggerHandle {
  logger: pino.Logger;
  flush(): void;
}

/**
 * Wraps the file destination so that a full disk (ENOSPC, exactly when macOS cannot grow swap)
 * or a vanished log folder drops log lines instead of throwing out of a log call and ending the
 * daemon. The first failure, and the recovery, are reported once on stderr.
 */
function failSafe(destination: RotatingFile, file: string): pino.DestinationStream {
  let failing = false;
  let lastError: Error | null = null;
  return {
    write(line: string): void {
      lastError = null;
      try {
        destination.write(line);
      } catch (error) {
        lastError = error as Error;
      }
      if (lastError && !failing) {
        failing = true;
        process.stderr.write(`headroom: cannot write ${file} (${lastError.message}); dropping log lines until it works again\n`);
      } else if (!lastError && failing) {
        failing = false;
        process.stderr.write(`headroom: writing ${file} again\n`);
      }
    },
  };
}

/** Builds the daemon's logger; creates the log folder (mode 0700) and file (mode 0600). */
export function createLogger(options: LoggerOptions): LoggerHandle {
  const streams: pino.StreamEntry[] = [];
  if (options.file) {
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    const rotation = options.rotation;
    const destination = new RotatingFile({ file: options.file, maxBytes: rotation?.maxBytes ?? Infinity, keepFiles: rotation?.keepFiles ?? 1, rotate: rotation !== undefined });
    if (lstatSync(options.file).isFile()) chmodSync(options.file, 0o600);
    streams.push({ level: options.level, stream: failSafe(destination, options.file) });
  }
  const stdoutMode = options.stdout === 'auto' ? (options.isTTY ? 'pretty' : 'off') : options.stdout;
  if (stdoutMode === 'pretty') {
    streams.push({
      level: options.level,
      stream: pretty({ colorize: options.isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
    });
  } else if (stdoutMode === 'json') {
    streams.push({ level: options.level, stream: pino.destination({ dest: 1, sync: true }) });
  }
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  );
  return { logger, flush: () => logger.flush() };
}
