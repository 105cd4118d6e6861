import { describe, expect, it } from 'vitest';
import type { LogPrecursor } from '../ports/windowserver.js';
import { cpuStrain, judgeWindowServer, mostSevere, type CpuSample, type WindowServerView } from './judge.js';

const RULES = { cpuPercent: 70, cpuSustainMs: 10_000 };
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

/** Readings every `everyS` seconds with the given CPU share of one core (percent) in each interval. */
function samples(everyS: number, percents: number[]): CpuSample[] {
  const out: CpuSample[] = [{ at: T0, cpuMs: 1_000_000 }];
  for (const percent of percents) {
    const last = out.at(-1)!;
    out.push({ at: last.at + everyS * 1000, cpuMs: last.cpuMs + (percent / 100) * everyS * 1000 });
  }
  return out;
}

function view(partial: Partial<WindowServerView>): WindowServerView {
  return { at: T0, pid: 372, error: null, samples: [], precursor: null, pressureRaised: false, ...partial };
}

const FENCE: LogPrecursor = { at: T0, kind: 'timed out fence', text: 'WindowServer: timed out fence' };
const LOW_SWAP: LogPrecursor = { at: T0 + 1, kind: 'low swap', text: 'kernel: low swap: failed to create swapfile' };

describe('cpuStrain', () => {
  it('is the last interval\'s share of a core, and how long the unbroken high run lasts', () => {
    expect(cpuStrain(samples(2, [10, 80, 90, 75]), RULES)).toEqual({ lastPercent: 75, highForMs: 6000 });
    expect(cpuStrain(samples(2, [80, 90, 10]), RULES)).toEqual({ lastPercent: 10, highForMs: 0 });
    expect(cpuStrain(samples(10, [150]), RULES)).toEqual({ lastPercent: 150, highForMs: 10_000 });
  });

  it('has no rate with one reading, across a counter that went back (another process), or out of order', () => {
    expect(cpuStrain(samples(2, []), RULES)).toEqual({ lastPercent: null, highForMs: 0 });
    expect(cpuStrain([{ at: T0, cpuMs: 5000 }, { at: T0 + 1000, cpuMs: 100 }], RULES)).toEqual({ lastPercent: null, highForMs: 0 });
    expect(cpuStrain([...samples(2, [90]), { at: T0, cpuMs: 0 }], RULES)).toEqual({ lastPercent: null, highForMs: 0 });
  });
});

describe('judgeWindowServer', () => {
  it('is ok under the threshold, with its CPU', () => {
    expect(judgeWindowServer(view({ samples: samples(10, [4]), pressureRaised: true }), RULES)).toEqual({ health: 'ok', reason: 'CPU 4% of a core', cpuPercent: 4, emergency: null });
  });

  it('is strained after cpuSustainMs at or over the threshold; an emergency only with memory pressure raised', () => {
    const calm = judgeWindowServer(view({ samples: samples(2, [80, 90, 95, 99, 85]) }), RULES);
    expect(calm).toEqual({ health: 'strained', reason: 'CPU 85% of a core, at or over 70% for 10 s', cpuPercent: 85, emergency: null });
    const pressed = judgeWindowServer(view({ samples: samples(2, [80, 90, 95, 99, 85]), pressureRaised: true }), RULES);
    expect(pressed.emergency).toBe('WindowServer CPU 85% of a core, at or over 70% for 10 s, with memory pressure raised');
    expect(judgeWindowServer(view({ samples: samples(2, [80, 90, 95, 99]), pressureRaised: true }), RULES)).toMatchObject({ health: 'ok', emergency: null });
  });

  it('is strained, and an emergency, on a precursor in the log, whatever the CPU', () => {
    expect(judgeWindowServer(view({ samples: samples(10, [3]), precursor: FENCE }), RULES)).toEqual({
      health: 'strained',
      reason: 'unified log: timed out fence (WindowServer: timed out fence)',
      cpuPercent: 3,
      emergency: 'unified log: timed out fence (WindowServer: timed out fence)',
    });
  });

  it('is unknown when not running, unreadable or measured once; a precursor is an emergency all the same', () => {
    expect(judgeWindowServer(view({ pid: null }), RULES)).toEqual({ health: 'unknown', reason: 'WindowServer is not running (no GUI session)', cpuPercent: null, emergency: null });
    expect(judgeWindowServer(view({ error: 'ps: timed out', precursor: LOW_SWAP }), RULES)).toMatchObject({ health: 'unknown', reason: 'cannot read WindowServer: ps: timed out', emergency: 'unified log: low swap (kernel: low swap: failed to create swapfile)' });
    expect(judgeWindowServer(view({ samples: samples(10, []) }), RULES)).toMatchObject({ health: 'unknown', reason: 'pid 372, measuring its CPU (two readings needed)' });
  });
});

describe('mostSevere', () => {
  it('ranks a fence over no paging space over low swap, the newest among equals', () => {
    const noPaging: LogPrecursor = { at: T0, kind: 'no paging space', text: 'x' };
    const newerLowSwap = { ...LOW_SWAP, at: T0 + 5 };
    expect(mostSevere([LOW_SWAP, noPaging, FENCE])).toBe(FENCE);
    expect(mostSevere([LOW_SWAP, noPaging])).toBe(noPaging);
    expect(mostSevere([LOW_SWAP, newerLowSwap])).toBe(newerLowSwap);
    expect(mostSevere([])).toBeNull();
  });
});
