/**
 * Which model a probe run uses: `probe.model` when configured, else one already loaded, else the
 * smallest installed text model; never one over the guard's size limit. Pure: the caller reads
 * /api/ps, /api/tags and /api/show and asks these functions.
 */
import { formatBytes } from '../core/units.js';
import { isAllowedLarge, sizeLimitBytes } from '../guard/policy.js';
import type { InstalledModel, LoadedModel, ModelDetails } from '../ports/ollama.js';

/** Where a candidate came from, best first. */
export type CandidateSource = 'configured' | 'loaded' | 'installed';

/** A model the run could use, before its details are read. */
export interface ProbeCandidate {
  name: string;
  source: CandidateSource;
  /** Its size in memory when loaded, else on disk; null when neither list has it. */
  sizeBytes: number | null;
  /** Its /api/ps entry when it is loaded. */
  loaded: LoadedModel | null;
}

/** The limits a probe model must stay under (the guard's). */
export interface ModelLimits {
  totalBytes: number | null;
  maxModelFraction: { text: number; vision: number };
  allowLargeModels: readonly string[];
}

/** Why each source is used, for the run's record. */
export const SOURCE_WHY: Record<CandidateSource, string> = {
  configured: 'probe.model',
  loaded: 'already loaded',
  installed: 'smallest installed text model',
};

/** A name as Ollama lists it: `llama3` is `llama3:latest`. */
export function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** The candidates in the order to try: the configured model alone, or the loaded ones then the installed ones, smallest first. */
export function probeCandidates(configured: string | null, loaded: readonly LoadedModel[], installed: readonly InstalledModel[]): ProbeCandidate[] {
  const loadedNamed = (name: string): LoadedModel | null => loaded.find((model) => withTag(model.name) === withTag(name)) ?? null;
  if (configured !== null) {
    const resident = loadedNamed(configured);
    const onDisk = installed.find((model) => withTag(model.name) === withTag(configured));
    return [{ name: configured, source: 'configured', sizeBytes: resident?.sizeBytes ?? onDisk?.sizeBytes ?? null, loaded: resident }];
  }
  const bySize = <T extends { sizeBytes: number }>(a: T, b: T): number => a.sizeBytes - b.sizeBytes;
  const fromLoaded = [...loaded].sort(bySize).map((model): ProbeCandidate => ({ name: model.name, source: 'loaded', sizeBytes: model.sizeBytes, loaded: model }));
  const fromInstalled = installed
    .filter((model) => !loadedNamed(model.name))
    // /api/tags lists capabilities on newer servers: skip models that cannot generate or see, without asking /api/show.
    .filter((model) => model.capabilities === null || (model.capabilities.includes('completion') && !model.capabilities.includes('vision')))
    .sort(bySize)
    .map((model): ProbeCandidate => ({ name: model.name, source: 'installed', sizeBytes: model.sizeBytes, loaded: null }));
  return [...fromLoaded, ...fromInstalled];
}

/** Why a candidate cannot be used, or null. `details` is its /api/show. */
export function candidateProblem(candidate: ProbeCandidate, details: ModelDetails, limits: ModelLimits): string | null {
  if (details.capabilities.length > 0 && !details.capabilities.includes('completion')) {
    return `${candidate.name} cannot generate text (capabilities: ${details.capabilities.join(', ')})`;
  }
  if (candidate.source === 'installed' && details.kind === 'vision') return `${candidate.name} is a vision model`;
  // A size or a total that cannot be read cannot be checked (nor the floor): such a model is not used.
  if (candidate.sizeBytes === null) return `${candidate.name}'s size is unknown (neither /api/ps nor /api/tags lists it): it cannot be checked against the size limit`;
  if (isAllowedLarge(candidate.name, limits.allowLargeModels)) return null;
  if (limits.totalBytes === null) return `the machine's memory is unknown: ${candidate.name} cannot be checked against the size limit`;
  const limitBytes = sizeLimitBytes({ kind: details.kind }, limits.totalBytes, limits);
  if (candidate.sizeBytes > limitBytes) {
    return `${candidate.name} (${formatBytes(candidate.sizeBytes)}) is over the ${details.kind} model limit of ${formatBytes(limitBytes)} on this machine (guard.maxModelFraction; guard.allowLargeModels exempts a model)`;
  }
  return null;
}
