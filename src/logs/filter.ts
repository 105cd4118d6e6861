/** `headroom logs`' filters: level, time and component, over pino's JSON lines. Pure. */
import { parseJsonObject } from '../core/json-object.js';

/** pino's levels, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One of pino's level names. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a line must match. */
export interface LogFilter {
  /** This level and above. */
  minLevel: LogLevel | null;
  /** Lines at or after this time (epoch ms). */
  sinceMs: number | null;
  /** The `component` field: daemon, guard, ollama, ollama-server, probe. */
  component: string | null;
}

/** The fields of a line the filters read; null for a line that is not pino JSON. */
export interface LogEntry {
  level: LogLevel | null;
  timeMs: number | null;
  component: string | null;
}

/** Reads a pino JSON line (level as a label, as headroom writes it, or as pino's number). */
export function parseLogLine(line: string): LogEntry | null {
  const record = parseJsonObject(line) as { level?: unknown; time?: unknown; component?: unknown } | null;
  if (record === null) return null;
  let level: LogLevel | null = null;
  if (typeof record.level === 'string' && (LOG_LEVELS as readonly string[]).includes(record.level)) level = record.level as LogLevel;
  else if (typeof record.level === 'number') level = LOG_LEVELS[Math.min(5, Math.max(0, Math.floor(record.level / 10) - 1))] ?? null;
  const timeMs = typeof record.time === 'string' ? Date.parse(record.time) : typeof record.time === 'number' ? record.time : NaN;
  return { level, timeMs: Number.isFinite(timeMs) ? timeMs : null, component: typeof record.component === 'string' ? record.component : null };
}

/** True when a line passes the filter. A line that is not JSON passes only when nothing is filtered. */
export function lineMatches(line: string, filter: LogFilter): boolean {
  if (filter.minLevel === null && filter.sinceMs === null && filter.component === null) return true;
  const entry = parseLogLine(line);
  if (!entry) return false;
  if (filter.minLevel !== null && (entry.level === null || LOG_LEVELS.indexOf(entry.level) < LOG_LEVELS.indexOf(filter.minLevel))) return false;
  if (filter.sinceMs !== null && (entry.timeMs === null || entry.timeMs < filter.sinceMs)) return false;
  if (filter.component !== null && entry.component !== filter.component) return false;
  return true;
}

/** `--since`: `90s`, `15m`, `2h`, `1d` before `nowMs`, or an ISO date or time; null when unreadable. */
export function parseSince(text: string, nowMs: number): number | null {
  const relative = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (relative?.[1] && relative[2]) {
    const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs - Number.parseFloat(relative[1]) * unitMs;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null;
  const absolute = Date.parse(text.trim());
  return Number.isFinite(absolute) ? absolute : null;
}
