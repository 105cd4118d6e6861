/** Pure parser for pressure-stall information (/proc/pressure/memory). */

/** One PSI line: stall percentages over 10, 60 and 300 s, and the total stall time in µs. */
export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  totalUs: number;
}

/** Memory PSI: `some` (at least one task stalled) and `full` (every non-idle task stalled). */
export interface Psi {
  some: PsiLine;
  full: PsiLine | null;
}

/** Thrown when the file is not PSI; the message quotes it. */
export class PsiParseError extends Error {
  override name = 'PsiParseError';
}

/** Parses `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and the optional `full …` line. */
export function parsePsi(text: string): Psi {
  const lines = new Map<string, PsiLine>();
  for (const line of text.split('\n')) {
    const match = /^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)\s*$/.exec(line.trim());
    if (!match?.[1]) continue;
    lines.set(match[1], {
      avg10: Number(match[2]),
      avg60: Number(match[3]),
      avg300: Number(match[4]),
      totalUs: Number(match[5]),
    });
  }
  const some = lines.get('some');
  if (!some) throw new PsiParseError(`pressure/memory: no "some avg10=…" line in ${JSON.stringify(text.slice(0, 120))}`);
  return { some, full: lines.get('full') ?? null };
}
