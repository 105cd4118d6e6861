import { describe, expect, it } from 'vitest';
import { GiB } from '../../core/units.js';
import { classifyLinuxPressure } from './pressure.js';
import type { Psi } from './psi.js';

const T = { warnAvailablePercent: 10, criticalAvailablePercent: 5, warnSomeAvg10: 10, criticalFullAvg10: 10, psiGateAvailablePercent: 25 };
const TOTAL = 100 * GiB;

function psi(someAvg10: number, fullAvg10: number): Psi {
  const line = (avg10: number) => ({ avg10, avg60: 0, avg300: 0, totalUs: 0 });
  return { some: line(someAvg10), full: line(fullAvg10) };
}

describe('classifyLinuxPressure', () => {
  it.each([
    // available %, psi some, psi full, expected
    [50, 0, 0, 'normal'],
    [10.5, 0, 0, 'normal'],
    [10, 0, 0, 'warn'],
    [5.5, 0, 0, 'warn'],
    [5, 0, 0, 'critical'],
    [1, 0, 0, 'critical'],
    [20, 15, 0, 'warn'], // PSI some over the bar, available under the gate
    [20, 50, 15, 'critical'], // PSI full over the bar, available under the gate
    [40, 90, 90, 'normal'], // PSI alone, with plenty available, is not memory pressure
    [25, 10, 9.99, 'warn'], // at the gate
    [25.01, 10, 10, 'normal'], // just past the gate
  ] as const)('%s%% available, some %s, full %s -> %s', (availablePercent, some, full, expected) => {
    const result = classifyLinuxPressure(TOTAL, (TOTAL * availablePercent) / 100, psi(some, full), T);
    expect(result.pressure).toBe(expected);
  });

  it('works on MemAvailable alone on a kernel without PSI', () => {
    expect(classifyLinuxPressure(TOTAL, TOTAL * 0.08, null, T)).toEqual({ pressure: 'warn', reason: 'MemAvailable 8.0% <= 10%' });
  });

  it('says which rule fired', () => {
    expect(classifyLinuxPressure(TOTAL, TOTAL * 0.2, psi(0, 12), T).reason).toBe('PSI full avg10 12 >= 10 with MemAvailable 20.0%');
  });

  it('is unknown for a zero total', () => {
    expect(classifyLinuxPressure(0, 0, null, T).pressure).toBe('unknown');
  });
});
