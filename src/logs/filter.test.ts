import { describe, expect, it } from 'vitest';
import { lineMatches, parseLogLine, parseSince } from './filter.js';

const line = (fields: Record<string, unknown>): string => JSON.stringify({ level: 'info', time: '2026-11-22T10:00:00.000Z', pid: 1, msg: 'x', ...fields });
const NONE = { minLevel: null, sinceMs: null, component: null };

describe('parseLogLine', () => {
  it('reads headroom\'s level labels and ISO times, and pino\'s numeric levels', () => {
    expect(parseLogLine(line({ level: 'warn', component: 'guard' }))).toEqual({ level: 'warn', timeMs: Date.parse('2026-11-22T10:00:00.000Z'), component: 'guard' });
    expect(parseLogLine('{"level":50,"time":1795000000000}')).toEqual({ level: 'error', timeMs: 1795000000000, component: null });
  });

  it('is null for a line that is not JSON', () => {
    expect(parseLogLine('Error: boom')).toBeNull();
  });
});

describe('lineMatches', () => {
  it('keeps lines at the level and above', () => {
    const filter = { ...NONE, minLevel: 'warn' as const };
    expect(lineMatches(line({ level: 'info' }), filter)).toBe(false);
    expect(lineMatches(line({ level: 'warn' }), filter)).toBe(true);
    expect(lineMatches(line({ level: 'fatal' }), filter)).toBe(true);
  });

  it('keeps lines at or after --since', () => {
    const filter = { ...NONE, sinceMs: Date.parse('2026-11-22T10:00:00.000Z') };
    expect(lineMatches(line({ time: '2026-11-22T09:59:59.999Z' }), filter)).toBe(false);
    expect(lineMatches(line({}), filter)).toBe(true);
  });

  it('keeps one component', () => {
    const filter = { ...NONE, component: 'probe' };
    expect(lineMatches(line({ component: 'probe' }), filter)).toBe(true);
    expect(lineMatches(line({ component: 'guard' }), filter)).toBe(false);
    expect(lineMatches(line({}), filter)).toBe(false);
  });

  it('passes a line that is not JSON only when nothing is filtered', () => {
    expect(lineMatches('Error: boom', NONE)).toBe(true);
    expect(lineMatches('Error: boom', { ...NONE, minLevel: 'info' })).toBe(false);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-22T12:00:00.000Z');
  it('reads durations back from now', () => {
    expect(parseSince('2h', now)).toBe(now - 2 * 3_600_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('1.5d', now)).toBe(now - 1.5 * 86_400_000);
  });
  it('reads ISO dates and times', () => {
    expect(parseSince('2026-11-22T10:30:00Z', now)).toBe(Date.parse('2026-11-22T10:30:00Z'));
  });
  it('is null for anything else', () => {
    expect(parseSince('yesterday', now)).toBeNull();
    expect(parseSince('2 hours', now)).toBeNull();
  });
});
