/** The second look before an unload: is it still needed, and for which models? Pure. */
import type { MemorySnapshot } from '../core/memory.js';
import { evaluateTrigger } from './trigger.js';
import type { Decision, GuardRules } from './types.js';

/** The models to unload after re-sampling, or why none. */
export type Recheck = { models: string[]; note?: string } | { skip: string };

/**
 * Re-judges a pressure unload on a fresh sample: a warn unload goes ahead only if warn still
 * holds; a critical one unloads everything if critical still holds, only its first (least
 * recently used) model if memory has eased to warn, and nothing if it has recovered. Oversize
 * unloads depend on size, not memory: they go ahead while the model is still loaded.
 */
export function recheckUnload(
  decision: Extract<Decision, { kind: 'unload' }>,
  fresh: MemorySnapshot,
  stillLoaded: readonly string[] | null,
  rules: GuardRules,
): Recheck {
  if (decision.rule === 'oversize') {
    const models = stillLoaded === null ? decision.models : decision.models.filter((name) => stillLoaded.includes(name));
    return models.length > 0 ? { models } : { skip: 'the model is no longer loaded' };
  }
  const trigger = evaluateTrigger(fresh, rules);
  if (!trigger.known) return { models: decision.models, note: 'the fresh sample failed; acting on the first' };
  if (decision.rule === 'critical') {
    if (trigger.critical) return { models: decision.models };
    if (trigger.warn) return { models: decision.models.slice(0, 1), note: 'eased to warn: unloading one model' };
    return { skip: 'memory has recovered' };
  }
  return trigger.warn ? { models: decision.models } : { skip: 'memory has recovered' };
}
