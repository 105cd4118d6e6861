/** Probe settings for tests: the default probes, a 5 s timeout, the guard's default limits and floor. */
import { GiB } from '../../src/core/units.js';
import type { ProbeSettings } from '../../src/probe/runner.js';

/** The two default probes. */
export const TEST_PROBES = [
  { name: 'capital', prompt: 'What is the capital of France?', expect: 'paris' },
  { name: 'arithmetic', prompt: 'What is 15 + 27?', expect: '42' },
];

/** Settings with `overrides` applied. */
export function testProbeSettings(overrides: Partial<ProbeSettings> = {}): ProbeSettings {
  return {
    probes: TEST_PROBES,
    model: null,
    timeoutMs: 5000,
    minAnswerChars: 5,
    keepAlive: '5m',
    contextLength: 4096,
    limits: { maxModelFraction: { text: 0.625, vision: 0.7 }, allowLargeModels: [] },
    floor: { floorMinBytes: 4 * GiB, floorPercent: 10 },
    ...overrides,
  };
}
