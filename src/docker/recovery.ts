/**
 * One recovery: read, diagnose, act, and read again, until Docker answers or there is nothing
 * left that headroom may do (docs/docker.md). Bounded: every action but start runs at most once,
 * starts are limited per boot (counted across headroom runs) and backed off, and the passes are
 * capped. Once Docker answers, the configured services are checked and brought back. A dry run
 * reads, waits out a Broken, and reports the first plan without carrying it out.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { diagnose, type DiagnoseSettings } from './diagnose.js';
import type { ActionOutcome } from './executor.js';
import type { ServiceResult } from './services.js';
import type { StartCounter, StartsUsed } from './start-count-file.js';
import { newEpisode, type Action, type ColimaFacts, type Diagnosis, type Episode, type Finding } from './types.js';

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
  /** The starts of this boot, kept across headroom runs; null: counted within this recovery only. */
  starts: StartCounter | null;
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
  const settings: DiagnoseSettings = { ...deps.settings, manual: trigger === 'manual' };
  // Starts that an earlier run of headroom began in this boot count against docker.startAttempts
  // (a daemon killed during a start must not get a fresh set); you asking starts a new count.
  const episode = trigger !== 'manual' && deps.starts ? episodeAfter(readStarts(deps.starts, log)) : newEpisode();
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
        if (!deps.dryRun) clearStarts(deps.starts, log);
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
      // Counted before it runs: a kill during the start still counts it.
      if (!deps.dryRun && (action.kind === 'start' || action.kind === 'delete-vm')) {
        recordStarts(deps.starts, { starts: episode.startAttempts + (action.kind === 'start' ? 1 : 0), vmDeleted: action.kind === 'delete-vm' || episode.done.includes('delete-vm') }, log);
      }
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

/** A new episode that goes on from the starts (and a VM delete) of earlier runs in this boot. */
export function episodeAfter(used: StartsUsed): Episode {
  return { ...newEpisode(), startAttempts: used.starts, startsBefore: used.starts, done: used.vmDeleted ? ['delete-vm'] : [] };
}

/** What earlier runs used; nothing when the file cannot be read (logged). */
function readStarts(starts: StartCounter, log: Logger): StartsUsed {
  try {
    return starts.used();
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'docker recovery: could not read the start count of this boot');
    return { starts: 0, vmDeleted: false };
  }
}

/** Writes the count; a failure is logged, and the start still bounded within this run. */
function recordStarts(starts: StartCounter | null, used: StartsUsed, log: Logger): void {
  try {
    starts?.record(used);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'docker recovery: could not write the start count: a restarted headroom would not see these starts');
  }
}

function clearStarts(starts: StartCounter | null, log: Logger): void {
  try {
    starts?.clear();
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'docker recovery: could not clear the start count');
  }
}
