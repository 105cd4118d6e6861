/**
 * The memory guard's policy: one pure function from (state, snapshot, rules) to (state,
 * decisions). No I/O, no clock: time is `snapshot.at`, so it runs the same in the daemon and in
 * the simulator. The rules are in docs/policy.md.
 */
import { formatBytes } from '../core/units.js';
import { incidentMessage, oversizeMessage, recoveryMessage } from './messages.js';
import { evaluateTrigger, type Trigger } from './trigger.js';
import type { Decision, GuardLevel, GuardModel, GuardRules, GuardSnapshot, GuardState } from './types.js';

/** The next state and what to do now. */
export interface Evaluation {
  state: GuardState;
  decisions: Decision[];
}

/** One tick of the policy. */
export function evaluate(previous: GuardState, snapshot: GuardSnapshot, rules: GuardRules): Evaluation {
  const { at } = snapshot;
  const decisions: Decision[] = [];
  const loadedNow = (record: Record<string, unknown>): string[] =>
    Object.keys(record).filter((name) => snapshot.ollama.status !== 'ok' || snapshot.ollama.models.some((m) => m.name === name));
  const state: GuardState = {
    ...previous,
    oversizeActedAt: Object.fromEntries(loadedNow(previous.oversizeActedAt).map((name) => [name, previous.oversizeActedAt[name] ?? 0])),
    oversizeNotified: Object.fromEntries(loadedNow(previous.oversizeNotified).map((name) => [name, true as const])),
    notifiedAt: { ...previous.notifiedAt },
    modelUse: trackUse(previous.modelUse, snapshot),
    incident: previous.incident ? { ...previous.incident, unloaded: [...previous.incident.unloaded] } : null,
  };
  const trigger = evaluateTrigger(snapshot.memory, rules);
  const held = advanceLevel(state, trigger, at, rules, decisions);

  const ollamaOk = snapshot.ollama.status === 'ok';
  const models = ollamaOk ? snapshot.ollama.models : [];
  const canAct = ollamaOk && !snapshot.unloadInFlight;
  let unload: Extract<Decision, { kind: 'unload' }> | null = null;

  if (canAct && models.length > 0) {
    const last = state.lastPressureAction;
    const cooledDown = last === null || at - last.at >= rules.cooldownMs;
    if (held.critical && (cooledDown || last?.rule !== 'critical')) {
      // A critical trigger may follow a warn unload at once: waiting out the cooldown there is
      // how machines lock up. It waits only after an earlier critical unload.
      unload = { kind: 'unload', rule: 'critical', models: lruOrder(models, state).map((m) => m.name), reason: trigger.reasons.join('; ') };
      state.lastPressureAction = { at, rule: 'critical' };
    } else {
      unload = oversizeUnload(models, snapshot, state, rules, decisions);
      if (!unload && held.warn && cooledDown) {
        const victim = lruOrder(models, state)[0];
        if (victim) {
          unload = { kind: 'unload', rule: 'warn', models: [victim.name], reason: trigger.reasons.join('; ') };
          state.lastPressureAction = { at, rule: 'warn' };
        }
      }
    }
  }
  if (unload) {
    decisions.push(unload);
    if (unload.rule !== 'oversize' && state.incident) state.incident.unloaded.push(...unload.models);
  }

  notifyIncident(state, snapshot, trigger, unload, models, rules, decisions);
  return { state, decisions };
}

/** Moves the level by the trigger, with sustain and recovery hysteresis; returns what is held now. */
function advanceLevel(state: GuardState, trigger: Trigger, at: number, rules: GuardRules, decisions: Decision[]): { warn: boolean; critical: boolean } {
  if (!trigger.known) return { warn: false, critical: false }; // no reading: keep everything as it was
  state.warnSince = trigger.warn ? (state.warnSince ?? at) : null;
  state.criticalSince = trigger.critical ? (state.criticalSince ?? at) : null;
  const critical = trigger.critical && at - (state.criticalSince ?? at) >= rules.criticalSustainMs;
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
      state.incident = { id: state.incidents, startedAt: at, peak: next === 'critical' ? 'critical' : 'warn', unloaded: [], notified: false, noticeSent: false, criticalRetried: false };
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
 * Tells the user once per incident, with the first action taken (or that there is none to take).
 * A notice held back by the rate limit gets one more chance if the incident turns critical:
 * flapping at warn stays quiet, but a new critical incident is never silent.
 */
function notifyIncident(
  state: GuardState,
  snapshot: GuardSnapshot,
  trigger: Trigger,
  unload: Extract<Decision, { kind: 'unload' }> | null,
  models: GuardModel[],
  rules: GuardRules,
  decisions: Decision[],
): void {
  const incident = state.incident;
  if (!incident || state.level === 'normal') return;
  const retry = incident.notified && !incident.noticeSent && !incident.criticalRetried && state.level === 'critical';
  if (incident.notified && !retry) return;
  const pressureUnload = unload && unload.rule !== 'oversize' ? unload : null;
  const nothingToDo = snapshot.ollama.status !== 'ok' || models.length === 0;
  if (!pressureUnload && !nothingToDo) return; // wait for the first action, which the notice reports
  const { title, message } = incidentMessage(state.level, snapshot, trigger, pressureUnload, models, rules);
  const key = retry ? 'pressure:critical' : 'pressure';
  const notice = withRateLimit(state, key, snapshot.at, rules, { kind: 'notify', topic: 'incident', title, message });
  if (retry) incident.criticalRetried = true;
  incident.notified = true;
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
): Extract<Decision, { kind: 'unload' }> | null {
  const total = snapshot.memory.totalBytes;
  if (total === null) return null;
  const candidates = models
    .filter((model) => !isAllowedLarge(model.name, rules.allowLargeModels))
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
  return {
    kind: 'unload',
    rule: 'oversize',
    models: [model.name],
    reason: `${formatBytes(model.sizeBytes)} > ${formatBytes(limit)} (${fractionFor(model, rules) * 100}% of ${formatBytes(total)} for ${model.kind === 'vision' ? 'vision' : 'text'} models)`,
  };
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
function fractionFor(model: GuardModel, rules: GuardRules): number {
  return model.kind === 'vision' ? rules.maxModelFraction.vision : rules.maxModelFraction.text;
}

/** The largest size a model of this kind may have on a machine with `totalBytes` of RAM. */
export function sizeLimitBytes(model: GuardModel, totalBytes: number, rules: GuardRules): number {
  return fractionFor(model, rules) * totalBytes;
}

/** `allowLargeModels` entries match a name exactly, or, without a tag, every tag of that model. */
export function isAllowedLarge(name: string, allowed: readonly string[]): boolean {
  const base = name.split(':')[0];
  return allowed.some((entry) => entry === name || (!entry.includes(':') && entry === base));
}

/**
 * Updates headroom's record of when each model was last used: a model is used when its expiry
 * moves later (Ollama restarts the keep-alive timer after each request), and is in use right now
 * when its expiry has passed while it is still listed (the timer is stopped during a request).
 */
function trackUse(previous: GuardState['modelUse'], snapshot: GuardSnapshot): GuardState['modelUse'] {
  if (snapshot.ollama.status !== 'ok') return previous;
  const next: GuardState['modelUse'] = {};
  for (const model of snapshot.ollama.models) {
    const seen = previous[model.name];
    const busy = model.expiresAt !== null && model.expiresAt <= snapshot.at;
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
