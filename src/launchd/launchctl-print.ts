/**
 * Parses `launchctl print gui/<uid>/<label>`. The format is no API (man launchctl): only the
 * service block's own lines are read (one tab deep, `key = value`); nested blocks are skipped.
 * Pure.
 */

/** What `headroom service-status` shows. */
export interface ServiceState {
  /** `running`, `not running`, or what launchd says. */
  state: string;
  /** Only while running. */
  pid: number | null;
  /** How many times launchd started it. */
  runs: number | null;
  /** The last exit code; null when it never exited or was killed by a signal. */
  lastExitCode: number | null;
  /** `Terminated: 15` → {name: 'Terminated', number: 15}, when a signal ended the last run. */
  lastSignal: { name: string; number: number } | null;
  /** The plist launchd loaded. */
  path: string | null;
  /** The program it runs. */
  program: string | null;
}

/** The service block's `key = value` lines; null when the text has no service block. */
export function parseLaunchctlPrint(text: string): ServiceState | null {
  if (!/^\S.* = \{$/m.test(text)) return null;
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\t([^\t=][^=]*?) = (.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined && !fields.has(match[1])) fields.set(match[1], match[2]);
  }
  const int = (key: string): number | null => {
    const match = /^(-?\d+)/.exec(fields.get(key) ?? '');
    return match?.[1] ? Number.parseInt(match[1], 10) : null;
  };
  const signal = /^(.*): (\d+)$/.exec(fields.get('last terminating signal') ?? '');
  return {
    state: fields.get('state') ?? 'unknown',
    pid: int('pid'),
    runs: int('runs'),
    lastExitCode: int('last exit code'),
    lastSignal: signal?.[1] && signal[2] ? { name: signal[1], number: Number.parseInt(signal[2], 10) } : null,
    path: fields.get('path') ?? null,
    program: fields.get('program') ?? null,
  };
}
