/**
 * The diagnosis: facts and the episode so far in, findings and a tiered plan out, each action
 * with its reason (docs/docker.md has the table). No I/O and no clock: the facts carry the time.
 *
 * The tiers, in order: safe (remove PID and socket files proven stale; `limactl disk unlock` of
 * our own instance's lock once it is stopped), guarded (`colima stop`, forced when the host agent
 * does not answer, only when every PID file is stale or names a Lima/Colima process of this user,
 * and never in a recovery that met a reused pid), destructive (opt-in only), start (bounded,
 * with exponential backoff). A Broken or false Running is read twice before anything is done,
 * and a /_ping that only timed out while docker.sock accepts is a slow Docker, waited for.
 */
import path from 'node:path';
import { FAILURE_MODE_TEXT, failureModesIn } from './failure-modes.js';
import { classifyPidFile, type PidVerdict } from './pid-files.js';
import type { Action, ColimaFacts, Diagnosis, Episode, Finding, PidFileFact, Verdict } from './types.js';

/** What may be done, from config (and the command line). */
export interface DiagnoseSettings {
  /** When colima start may run: `wasRunning` (it was left running), `always`, `never`. */
  start: 'wasRunning' | 'always' | 'never';
  /** `headroom docker recover`: the user asked, so a start is allowed whatever `start` says. */
  manual: boolean;
  startAttempts: number;
  startBackoffMs: number;
  recheckMs: number;
  /** A host agent of yours younger than this may still be starting (a colima start under way): it is waited for, never stopped. */
  startingGraceMs: number;
  allow: { deleteVm: boolean; deleteData: boolean; killProcesses: boolean };
}

interface Judged {
  fact: PidFileFact;
  verdict: PidVerdict;
}

/** The delay before start attempt `attempt` (1-based): none for the first, then the backoff doubling. */
export function startDelayMs(attempt: number, backoffMs: number): number {
  return attempt <= 1 ? 0 : backoffMs * 2 ** (attempt - 2);
}

/** Diagnoses one read of the facts within an episode. */
export function diagnose(facts: ColimaFacts, episode: Episode, settings: DiagnoseSettings): Diagnosis {
  const findings: Finding[] = [];
  const { profile } = facts;
  const result = (verdict: Verdict, summary: string, actions: Action[] = [], extra: Partial<Diagnosis> = {}): Diagnosis => ({
    verdict,
    summary,
    findings,
    actions,
    recheckAfterMs: 0,
    evidence: { leftRunning: false, recycled: false },
    ...extra,
  });

  desktopFinding(facts, findings);
  if (!facts.installed.colima) return result('inactive', 'colima is not installed (not found on PATH): nothing to recover');
  if (!facts.profileExists) return result('inactive', `no Colima profile "${profile.name}" (${profile.configDir} does not exist): nothing to recover`);
  contextFindings(facts, findings);
  if (facts.colima?.running && facts.colima.runtime !== null && facts.colima.runtime !== 'docker') {
    return result('inactive', `Colima profile "${profile.name}" runs ${facts.colima.runtime}, not Docker: nothing to watch`);
  }
  if (facts.ping.ok) return result('healthy', `Docker answers on ${facts.ping.socket}`);
  // Only a refusal, a missing socket, a hang-up or an HTTP error proves Docker dead: a /_ping
  // that times out while docker.sock accepts connections is a listener too busy to answer (a VM
  // swapping under memory pressure), and stopping it would lose what runs in it.
  const dockerSocket = facts.sockets.find((socket) => socket.file === profile.dockerSocket);
  if (facts.ping.timedOut && (dockerSocket?.state === 'accepts' || dockerSocket?.state === 'timeout')) {
    const slow = `Docker is slow, not down: ${facts.ping.socket} accepts connections but /_ping got no answer in time (${facts.ping.error ?? 'a timeout'})`;
    if (!settings.manual) {
      findings.push({ level: 'warn', text: slow });
      return result('wait', `${slow}: headroom stops nothing and looks again at the next check`);
    }
    findings.push({ level: 'warn', text: `${slow}: you asked (headroom docker recover), so it is recovered as if down` });
  }
  findings.push({ level: 'error', text: `Docker does not answer on ${facts.ping.socket}: ${facts.ping.error ?? 'no answer'}` });

  const instance = facts.lima?.instance ?? null;
  const status = instance?.status ?? (facts.colima?.running ? 'Running' : null);
  if (facts.lima?.error) findings.push({ level: 'warn', text: `limactl list: ${facts.lima.error}` });
  if (facts.colima?.message) findings.push({ level: 'info', text: `colima status: ${facts.colima.message}` });
  if (instance) findings.push({ level: instance.status === 'Running' || instance.status === 'Stopped' ? 'info' : 'warn', text: `Lima says ${instance.name} is ${instance.status || 'in no known state'}${instance.errors.length > 0 ? `: ${instance.errors.join('; ')}` : ''}` });
  const modes = failureModesIn([...(instance?.errors ?? []), ...facts.haLogErrors, facts.colima?.message ?? '', episode.lastStart?.message ?? '']);
  for (const mode of modes) findings.push({ level: 'warn', text: FAILURE_MODE_TEXT[mode] });
  const broken = status === 'Broken';
  const falseRunning = status === 'Running';
  if (falseRunning) findings.push({ level: 'warn', text: `${profile.instance} says Running but Docker is dead (a false Running)` });

  const judged: Judged[] = facts.pidFiles.map((fact) => ({ fact, verdict: classifyPidFile(fact, facts.bootedAt, facts.ownUid) }));
  for (const { fact, verdict } of judged) {
    findings.push({ level: verdict.kind === 'ours' ? 'info' : 'warn', text: `${shortName(fact.file, profile.colimaHome)}: ${verdict.kind === 'stale' ? 'stale' : verdict.kind === 'ours' ? 'live' : verdict.kind === 'foreign' ? "another user's process" : 'not proven stale'} (${verdict.detail})` });
  }
  const recycled = judged.some((j) => j.verdict.kind === 'stale' && j.verdict.why === 'recycled');
  const notStale = judged.filter((j) => j.verdict.kind !== 'stale');
  // This instance's own processes: only these are stopped or, with docker.allow.killProcesses, ended.
  const lingering = notStale.filter((j) => j.fact.kind === 'hostagent' || j.fact.kind === 'driver');
  const instanceLive = lingering.length > 0;
  // The user-v2 helper is shared by every profile: its pid file says nothing about this one.
  const ownPidFiles = facts.pidFiles.some((fact) => fact.kind !== 'usernet');
  // A start an earlier headroom run began in this boot is its own evidence (its actions may have removed the rest).
  const leftRunning = episode.leftRunning || episode.startsBefore > 0 || ownPidFiles || broken || falseRunning || facts.diskLocks.some((lock) => lock.owner === profile.instance);
  const evidence = { leftRunning, recycled };

  const starting = judged.find((j) => j.fact.kind === 'hostagent' && j.verdict.kind === 'ours' && facts.at - j.fact.modifiedAt < settings.startingGraceMs);
  if (starting) {
    return result('wait', `${profile.instance} is starting (its host agent, pid ${starting.fact.pid ?? '?'}, started ${Math.round((facts.at - starting.fact.modifiedAt) / 1000)} s ago): headroom waits for it and stops nothing`, [], { evidence });
  }
  if ((broken || falseRunning) && !episode.rechecked && settings.recheckMs > 0) {
    return result('recheck', `${profile.instance} is ${status} and Docker does not answer: reading again in ${settings.recheckMs} ms (Broken is transient during a start)`, [], {
      recheckAfterMs: settings.recheckMs,
      evidence,
    });
  }

  const done = new Set(episode.done);
  const actions: Action[] = [];
  const blockers: string[] = [];
  const plan = (action: Action): void => {
    // ha.pid and vz.pid name the same pid under VZ: one action for both.
    if (!done.has(action.key) && !actions.some((a) => a.key === action.key)) actions.push(action);
  };

  // Safe: files proven stale.
  for (const { fact, verdict } of judged) {
    if (verdict.kind !== 'stale') continue;
    plan({ kind: 'remove-file', tier: 'safe', key: `remove:${fact.file}:${fact.modifiedAt}`, file: fact.file, modifiedAt: fact.modifiedAt, reason: `${shortName(fact.file, profile.colimaHome)} is stale: ${verdict.detail}` });
  }
  const liveIn = (scope: 'instance' | 'network', network: string | null): boolean =>
    notStale.some((j) => (scope === 'network' ? j.fact.kind === 'usernet' && path.basename(path.dirname(j.fact.file)) === network : j.fact.kind === 'hostagent' || j.fact.kind === 'driver'));
  for (const socket of facts.sockets) {
    if (socket.state !== 'refused' || liveIn(socket.scope === 'network' ? 'network' : 'instance', socket.network)) continue;
    plan({ kind: 'remove-file', tier: 'safe', key: `remove:${socket.file}:${socket.modifiedAt}`, file: socket.file, modifiedAt: socket.modifiedAt, reason: `${shortName(socket.file, profile.colimaHome)} refuses connections and no process of its owner runs` });
  }
  // Safe: our own instance's disk lock, once the instance is stopped.
  for (const lock of facts.diskLocks) {
    if (lock.owner !== profile.instance) {
      if (lock.disk === profile.instance) blockers.push(`the data disk "${lock.disk}" is locked by instance "${lock.owner}": headroom does not unlock another instance's disk`);
      continue;
    }
    if (instanceLive) {
      findings.push({ level: 'info', text: `disk "${lock.disk}" is locked by ${profile.instance}, whose processes still run` });
      continue;
    }
    plan({ kind: 'disk-unlock', tier: 'safe', key: `unlock:${lock.disk}`, disk: lock.disk, lockFile: lock.file, reason: `disk "${lock.disk}" is locked by ${profile.instance}, which is not running (a lock left by a crash)` });
  }

  // Nothing is stopped or started while a PID file is not proven: colima stop SIGKILLs the pids
  // in ha.pid and vz.pid, and colima start first stops a "running" daemon with pkill -F daemon.pid.
  const unproven = notStale.filter((j) => j.verdict.kind !== 'ours');
  let stopsPlanned = false;
  if (unproven.length > 0) {
    blockers.push(`not every PID file is proven stale or yours (${unproven.map((j) => `${path.basename(j.fact.file)}: ${j.verdict.detail}`).join('; ')}): headroom stops and starts nothing`);
  } else if (instanceLive) {
    // Guarded: stop what still runs, now that every PID file is stale or yours.
    if (recycled || episode.recycledSeen) {
      blockers.push('a PID file named a pid that another program now uses: headroom runs no colima stop in this recovery, so that no signal can reach it');
    } else {
      const agentAnswers = facts.sockets.some((s) => s.file === path.join(profile.instanceDir, 'ha.sock') && s.state === 'accepts');
      const why = `${profile.instance} is ${status ?? 'not answering'} with Docker dead, and every PID file is stale or names your own Lima/Colima process`;
      if (agentAnswers && !done.has('stop')) plan({ kind: 'stop', tier: 'guarded', key: 'stop', reason: `${why}: stopping it gracefully` });
      else if (!done.has('force-stop')) plan({ kind: 'force-stop', tier: 'guarded', key: 'force-stop', reason: `${why}${agentAnswers ? ', and a graceful stop did not end it' : ', and its host agent does not answer'}` });
      else if (settings.allow.killProcesses) {
        for (const { fact } of lingering) {
          const owner = fact.owner;
          if (fact.pid === null || owner?.state !== 'alive') continue;
          // Its start time is what tells it from a process that reuses the pid before the signal.
          if (owner.startedAt === null) {
            blockers.push(`colima stop --force left your ${owner.name} (pid ${fact.pid}) running, and its start time cannot be read: headroom cannot prove the pid still names it when signalling, so it sends nothing`);
            continue;
          }
          plan({ kind: 'kill', tier: 'destructive', key: `kill:${fact.pid}`, pid: fact.pid, name: owner.name, startedAt: owner.startedAt, reason: `colima stop --force left your ${owner.name} (pid ${fact.pid}) running (docker.allow.killProcesses)` });
        }
      } else {
        blockers.push(`colima stop --force left Lima processes running (${[...new Set(lingering.map((j) => j.fact.pid))].join(', ')}): set docker.allow.killProcesses to let headroom end them`);
      }
      stopsPlanned = actions.some((a) => a.tier === 'guarded' || a.kind === 'kill');
    }
  }
  if (blockers.length > 0) {
    for (const text of blockers) findings.push({ level: 'error', text });
    const safe = actions.filter((a) => a.tier === 'safe');
    return result(safe.length > 0 ? 'act' : 'blocked', blockers.join('; '), safe, { evidence });
  }

  // Start, bounded; then the destructive opt-in; then give up.
  const mayStart = settings.manual || settings.start === 'always' || (settings.start === 'wasRunning' && leftRunning);
  if (instanceLive && !stopsPlanned) return result(actions.length > 0 ? 'act' : 'blocked', 'Lima processes still run and no stop is allowed', actions, { evidence });
  if (!mayStart) {
    const why = settings.start === 'never' ? 'docker.start is never: headroom does not start Colima (run "headroom docker recover")' : 'Colima is stopped, with no sign it was left running: headroom leaves it stopped';
    return result(actions.length > 0 ? 'act' : 'leave', why, actions, { evidence });
  }
  const deleted = done.has('delete-vm');
  const limit = settings.startAttempts + (deleted ? 1 : 0);
  const lastFailure = episode.lastStart ? ` (last: ${episode.lastStart.mode ? FAILURE_MODE_TEXT[episode.lastStart.mode] : episode.lastStart.message})` : '';
  // Starts an earlier headroom run began did not finish: they are counted, not known to have failed.
  const tried = episode.startsBefore > 0 ? `colima start ran ${episode.startAttempts} times in this boot without Docker answering (${episode.startsBefore} of them before this run of headroom)` : `colima start failed ${episode.startAttempts} times`;
  if (episode.startAttempts < limit) {
    const attempt = episode.startAttempts + 1;
    const delayMs = deleted && attempt === limit ? 0 : startDelayMs(attempt, settings.startBackoffMs);
    plan({ kind: 'start', tier: 'start', key: `start:${attempt}`, attempt, delayMs, reason: attempt === 1 ? `Docker is down and Colima ${leftRunning ? 'was left running' : 'is stopped'}: starting it` : `start ${attempt} of ${limit}${lastFailure}` });
  } else if (settings.allow.deleteVm && !deleted) {
    plan({ kind: 'delete-vm', tier: 'destructive', key: 'delete-vm', data: settings.allow.deleteData, reason: `${tried}${lastFailure}: deleting the VM${settings.allow.deleteData ? ' and its container data' : ' (colima.yaml and the container data are kept)'} (docker.allow.deleteVm)` });
  } else {
    return result('gave-up', `${tried}${lastFailure}: headroom stops trying until Docker answers again, the next boot, or "headroom docker recover"`, [], { evidence });
  }
  const summary = [broken ? `${profile.instance} is Broken` : falseRunning ? `${profile.instance} says Running but Docker is dead` : 'Docker is down', ...modes.map((m) => FAILURE_MODE_TEXT[m])].join('; ');
  return result('act', summary, actions, { evidence });
}

/** Docker Desktop, when it is the active context: reported, never recovered. */
function desktopFinding(facts: ColimaFacts, findings: Finding[]): void {
  const { context, desktop } = facts;
  if (!desktop.active) return;
  const state = desktop.ping === null ? '' : desktop.ping.ok ? ', answering' : `, not answering (${desktop.ping.error ?? '?'})`;
  findings.push({ level: 'info', text: `Docker Desktop is the active context (${context.endpoint ?? '?'})${state}: headroom does not recover Docker Desktop` });
}

/** The active context, when it cannot be read or points away from this profile's socket. */
function contextFindings(facts: ColimaFacts, findings: Finding[]): void {
  const { context, desktop, profile } = facts;
  if (context.error) findings.push({ level: 'warn', text: `the active docker context cannot be read: ${context.error}` });
  else if (!desktop.active && context.endpoint !== null && context.endpoint !== `unix://${profile.dockerSocket}`) {
    findings.push({ level: 'warn', text: `the active docker context (${context.name ?? context.source}) points at ${context.endpoint}, not at Colima's ${profile.dockerSocket}` });
  }
}

/** A path under the Colima home written `~colima/…`, for short messages. */
function shortName(file: string, colimaHome: string): string {
  return file.startsWith(`${colimaHome}/`) ? file.slice(colimaHome.length + 1) : file;
}
