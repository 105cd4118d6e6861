import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { parsePsi, PsiParseError } from './psi.js';

describe('parsePsi', () => {
  it('reads the captured file', () => {
    expect(parsePsi(readFixture('linux', 'pressure-memory-idle.txt'))).toEqual({
      some: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
      full: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
    });
  });

  it('reads non-zero figures and a file with only the some line', () => {
    // Not a capture: no PSI > 0 was captured here (test/fixtures/linux/SOURCES.md); the layout is the kernel's.
    expect(parsePsi('some avg10=12.50 avg60=3.01 avg300=0.66 total=123456\n')).toEqual({
      some: { avg10: 12.5, avg60: 3.01, avg300: 0.66, totalUs: 123456 },
      full: null,
    });
  });

  it('rejects text that is not PSI', () => {
    expect(() => parsePsi('')).toThrow(PsiParseError);
    expect(() => parsePsi('garbage')).toThrow(/no "some avg10=…" line/);
  });
});
