/**
 * One recovery: read, diagnose, act, and read again, until Docker answers or there is nothing
 * left that headroom may do (docs/docker.md). Bounded: every action but start runs at most once,
 * starts are limited and backed off, and the passes are capped. Once Docker answers, the
 * configured services are checked and brought back. A dry run reads, waits out a Broken, and
 * reports the first plan without carrying it out.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { diagnose, type DiagnoseSettings } from './diagnose.js';
import type { ActionOutcome } from './executor.js';
import type { ServiceResult } from './services.js';
import { newEpisode, type Action, type ColimaFacts, type Diagnosis, type Finding } from './types.js';

/** Why a recovery runs. */
export type RecoveryTrigger = 'start' | 'watch' | 'manual';

/** How a recovery ended. */
export type RecoveryOutcome = 'healthy' | 'recovered' | 'inactive' | 'left' | 'waiting' | 'failed' | 'dry-run' | 'canceled';

/** One action as reported. */
export interface ActionReport {
  kind: Action['kind'];
  tier: Action['tier'];
  reason: string;
  ok: boolean;
  dryRun: boolean;
  detail: string;
}

/** What a recovery did and found. */
export interface RecoveryReport {
  trigger: RecoveryTrigger;
  startedAt: number;
  finishedAt: number;
  outcome: RecoveryOutcome;
  summary: string;
  /** The findings of the first read that found a problem (or of the only read). */
  findings: Finding[];
  actions: ActionReport[];
  startAttempts: number;
  services: ServiceResult[];
}

/** What a recovery is made of. */
export interface RecoveryDeps {
  gather: (signal?: AbortSignal) => Promise<ColimaFacts>;
  executor: { execute(action: Action, signal?: AbortSignal): Promise<ActionOutcome> };
  /** Checks the configured services once Docker answers; null when none are configured. */
  services: ((signal?: AbortSignal) => Promise<ServiceResult[]>) | null;
  settings: Omit<DiagnoseSettings, 'manual'>;
  clock: Clock;
  logger: Logger;
  dryRun: boolean;
}

/** Passes beyond the start attempts: the second read, the safe pass, a stop, a kill, the delete, the last read. */
const EXTRA_PASSES = 6;

/** Runs one recovery; never throws. */
export async function recover(deps: RecoveryDeps, trigger: RecoveryTrigger, signal?: AbortSignal): Promise<RecoveryReport> {
  const log = deps.logger.child({ component: 'docker' });
  const startedAt = deps.clock.now();
  const episode = newEpisode();
  const settings: DiagnoseSettings = { ...deps.settings, manual: trigger === 'manual' };
  const actions: ActionReport[] = [];
  let findings: Finding[] | null = null;
  const finish = async (outcome: RecoveryOutcome, summary: string, checkServices = false): Promise<RecoveryReport> => {
    const services = checkServices && deps.services ? await deps.services(signal) : [];
    const report: RecoveryReport = { trigger, startedAt, finishedAt: deps.clock.now(), outcome, summary, findings: findings ?? [], actions, startAttempts: episode.startAttempts, services };
    const fields = { trigger, outcome, summary, startAttempts: episode.startAttempts, actions: actions.length, services: services.map((s) => `${s.service}: ${s.state}`) };
    log[outcome === 'failed' ? 'warn' : 'info'](fields, `docker check (${trigger}): ${outcome}: ${summary}`);
    return report;
  };

  const maxPasses = deps.settings.startAttempts + EXTRA_PASSES;
  for (let pass = 1; pass <= maxPasses; pass += 1) {
    if (signal?.aborted) return finish('canceled', 'headroom is stopping');
    let diagnosis: Diagnosis;
    try {
      diagnosis = diagnose(await deps.gather(signal), episode, settings);
    } catch (error) {
      return finish('failed', `could not read the Colima profile: ${(error as Error).message}`);
    }
    if (findings === null || (findings.length === 0 && diagnosis.findings.length > 0)) findings = diagnosis.findings;
    // A reused pid stays remembered; "left running" is carried only from a read headroom acted
    // on (its own actions remove that evidence): a Colima you stop while headroom reads again
    // is seen stopped cleanly, and left so.
    episode.recycledSeen ||= diagnosis.evidence.recycled;
    if (diagnosis.verdict !== 'healthy') log.info({ pass, verdict: diagnosis.verdict, findings: diagnosis.findings.map((f) => f.text) }, `docker check (${trigger}), read ${pass}: ${diagnosis.summary}`);
    switch (diagnosis.verdict) {
      case 'healthy': {
        const recovered = actions.some((a) => a.ok && !a.dryRun);
        return finish(recovered ? 'recovered' : 'healthy', recovered ? `Docker answers again after ${actions.filter((a) => a.ok).map((a) => a.kind).join(', ')}` : diagnosis.summary, true);
      }
      case 'inactive':
        return finish('inactive', diagnosis.summary);
      case 'leave':
        return finish('left', diagnosis.summary);
      case 'wait':
        return finish('waiting', diagnosis.summary);
      case 'blocked':
      case 'gave-up':
        return finish('failed', diagnosis.summary);
      case 'recheck':
        await deps.clock.sleep(diagnosis.recheckAfterMs, signal);
        episode.rechecked = true;
        continue;
      case 'act':
        episode.leftRunning ||= diagnosis.evidence.leftRunning;
        break;
    }
    for (const action of diagnosis.actions) {
      const outcome = await deps.executor.execute(action, signal);
      actions.push({ kind: action.kind, tier: action.tier, reason: action.reason, ok: outcome.ok, dryRun: outcome.dryRun, detail: outcome.detail });
      episode.done.push(action.key);
      if (action.kind === 'start') {
        episode.startAttempts += 1;
        if (outcome.start !== undefined) episode.lastStart = outcome.start;
      }
      // A failed step changes what the next one would meet: read again first.
      if (!outcome.ok) break;
    }
    if (deps.dryRun) return finish('dry-run', diagnosis.summary);
  }
  return finish('failed', `Docker does not answer after ${maxPasses} reads`);
}
