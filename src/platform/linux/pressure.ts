/**
 * Maps Linux memory signals to a pressure level. Pure. Two signals, as nohang does: PSI counts
 * only while MemAvailable is also low (the gate), because PSI alone fires on cgroup limits and
 * I/O-bound page-cache churn on a machine with plenty of memory.
 */
import type { Pressure } from '../../core/memory.js';
import type { Psi } from './psi.js';

/** The thresholds, from config `linux.pressure`. */
export interface LinuxPressureThresholds {
  warnAvailablePercent: number;
  criticalAvailablePercent: number;
  warnSomeAvg10: number;
  criticalFullAvg10: number;
  psiGateAvailablePercent: number;
}

/** The level and the rule that set it. */
export interface LinuxPressure {
  pressure: Pressure;
  reason: string;
}

/** Classifies one reading; `psi` is null on kernels without PSI, which then rely on MemAvailable alone. */
export function classifyLinuxPressure(
  totalBytes: number,
  availableBytes: number,
  psi: Psi | null,
  t: LinuxPressureThresholds,
): LinuxPressure {
  if (totalBytes <= 0) return { pressure: 'unknown', reason: 'MemTotal is 0' };
  const availablePercent = (availableBytes / totalBytes) * 100;
  const shown = availablePercent.toFixed(1);
  const gated = availablePercent <= t.psiGateAvailablePercent;
  if (availablePercent <= t.criticalAvailablePercent) {
    return { pressure: 'critical', reason: `MemAvailable ${shown}% <= ${t.criticalAvailablePercent}%` };
  }
  if (psi?.full && gated && psi.full.avg10 >= t.criticalFullAvg10) {
    return { pressure: 'critical', reason: `PSI full avg10 ${psi.full.avg10} >= ${t.criticalFullAvg10} with MemAvailable ${shown}%` };
  }
  if (availablePercent <= t.warnAvailablePercent) {
    return { pressure: 'warn', reason: `MemAvailable ${shown}% <= ${t.warnAvailablePercent}%` };
  }
  if (psi && gated && psi.some.avg10 >= t.warnSomeAvg10) {
    return { pressure: 'warn', reason: `PSI some avg10 ${psi.some.avg10} >= ${t.warnSomeAvg10} with MemAvailable ${shown}%` };
  }
  return { pressure: 'normal', reason: `MemAvailable ${shown}%` };
}
