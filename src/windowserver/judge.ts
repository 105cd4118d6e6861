/**
 * WindowServer's health from what the watch read: its CPU over time (from deltas of its
 * cumulative CPU time), the unified log's precursors and the kernel's pressure level. Pure: the
 * time comes in the input. docs/windowserver.md explains the rules and their numbers.
 */
import type { LogPrecursor, PrecursorKind } from '../ports/windowserver.js';

/** ok, strained, unknown (cannot tell), or not applicable (no WindowServer on this platform). */
export type WindowServerHealth = 'ok' | 'strained' | 'unknown' | 'not applicable';

/** One reading of WindowServer's cumulative CPU time. */
export interface CpuSample {
  at: number;
  cpuMs: number;
}

/** The thresholds, from `windowServer.*`. */
export interface WindowServerRules {
  /** CPU counted as high, in percent of one core. */
  cpuPercent: number;
  /** How long it must stay high to count as strained. */
  cpuSustainMs: number;
}

/** WindowServer's CPU: the last interval's share of one core, and how long it has stayed high. */
export interface CpuStrain {
  /** Percent of one core over the last interval; null with fewer than two readings. */
  lastPercent: number | null;
  /** Time from the start of the earliest interval of the unbroken high run to the newest reading; 0 when the last interval was not high. */
  highForMs: number;
}

/** CPU use between readings (cumulative CPU time over wall time), and how long it has stayed at or above the threshold. */
export function cpuStrain(samples: readonly CpuSample[], rules: Pick<WindowServerRules, 'cpuPercent'>): CpuStrain {
  let lastPercent: number | null = null;
  let highSince: number | null = null;
  for (let i = samples.length - 1; i > 0; i--) {
    const newer = samples[i]!;
    const older = samples[i - 1]!;
    const wallMs = newer.at - older.at;
    const cpuMs = newer.cpuMs - older.cpuMs;
    if (wallMs <= 0 || cpuMs < 0) break; // out of order, or another process: no rate
    const percent = (cpuMs / wallMs) * 100;
    lastPercent ??= percent;
    if (percent < rules.cpuPercent) break;
    highSince = older.at;
  }
  const newest = samples.at(-1);
  return { lastPercent, highForMs: highSince !== null && newest ? newest.at - highSince : 0 };
}

/** What the watch knows at one moment. */
export interface WindowServerView {
  at: number;
  /** The process followed; null when none runs (or none was found yet). */
  pid: number | null;
  /** Why it could not be read, when it could not. */
  error: string | null;
  samples: readonly CpuSample[];
  /** A precursor found by the last log read, while it counts (until the next read could replace it). */
  precursor: LogPrecursor | null;
  /** The kernel's pressure level is warn or critical. */
  pressureRaised: boolean;
}

/** The verdict: health with its reason, and an emergency when there is one. */
export interface WindowServerVerdict {
  health: Exclude<WindowServerHealth, 'not applicable'>;
  reason: string;
  cpuPercent: number | null;
  /** Why the machine is about to freeze (for the guard), or null. */
  emergency: string | null;
}

const SEVERITY: Record<PrecursorKind, number> = { 'timed out fence': 3, 'no paging space': 2, 'low swap': 1 };

/** The most severe precursor, the newest among equals. */
export function mostSevere(precursors: readonly LogPrecursor[]): LogPrecursor | null {
  let worst: LogPrecursor | null = null;
  for (const precursor of precursors) {
    if (!worst || SEVERITY[precursor.kind] > SEVERITY[worst.kind] || (SEVERITY[precursor.kind] === SEVERITY[worst.kind] && (precursor.at ?? 0) >= (worst.at ?? 0))) worst = precursor;
  }
  return worst;
}

const percentText = (percent: number): string => `${Math.round(percent)}%`;
const secondsText = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * Strained: CPU at or above `cpuPercent` of a core for `cpuSustainMs`, or a precursor in the log.
 * An emergency: a precursor, or strained CPU while the kernel reports warn or critical.
 * Unknown: not running, unreadable, or fewer than two readings.
 */
export function judgeWindowServer(view: WindowServerView, rules: WindowServerRules): WindowServerVerdict {
  const strain = cpuStrain(view.samples, rules);
  const cpuPercent = strain.lastPercent;
  const precursorReason = view.precursor ? `unified log: ${view.precursor.kind} (${view.precursor.text})` : null;
  const cpuHigh = cpuPercent !== null && strain.highForMs >= rules.cpuSustainMs && strain.highForMs > 0;
  const cpuReason = cpuHigh ? `CPU ${percentText(cpuPercent)} of a core, at or over ${rules.cpuPercent}% for ${secondsText(strain.highForMs)}` : null;
  const emergency = precursorReason ?? (cpuReason && view.pressureRaised ? `WindowServer ${cpuReason}, with memory pressure raised` : null);
  if (view.error !== null) return { health: 'unknown', reason: `cannot read WindowServer: ${view.error}`, cpuPercent: null, emergency: precursorReason };
  if (view.pid === null) return { health: 'unknown', reason: 'WindowServer is not running (no GUI session)', cpuPercent: null, emergency: precursorReason };
  if (precursorReason || cpuReason) return { health: 'strained', reason: [cpuReason, precursorReason].filter(Boolean).join('; '), cpuPercent, emergency };
  if (cpuPercent === null) return { health: 'unknown', reason: `pid ${view.pid}, measuring its CPU (two readings needed)`, cpuPercent: null, emergency: null };
  return { health: 'ok', reason: `CPU ${percentText(cpuPercent)} of a core`, cpuPercent, emergency: null };
}
