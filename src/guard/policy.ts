/**
 * The memory guard's policy: one pure function from (state, snapshot, rules) to (state,
 * decisions). No I/O, no clock: time is `snapshot.at`, so it runs the same in the daemon and in
 * the simulator. The guard runs it twice before an unload (on the tick's sample, then on a fresh
 * one) and carries out only what the second run decides. The rules are in docs/policy.md.
 */
import { formatBytes } from '../core/units.js';
import { incidentMessage, oversizeMessage, recoveryMessage } from './messages.js';
import { evaluateTrigger, type Trigger } from './trigger.js';
import type { Decision, GuardLevel, GuardModel, GuardRules, GuardSnapshot, GuardState, UnloadDecision } from './types.js';

/** The next state and what to do now. */
export interface Evaluation {
  state: GuardState;
  decisions: Decision[];
  /**
   * The stage at which guarded processes may be acted on now (docs/windowserver.md): the trigger
   * held this tick, once Ollama lists no model (none loaded, or Ollama unreachable), nothing is
   * being unloaded and the cooldown after the last unload has passed; null otherwise. Ollama is
   * always freed first.
   */
  processStage: Exclude<GuardLevel, 'normal'> | null;
}

/** How an unload of one model ended, as the guard reports it back. */
export interface UnloadResult {
  model: string;
  gone: boolean;
}

/** One tick of the policy. */
export function evaluate(previous: GuardState, snapshot: GuardSnapshot, rules: GuardRules): Evaluation {
  const { at } = snapshot;
  const decisions: Decision[] = [];
  const readable = snapshot.ollama.status === 'ok' || snapshot.ollama.status === 'busy';
  const listed = new Set(snapshot.ollama.models.map((m) => m.name));
  const stillListed = <T>(record: Record<string, T>): Record<string, T> =>
    readable ? Object.fromEntries(Object.entries(record).filter(([name]) => listed.has(name))) : { ...record };
  const state: GuardState = {
    ...previous,
    oversizeActedAt: stillListed(previous.oversizeActedAt),
    oversizeNotified: stillListed(previous.oversizeNotified),
    stuck: stillListed(previous.stuck),
    notifiedAt: { ...previous.notifiedAt },
    modelUse: trackUse(previous.modelUse, snapshot),
    incident: previous.incident ? { ...previous.incident, unloaded: [...previous.incident.unloaded], attempted: [...previous.incident.attempted] } : null,
  };
  const emergency = snapshot.emergency ?? null;
  const trigger = withEmergency(evaluateTrigger(snapshot.memory, rules), emergency);
  const held = advanceLevel(state, trigger, at, rules, decisions, emergency !== null);

  // A dry run goes on as if the models it would have unloaded were gone, as a real run would.
  const models = readable ? snapshot.ollama.models.filter((m) => !(rules.dryRun && state.incident?.unloaded.includes(m.name))) : [];
  const idle = models.filter((m) => !snapshot.inFlight.includes(m.name));
  const nothingInFlight = snapshot.inFlight.length === 0;
  let unload: UnloadDecision | null = null;

  const last = state.lastPressureAction;
  const cooledDown = last === null || at - last.at >= rules.cooldownMs;
  if (held.critical && idle.length > 0 && (cooledDown || last?.rule !== 'critical')) {
    // A critical trigger may follow a warn unload at once, and act on the models an earlier
    // unload is not already freeing: waiting there is how machines lock up. After a critical
    // unload of its own it waits the cooldown.
    unload = unloadOf('critical', lruOrder(idle, state), trigger.reasons.join('; '));
    state.lastPressureAction = { at, rule: 'critical' };
  } else if (nothingInFlight) {
    unload = oversizeUnload(idle, snapshot, state, rules, decisions);
    if (!unload && held.warn && cooledDown) {
      const victim = lruOrder(idle, state).find((m) => state.stuck[m.name] === undefined);
      if (victim) {
        unload = unloadOf('warn', [victim], trigger.reasons.join('; '));
        state.lastPressureAction = { at, rule: 'warn' };
      }
    }
  }
  if (unload) decisions.push(unload);

  notifyIncident(state, snapshot, trigger, unload, models, rules, decisions);
  return { state, decisions, processStage: processStage(snapshot, held, unload, models, state.lastPressureAction, rules) };
}

/** An emergency is a critical trigger, known whatever the memory reading says. */
function withEmergency(trigger: Trigger, emergency: string | null): Trigger {
  if (emergency === null) return trigger;
  return { known: true, warn: true, critical: true, reasons: [...trigger.reasons, `emergency: ${emergency}`] };
}

/** See {@link Evaluation.processStage}: while Ollama lists a model (even one whose unload did not take), it is freed first. */
function processStage(
  snapshot: GuardSnapshot,
  held: { warn: boolean; critical: boolean },
  unload: UnloadDecision | null,
  models: readonly GuardModel[],
  last: GuardState['lastPressureAction'],
  rules: GuardRules,
): Evaluation['processStage'] {
  const stage = held.critical ? 'critical' : held.warn ? 'warn' : null;
  if (stage === null || unload !== null || snapshot.inFlight.length > 0 || models.length > 0) return null;
  return last === null || snapshot.at - last.at >= rules.cooldownMs ? stage : null;
}

/**
 * Feeds the outcome of an unload back: models gone count for the incident; a model still
 * listed at the bound is "stuck", warn passes it over while it stays, and a warn unload that
 * did not take lets the next one go without waiting the cooldown.
 */
export function recordUnload(previous: GuardState, rule: UnloadDecision['rule'], results: readonly UnloadResult[], at: number): GuardState {
  const state: GuardState = {
    ...previous,
    stuck: { ...previous.stuck },
    incident: previous.incident ? { ...previous.incident, unloaded: [...previous.incident.unloaded] } : null,
  };
  for (const result of results) {
    if (result.gone) {
      delete state.stuck[result.model];
      if (rule !== 'oversize' && state.incident && !state.incident.unloaded.includes(result.model)) state.incident.unloaded.push(result.model);
    } else {
      state.stuck[result.model] = at;
    }
  }
  if (rule === 'warn' && results.some((result) => !result.gone)) state.lastPressureAction = null;
  return state;
}

function unloadOf(rule: UnloadDecision['rule'], models: readonly GuardModel[], reason: string): UnloadDecision {
  const terminate: Record<string, number> = {};
  for (const model of models) if (model.loadingPid !== undefined) terminate[model.name] = model.loadingPid;
  return { kind: 'unload', rule, models: models.map((m) => m.name), terminate, reason };
}

/** Moves the level by the trigger, with sustain (unless `immediate`) and recovery hysteresis; returns what is held now. */
function advanceLevel(state: GuardState, trigger: Trigger, at: number, rules: GuardRules, decisions: Decision[], immediate: boolean): { warn: boolean; critical: boolean } {
  if (!trigger.known) return { warn: false, critical: false }; // no reading: keep everything as it was
  state.warnSince = trigger.warn ? (state.warnSince ?? at) : null;
  state.criticalSince = trigger.critical ? (state.criticalSince ?? at) : null;
  const critical = trigger.critical && (immediate || at - (state.criticalSince ?? at) >= rules.criticalSustainMs);
  const warn = critical || (trigger.warn && at - (state.warnSince ?? at) >= rules.sustainMs);
  let next: GuardLevel = state.level;
  if (critical) next = 'critical';
  else if (warn) next = 'warn';
  if (trigger.warn) state.normalSince = null;
  else {
    state.normalSince ??= at;
    if (state.level !== 'normal' && at - state.normalSince >= rules.recoverMs) next = 'normal';
  }
  if (next !== state.level) {
    const reason = next === 'normal' ? `normal readings for ${rules.recoverMs} ms` : trigger.reasons.join('; ');
    decisions.push({ kind: 'level', from: state.level, to: next, reason });
    if (state.level === 'normal') {
      state.incidents += 1;
      state.incident = { id: state.incidents, startedAt: at, peak: next === 'critical' ? 'critical' : 'warn', unloaded: [], noticeSent: false, attempted: [], emergency: null };
    } else if (next === 'normal') {
      closeIncident(state, at, rules, decisions);
    } else if (next === 'critical' && state.incident) {
      state.incident.peak = 'critical';
    }
    state.level = next;
  }
  return { warn, critical };
}

function closeIncident(state: GuardState, at: number, rules: GuardRules, decisions: Decision[]): void {
  const incident = state.incident;
  state.incident = null;
  if (!incident?.noticeSent) return; // the recovery notice pairs with an incident notice that was sent
  const { title, message } = recoveryMessage(incident, at, rules);
  decisions.push({ kind: 'notify', topic: 'recovery', title, message });
}

/**
 * Tells the user once per incident. A notice that reports an unload is always sent. With nothing
 * to unload (no model, Ollama down, or all already unloaded) the notice goes out while the
 * trigger holds, rate-limited per level: one held back at warn gets one more try at critical, so
 * a critical incident is never silent. The first emergency of an incident has a notice of its
 * own, even after the incident's notice.
 */
function notifyIncident(
  state: GuardState,
  snapshot: GuardSnapshot,
  trigger: Trigger,
  unload: UnloadDecision | null,
  models: readonly GuardModel[],
  rules: GuardRules,
  decisions: Decision[],
): void {
  const incident = state.incident;
  if (!incident || state.level === 'normal') return;
  const pressureUnload = unload && unload.rule !== 'oversize' ? unload : null;
  const emergency = snapshot.emergency ?? null;
  if (emergency !== null && incident.emergency === null) {
    incident.emergency = emergency;
    const { title, message } = incidentMessage(state.level, snapshot, trigger, pressureUnload, models, incident.unloaded, rules, emergency);
    const notice: Extract<Decision, { kind: 'notify' }> = { kind: 'notify', topic: 'emergency', title, message };
    const sent = pressureUnload ? notice : withRateLimit(state, 'emergency', snapshot.at, rules, notice);
    if (sent.suppressed === undefined) incident.noticeSent = true;
    decisions.push(sent);
    return;
  }
  if (incident.noticeSent) return;
  const { title, message } = incidentMessage(state.level, snapshot, trigger, pressureUnload, models, incident.unloaded, rules);
  if (pressureUnload) {
    state.notifiedAt[`pressure:${state.level}`] = snapshot.at;
    incident.noticeSent = true;
    decisions.push({ kind: 'notify', topic: 'incident', title, message });
    return;
  }
  const readable = snapshot.ollama.status === 'ok' || snapshot.ollama.status === 'busy';
  const nothingToUnload = !readable || models.filter((m) => !snapshot.inFlight.includes(m.name)).length === 0;
  if (!nothingToUnload || !trigger.warn || incident.attempted.includes(state.level)) return;
  const notice = withRateLimit(state, `pressure:${state.level}`, snapshot.at, rules, { kind: 'notify', topic: 'incident', title, message });
  incident.attempted.push(state.level);
  incident.noticeSent = notice.suppressed === undefined;
  decisions.push(notice);
}

/** The largest model over its size limit that is not allowed and not recently acted on. */
function oversizeUnload(
  models: GuardModel[],
  snapshot: GuardSnapshot,
  state: GuardState,
  rules: GuardRules,
  decisions: Decision[],
): UnloadDecision | null {
  const total = snapshot.memory.totalBytes;
  if (total === null) return null;
  const candidates = models
    .filter((model) => model.sizeBytes > 0 && !isAllowedLarge(model.name, rules.allowLargeModels))
    .filter((model) => model.sizeBytes > sizeLimitBytes(model, total, rules))
    .filter((model) => {
      const acted = state.oversizeActedAt[model.name];
      return acted === undefined || snapshot.at - acted >= rules.cooldownMs;
    })
    .sort((a, b) => b.sizeBytes - a.sizeBytes);
  const model = candidates[0];
  if (!model) return null;
  const limit = sizeLimitBytes(model, total, rules);
  state.oversizeActedAt[model.name] = snapshot.at;
  if (!state.oversizeNotified[model.name]) {
    // Once while the model stays loaded (a dry run leaves it there), rate-limited across reloads.
    state.oversizeNotified[model.name] = true;
    const { title, message } = oversizeMessage(model, limit, total, rules);
    decisions.push(withRateLimit(state, `oversize:${model.name}`, snapshot.at, rules, { kind: 'notify', topic: 'oversize', title, message }));
  }
  const fraction = fractionFor(model, rules);
  const kind = model.kind === 'vision' ? 'vision' : 'text';
  return unloadOf('oversize', [model], `${formatBytes(model.sizeBytes)} > ${formatBytes(limit)} (${fraction * 100}% of ${formatBytes(total)} for ${kind} models)`);
}

/** Applies the per-key minimum interval: a notice too soon after the last one is kept, but marked suppressed. */
function withRateLimit(
  state: GuardState,
  key: string,
  at: number,
  rules: GuardRules,
  decision: Extract<Decision, { kind: 'notify' }>,
): Extract<Decision, { kind: 'notify' }> {
  const last = state.notifiedAt[key];
  if (last !== undefined && at - last < rules.notifyMinIntervalMs) {
    return { ...decision, suppressed: `another ${key} notice ${at - last} ms ago (minimum ${rules.notifyMinIntervalMs} ms)` };
  }
  state.notifiedAt[key] = at;
  return decision;
}

/** The fraction of RAM a model of this kind may take; a model of unknown kind gets the stricter text limit. */
function fractionFor(model: Pick<GuardModel, 'kind'>, rules: Pick<GuardRules, 'maxModelFraction'>): number {
  return model.kind === 'vision' ? rules.maxModelFraction.vision : rules.maxModelFraction.text;
}

/** The largest size a model of this kind may have on a machine with `totalBytes` of RAM. */
export function sizeLimitBytes(model: Pick<GuardModel, 'kind'>, totalBytes: number, rules: Pick<GuardRules, 'maxModelFraction'>): number {
  return fractionFor(model, rules) * totalBytes;
}

/** `allowLargeModels` entries match a name exactly, or, without a tag, every tag of that model. */
export function isAllowedLarge(name: string, allowed: readonly string[]): boolean {
  const base = name.split(':')[0];
  return allowed.some((entry) => entry === name || (!entry.includes(':') && entry === base));
}

/**
 * Updates headroom's record of when each model was last used. Ollama restarts a model's
 * keep-alive timer when a request ends, so a model whose expiry moves later was just used; one
 * listed past its expiry is in a request right now (the timer is stopped meanwhile), and so is a
 * model still loading. A model generating since before its previous expiry cannot be told from an
 * idle one: /api/ps shows no requests.
 */
function trackUse(previous: GuardState['modelUse'], snapshot: GuardSnapshot): GuardState['modelUse'] {
  if (snapshot.ollama.status !== 'ok' && snapshot.ollama.status !== 'busy') return previous;
  const next: GuardState['modelUse'] = {};
  for (const model of snapshot.ollama.models) {
    const seen = previous[model.name];
    const busy = model.loadingPid !== undefined || (model.expiresAt !== null && model.expiresAt <= snapshot.at);
    const renewed = seen !== undefined && model.expiresAt !== null && (seen.expiresAt === null || model.expiresAt > seen.expiresAt);
    next[model.name] = { lastUsedAt: !seen || busy || renewed ? snapshot.at : seen.lastUsedAt, expiresAt: model.expiresAt };
  }
  return next;
}

/** Least recently used first; ties go to the earliest expiry, then the largest model. */
export function lruOrder(models: readonly GuardModel[], state: Pick<GuardState, 'modelUse'>): GuardModel[] {
  const used = (model: GuardModel): number => state.modelUse[model.name]?.lastUsedAt ?? 0;
  return [...models].sort(
    (a, b) => used(a) - used(b) || (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || b.sizeBytes - a.sizeBytes,
  );
}
