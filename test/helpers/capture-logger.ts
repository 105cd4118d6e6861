/** A Logger that keeps every entry in memory, for assertions on log events. */
import type { Logger } from '../../src/ports/logger.js';

/** One captured log call. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** Builds a capturing logger; children share the same entry list and add their bindings. */
export function captureLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const log = (level: LogEntry['level']) => (fields: object, message: string) => {
    entries.push({ level, message, fields: { ...bindings, ...(fields as Record<string, unknown>) } });
  };
  return {
    entries,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}
