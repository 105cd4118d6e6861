/**
 * The real logger: pino writing JSON lines to the log file (synchronously, so the last lines
 * before a freeze reach the disk), and optionally pretty or JSON lines on stdout.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/schema.js';

/** Where and how to log. */
export interface LoggerOptions {
  level: Config['log']['level'];
  /** The JSON-lines file; null writes no file (one-shot CLI commands). */
  file: string | null;
  stdout: Config['log']['stdout'];
  isTTY: boolean;
}

/** A pino logger plus a flush for shutdown. */
export interface LoggerHandle {
  logger: pino.Logger;
  flush(): void;
}

/** Builds the daemon's logger; creates the log folder (mode 0700) and file (mode 0600). */
export function createLogger(options: LoggerOptions): LoggerHandle {
  const streams: pino.StreamEntry[] = [];
  if (options.file) {
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    const destination = pino.destination({ dest: options.file, sync: true, mode: 0o600 });
    chmodSync(options.file, 0o600);
    streams.push({ level: options.level, stream: destination });
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
