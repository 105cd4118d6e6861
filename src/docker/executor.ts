/**
 * Carries out one planned action through the command runner and node:fs, logging it with its
 * reason. Each action checks again right before it acts: a file is removed only while it is the
 * one that was judged (same mtime), a lock counts as gone only when the link is gone, a process
 * is signalled only while its pid still names the same program of this user. In a dry run every
 * action says what it would do, and nothing is run, removed or signalled.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../ports/clock.js';
import { commandFailure, describeCommand, type CommandRunner } from '../ports/command-runner.js';
import type { Logger } from '../ports/logger.js';
import type { PidLookup } from '../ports/pid-lookup.js';
import type { Signaller } from '../ports/processes.js';
import type { ColimaProfile } from './colima-paths.js';
import { failureModeOf, type FailureMode } from './failure-modes.js';
import { lastError, parseLogrus } from './logrus.js';
import { START_SLACK_MS } from './pid-files.js';
import type { Action } from './types.js';
import { escalate, type Recheck } from '../processes/escalate.js';

/** How an action went. */
export interface ActionOutcome {
  action: Action;
  ok: boolean;
  dryRun: boolean;
  /** What was done (or would be), or why it failed. */
  detail: string;
  /** For a start: how it failed, or that colima only said "already running". */
  start?: { mode: FailureMode | null; message: string } | null;
}

/** What the executor is made of. */
export interface ExecutorDeps {
  profile: ColimaProfile;
  runner: CommandRunner;
  pids: PidLookup;
  signaller: Signaller;
  clock: Clock;
  logger: Logger;
  /** Extra environment of colima's and limactl's children (COLIMA_HOME, LIMA_HOME). */
  env: { colima: Record<string, string>; lima: Record<string, string> };
  commandTimeoutMs: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** Time between SIGTERM and SIGKILL for docker.allow.killProcesses. */
  killGraceMs: number;
  /** Where colima.yaml is kept while `colima delete` runs. */
  backupDir: string;
  dryRun: boolean;
}

/** The argv of each colima action, for a profile. */
export function colimaArgs(kind: 'start' | 'stop' | 'force-stop' | 'delete-vm', profile: string, data = false): string[] {
  switch (kind) {
    case 'start':
      return ['start', '--profile', profile];
    case 'stop':
      return ['stop', '--profile', profile];
    case 'force-stop':
      return ['stop', '--force', '--profile', profile];
    case 'delete-vm':
      return ['delete', '--force', ...(data ? ['--data'] : []), '--profile', profile];
  }
}

/** The action in words: "remove …/ha.pid", "run colima start --profile default". */
export function describeAction(action: Action, profile: string): string {
  switch (action.kind) {
    case 'remove-file':
      return `remove ${action.file}`;
    case 'disk-unlock':
      return `run ${describeCommand('limactl', ['disk', 'unlock', action.disk])}`;
    case 'kill':
      return `end ${action.name} (pid ${action.pid}) with SIGTERM, then SIGKILL`;
    case 'start':
      return `${action.delayMs > 0 ? `wait ${action.delayMs} ms, then ` : ''}run ${describeCommand('colima', colimaArgs('start', profile))}`;
    case 'delete-vm':
      return `run ${describeCommand('colima', colimaArgs('delete-vm', profile, action.data))}`;
    default:
      return `run ${describeCommand('colima', colimaArgs(action.kind, profile))}`;
  }
}

/** Runs actions, one at a time. */
export class ActionExecutor {
  private readonly log: Logger;

  constructor(private readonly deps: ExecutorDeps) {
    this.log = deps.logger.child({ component: 'docker' });
  }

  /** Carries out `action` (or, in a dry run, says what it would do). Never throws. */
  async execute(action: Action, signal?: AbortSignal): Promise<ActionOutcome> {
    const fields = { action: action.kind, tier: action.tier, reason: action.reason, dryRun: this.deps.dryRun };
    if (this.deps.dryRun) {
      const detail = `would ${this.describe(action)}`;
      this.log.info(fields, `docker recovery: ${detail}: ${action.reason}`);
      return { action, ok: true, dryRun: true, detail };
    }
    this.log.info(fields, `docker recovery: ${this.describe(action)}: ${action.reason}`);
    let outcome: ActionOutcome;
    try {
      outcome = await this.run(action, signal);
    } catch (error) {
      outcome = { action, ok: false, dryRun: false, detail: (error as Error).message };
    }
    this.log[outcome.ok ? 'info' : 'warn']({ ...fields, ok: outcome.ok, detail: outcome.detail }, `docker recovery: ${action.kind} ${outcome.ok ? 'done' : 'failed'}: ${outcome.detail}`);
    return outcome;
  }

  /** The action in words (see describeAction). */
  describe(action: Action): string {
    return describeAction(action, this.deps.profile.name);
  }

  private async run(action: Action, signal?: AbortSignal): Promise<ActionOutcome> {
    const outcome = (ok: boolean, detail: string, extra: Partial<ActionOutcome> = {}): ActionOutcome => ({ action, ok, dryRun: false, detail, ...extra });
    const { profile, env } = this.deps;
    switch (action.kind) {
      case 'remove-file': {
        let modifiedAt: number;
        try {
          modifiedAt = lstatSync(action.file).mtimeMs;
        } catch {
          return outcome(true, 'already gone');
        }
        if (modifiedAt !== action.modifiedAt) return outcome(false, `${action.file} changed since it was read: left alone`);
        rmSync(action.file, { force: true });
        return outcome(true, `removed ${action.file}`);
      }
      case 'disk-unlock': {
        const result = await this.deps.runner.run('limactl', ['disk', 'unlock', action.disk], { timeoutMs: this.deps.commandTimeoutMs, signal, env: env.lima });
        if (!present(action.lockFile)) return outcome(true, `disk "${action.disk}" unlocked`);
        // limactl warns and exits 0 when it refuses (the owner runs or has errors).
        return outcome(false, `disk "${action.disk}" is still locked: ${commandFailure(result) ?? lastError(result.stderr) ?? 'limactl refused'}`);
      }
      case 'stop':
      case 'force-stop': {
        const result = await this.deps.runner.run('colima', colimaArgs(action.kind, profile.name), { timeoutMs: this.deps.stopTimeoutMs, signal, env: env.colima });
        const failure = commandFailure(result);
        return failure === null ? outcome(true, `${describeCommand('colima', result.args)}: done`) : outcome(false, failure);
      }
      case 'kill':
        return this.kill(action, signal);
      case 'start': {
        if (action.delayMs > 0) {
          this.log.info({ delayMs: action.delayMs, attempt: action.attempt }, `docker recovery: waiting ${action.delayMs} ms before start attempt ${action.attempt}`);
          await this.deps.clock.sleep(action.delayMs, signal);
          if (signal?.aborted) return outcome(false, 'canceled');
        }
        const result = await this.deps.runner.run('colima', colimaArgs('start', profile.name), { timeoutMs: this.deps.startTimeoutMs, signal, env: env.colima });
        const messages = parseLogrus(result.stderr).map((line) => line.msg);
        const mode = messages.map(failureModeOf).find((m) => m !== null) ?? null;
        const failure = commandFailure(result);
        if (failure === null) {
          // colima start exits 0 on "already running, ignoring" while Docker may be dead (a false Running).
          return mode === 'already-running' ? outcome(true, 'colima says it is already running', { start: { mode, message: 'already running, ignoring' } }) : outcome(true, 'colima started', { start: null });
        }
        const message = messages.filter((m) => failureModeOf(m) !== null).at(-1) ?? lastError(result.stderr) ?? failure;
        return outcome(false, failure, { start: { mode, message } });
      }
      case 'delete-vm': {
        const yaml = path.join(profile.configDir, 'colima.yaml');
        const kept = path.join(this.deps.backupDir, `colima-${profile.name}.yaml`);
        if (existsSync(yaml)) {
          mkdirSync(this.deps.backupDir, { recursive: true, mode: 0o700 });
          copyFileSync(yaml, kept);
        }
        const result = await this.deps.runner.run('colima', colimaArgs('delete-vm', profile.name, action.data), { timeoutMs: this.deps.stopTimeoutMs, signal, env: env.colima });
        // colima delete removes the profile's settings; the next start reads them back.
        if (existsSync(kept) && !existsSync(yaml)) {
          mkdirSync(profile.configDir, { recursive: true });
          copyFileSync(kept, yaml);
        }
        const failure = commandFailure(result);
        return failure === null ? outcome(true, `deleted the VM${action.data ? ' and its container data' : ''} (colima.yaml kept)`) : outcome(false, failure);
      }
    }
  }

  /**
   * SIGTERM, a grace period, then SIGKILL, through the one escalation (processes/escalate.ts):
   * each signal only right after a look says the pid still names the same program of this user,
   * started when it was (a start that cannot be read proves nothing), and none once headroom stops.
   */
  private async kill(action: Extract<Action, { kind: 'kill' }>, signal?: AbortSignal): Promise<ActionOutcome> {
    const { pids, signaller, clock, killGraceMs } = this.deps;
    const recheck = async (): Promise<Recheck> => {
      const owner = await pids.lookup(action.pid, signal);
      if (owner.state === 'dead') return { kind: 'gone' };
      if (owner.state === 'unknown') return { kind: 'keep', why: `who it is cannot be told (${owner.error})` };
      if (owner.name !== action.name || owner.uid !== signaller.ownUid) return { kind: 'replaced' };
      if (owner.startedAt === null) return { kind: 'keep', why: 'its start time cannot be read' };
      return Math.abs(owner.startedAt - action.startedAt) <= START_SLACK_MS ? { kind: 'same' } : { kind: 'replaced' };
    };
    const result = (ok: boolean, detail: string): ActionOutcome => ({ action, ok, dryRun: false, detail });
    const outcome = await escalate({ signaller, clock, stop: signal }, { pid: action.pid, recheck, graceMs: killGraceMs, kill: true });
    const what = `${action.name} (pid ${action.pid})`;
    switch (outcome.kind) {
      case 'left-alone':
        return outcome.sent === null ? result(outcome.gone, `${what}: nothing sent: ${outcome.why}`) : result(false, `${what}: ${outcome.why}`);
      case 'exited':
        return result(true, `${what} ended after ${outcome.signal}${outcome.pidReused ? ' (its pid now names another process)' : ''}`);
      case 'still-running':
        return result(false, `${what} still runs after ${outcome.signal}`);
    }
  }
}

/** True when the path exists, a dangling link included (lstat does not follow it). */
function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
