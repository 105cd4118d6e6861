import { describe, expect, it } from 'vitest';
import { GiB } from '../core/units.js';
import type { InstalledModel, LoadedModel, ModelDetails } from '../ports/ollama.js';
import { candidateProblem, probeCandidates, type ProbeCandidate } from './model-choice.js';

function loaded(name: string, sizeGiB: number): LoadedModel {
  return { name, sizeBytes: sizeGiB * GiB, vramBytes: sizeGiB * GiB, expiresAt: null, contextLength: null, digest: '', family: null, families: [] };
}
function installed(name: string, sizeGiB: number, capabilities: string[] | null = null): InstalledModel {
  return { name, sizeBytes: sizeGiB * GiB, digest: '', capabilities };
}
function details(kind: 'text' | 'vision', capabilities = ['completion']): ModelDetails {
  return { capabilities, kind, family: null, parameterSize: null, blobDigests: [] };
}
const LIMITS = { totalBytes: 48 * GiB, maxModelFraction: { text: 0.625, vision: 0.7 }, allowLargeModels: [] as string[] };

describe('probeCandidates', () => {
  it('takes the configured model alone, with its loaded or installed size', () => {
    expect(probeCandidates('b', [loaded('a', 2)], [installed('b', 3)])).toEqual([{ name: 'b', source: 'configured', sizeBytes: 3 * GiB, loaded: null }]);
    expect(probeCandidates('x', [], [])[0]!.sizeBytes).toBeNull();
  });

  it('orders loaded models first, then installed ones, each smallest first', () => {
    const names = probeCandidates(null, [loaded('big', 9), loaded('small', 2)], [installed('big', 8), installed('c', 5), installed('d', 1)]).map((c) => `${c.source}:${c.name}`);
    expect(names).toEqual(['loaded:small', 'loaded:big', 'installed:d', 'installed:c']);
  });

  it('leaves out installed models /api/tags says cannot generate text or are vision models', () => {
    const names = probeCandidates(null, [], [installed('embed', 0.3, ['embedding']), installed('vl', 1, ['completion', 'vision']), installed('t', 2, ['completion'])]).map((c) => c.name);
    expect(names).toEqual(['t']);
  });
});

describe('candidateProblem', () => {
  const candidate = (source: ProbeCandidate['source'], sizeGiB: number, name = 'm:1'): ProbeCandidate => ({ name, source, sizeBytes: sizeGiB * GiB, loaded: null });

  it('accepts a text model under the limit', () => {
    expect(candidateProblem(candidate('installed', 5), details('text'), LIMITS)).toBeNull();
  });

  it('refuses a model over the limit of its kind (the 40 GB 70B model on a 48 GB Mac)', () => {
    expect(candidateProblem(candidate('configured', 40), details('text'), LIMITS)).toBe(
      'm:1 (40.0 GiB) is over the text model limit of 30.0 GiB on this machine (guard.maxModelFraction; guard.allowLargeModels exempts a model)',
    );
    expect(candidateProblem(candidate('loaded', 32), details('vision', ['completion', 'vision']), LIMITS)).toBeNull();
  });

  it('lets guard.allowLargeModels exempt a model', () => {
    expect(candidateProblem(candidate('configured', 40, 'llama3.3:70b'), details('text'), { ...LIMITS, allowLargeModels: ['llama3.3'] })).toBeNull();
  });

  it('refuses an installed vision model and a model that cannot generate', () => {
    expect(candidateProblem(candidate('installed', 1), details('vision'), LIMITS)).toBe('m:1 is a vision model');
    expect(candidateProblem(candidate('loaded', 1), details('text', ['embedding']), LIMITS)).toBe('m:1 cannot generate text (capabilities: embedding)');
  });
});
