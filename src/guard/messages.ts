/** The words of the guard's notifications. Pure. */
import { formatBytes, formatDurationMs } from '../core/units.js';
import { floorBytes, type Trigger } from './trigger.js';
import type { GuardLevel, GuardModel, GuardRules, GuardSnapshot, Incident, UnloadDecision } from './types.js';

/** A notification's title and body. */
export interface Notice {
  title: string;
  message: string;
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/** "llama3.3:70b (40.0 GiB)", or for a model still loading "llama3.3:70b (40.0 GiB, stopping its load)". */
function described(name: string, models: readonly GuardModel[], unload: UnloadDecision): string {
  const model = models.find((m) => m.name === name);
  const size = model ? formatBytes(model.sizeBytes) : null;
  const loading = unload.terminate[name] !== undefined ? 'stopping its load' : null;
  const details = [size, loading].filter(Boolean).join(', ');
  return details ? `${name} (${details})` : name;
}

/** The one notice of an incident (or of its emergency): what is wrong and what is (or would be) done about it. */
export function incidentMessage(
  level: GuardLevel,
  snapshot: GuardSnapshot,
  trigger: Trigger,
  unload: UnloadDecision | null,
  models: readonly GuardModel[],
  alreadyUnloaded: readonly string[],
  rules: GuardRules,
  emergency: string | null = null,
): Notice {
  const { memory } = snapshot;
  const situation = `${formatBytes(memory.availableBytes)} available of ${formatBytes(memory.totalBytes)} (floor ${formatBytes(floorBytes(memory.totalBytes, rules))}): ${trigger.reasons.join('; ')}.`;
  let action: string;
  if (unload) {
    action = `${rules.dryRun ? 'Would unload' : 'Unloading'} ${list(unload.models.map((name) => described(name, models, unload)))}.`;
  } else if (snapshot.ollama.status === 'unreachable') {
    action = 'Ollama is unreachable: no model can be unloaded.';
  } else if (snapshot.ollama.status === 'error') {
    action = 'Ollama answers with errors: no model can be unloaded.';
  } else if (alreadyUnloaded.length > 0) {
    action = `${rules.dryRun ? 'Would have unloaded' : 'Already unloaded'} ${list(alreadyUnloaded)}; memory is still short: the rest is held outside Ollama.`;
  } else {
    action = 'No Ollama model is loaded: the memory is held elsewhere.';
  }
  return { title: emergency === null ? `headroom: memory pressure ${level}` : 'headroom: memory emergency, the screen may freeze', message: `${situation} ${action}` };
}

/** The notice when an incident ends. */
export function recoveryMessage(incident: Incident, at: number, rules: GuardRules): Notice {
  const unloaded = incident.unloaded.length > 0 ? ` ${rules.dryRun ? 'Would have unloaded' : 'Unloaded'}: ${list(incident.unloaded)}.` : '';
  return {
    title: 'headroom: memory recovered',
    message: `Memory pressure is back to normal after ${formatDurationMs(at - incident.startedAt)} (peak: ${incident.peak}).${unloaded}`,
  };
}

/** The notice for a model over its size limit. */
export function oversizeMessage(model: GuardModel, limitBytes: number, totalBytes: number, rules: GuardRules): Notice {
  const kind = model.kind === 'vision' ? 'vision' : 'text';
  const fraction = kind === 'vision' ? rules.maxModelFraction.vision : rules.maxModelFraction.text;
  return {
    title: `headroom: ${model.name} is too large for this Mac`,
    message:
      `${rules.dryRun ? 'Would unload' : model.loadingPid !== undefined ? 'Stopping the load of' : 'Unloading'} ${model.name}: ${formatBytes(model.sizeBytes)} is over the ${formatBytes(limitBytes)} limit ` +
      `for ${kind} models (${Math.round(fraction * 1000) / 10}% of ${formatBytes(totalBytes)}). ` +
      `To keep it, add it to guard.allowLargeModels.`,
  };
}
