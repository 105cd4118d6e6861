/**
 * headroom's Ollama server: it runs `ollama serve` under pm2 with the safe environment, adopts
 * the one it left running, leaves (or, with takeover, stops) a server someone else runs, checks
 * /api/version on a schedule and restarts a server that stops answering, within a budget.
 * docs/ollama-server.md is the user's view.
 */
import type { Clock } from '../ports/clock.js';
import { commandFailure, type CommandRunner } from '../ports/command-runner.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { OllamaApi } from '../ports/ollama.js';
import type { AppSpec, ManagedApp, ManagerStatus, ProcessManager } from '../ports/process-manager.js';
import type { ProcessInfo, ProcessTable, Signaller } from '../ports/processes.js';
import type { ServerProbe } from '../ports/serving.js';
import { envDrift, judgeEnv, safetyRequirements, type EnvSafety, type OllamaEnvSettings } from './safe-env.js';
import { escalate, type Recheck } from '../processes/escalate.js';
import { BREW_SERVICE_LABEL, classifyServer, describeOwner, isOllamaProcess, planServe, type ServeAction, type ServePlan, type ServerOwner } from './serving.js';

/** The name of headroom's app in its pm2. */
export const PM2_APP_NAME = 'headroom-ollama';
/** Longest wait for a stopped server to let go of the port. */
const PORT_WAIT_MS = 15_000;
/** How long a freed port must stay free: Ollama.app restarts its server 1 s after it exits (docs/ollama-server.md). */
const RETAKE_WAIT_MS = 1500;
/** Poll pacing while waiting for a server to answer or a port to free. */
const POLL_MS = 100;
/** While a started server does not answer yet, how often pm2 is asked whether it gave up. */
const PM2_ASK_EVERY_MS = 1000;
/** How often a missing ollama executable is looked for again. */
const BINARY_RECHECK_MS = 60_000;

/** `headroom ollama stop`'s marker: while set, headroom starts no server of its own. */
export interface StopMarker {
  isSet(): boolean;
  set(): void;
  clear(): void;
}

/** What the server is built from. */
export interface OllamaServerDeps {
  manage: boolean;
  /** Why headroom manages no server although `manage` is true (ollama.url names another machine). */
  unmanagedWhy: string | null;
  takeover: boolean;
  keepRunning: boolean;
  /** The ollama executable; looked up again at most once a minute while missing. */
  findBinary: () => string | null;
  /** The port headroom talks to (and the server listens on). */
  port: number;
  /** The app to run, for a binary. */
  spec: (binary: string) => AppSpec;
  envSettings: OllamaEnvSettings;
  /** Longest wait for a started server to answer /api/version. */
  startTimeoutMs: number;
  health: { intervalMs: number; failures: number; restartBudget: number; restartWindowMs: number };
  manager: ProcessManager;
  probe: ServerProbe;
  processes: ProcessTable;
  signaller: Signaller;
  runner: CommandRunner;
  api: OllamaApi;
  clock: Clock;
  logger: Logger;
  notifier: Notifier | null;
  stopMarker: StopMarker;
  /** Log and report what would be done, and do nothing. */
  dryRun: boolean;
}

/** The health checks' side of the status. */
export interface ServerHealth {
  consecutiveFailures: number;
  restartsInWindow: number;
  /** True once headroom has stopped restarting a failing server; cleared when it answers again. */
  budgetSpent: boolean;
  lastError: string | null;
  lastCheckAt: number | null;
}

/** What `headroom status` and `headroom ollama status` show. */
export interface ServerStatus {
  owner: ServerOwner;
  description: string;
  /** The environment of whoever serves, against the safe one. */
  env: EnvSafety;
  managed: ManagerStatus | null;
  binary: string | null;
  /** What headroom does (or would do) about it, in one line. */
  plan: string;
  warning: string | null;
  stoppedByUser: boolean;
  health: ServerHealth;
  inspectedAt: number;
}

/** The result of carrying out a plan. */
export interface PlanResult {
  plan: ServePlan;
  /** What was done, one line per step (or would be done, in a dry run). */
  steps: string[];
  /** False when a step failed (the steps say which). */
  ok: boolean;
  /** Time from the start request until /api/version answered, when a server was started. */
  readyAfterMs: number | null;
}

/** What one look found. */
interface Look {
  status: ServerStatus;
  plan: ServePlan;
}

/** headroom's side of `ollama serve`. */
export class OllamaServer {
  private binary: string | null = null;
  private binaryCheckedAt: number | null = null;
  private failures = 0;
  private restartTimes: number[] = [];
  private budgetSpent = false;
  private lastError: string | null = null;
  private lastCheckAt: number | null = null;
  /** The health check or plan under way; never two at once. */
  private busy: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private lastWarning: string | null = null;
  private last: ServerStatus | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: OllamaServerDeps) {
    this.log = deps.logger.child({ component: 'ollama-server' });
  }

  /** The last status looked at, with the health checks' latest counts. */
  get current(): ServerStatus | null {
    return this.last ? { ...this.last, health: this.healthStatus() } : null;
  }

  /** Looks at who serves, their environment and what headroom would do; changes nothing. */
  async inspect(): Promise<ServerStatus> {
    return (await this.look()).status;
  }

  /** Carries out the plan (adopt, start, apply a changed environment, take over); in a dry run only says what it would do. */
  ensure(options: { takeover?: boolean } = {}): Promise<PlanResult> {
    return this.exclusive(async () => {
      const { plan } = await this.look(options.takeover);
      this.warnOnce(plan);
      const result = await this.carryOut(plan);
      if (!this.deps.dryRun && plan.actions.length > 0) await this.look();
      return result;
    });
  }

  /** `headroom ollama start`: lifts a stop, then ensures; `takeover` hands a foreign server over this once. */
  start(options: { takeover?: boolean } = {}): Promise<PlanResult> {
    if (!this.deps.dryRun) this.deps.stopMarker.clear();
    return this.ensure(options);
  }

  /** Restarts headroom's server (pm2 delete + start, which applies the environment); refuses a server it does not run. */
  restart(): Promise<PlanResult> {
    return this.exclusive(() => this.restartNow('restarting headroom\'s server (pm2 delete + start)'));
  }

  /** Stops headroom's server and pm2's daemon, and keeps headroom from starting one until `start`. */
  stop(): Promise<string[]> {
    return this.exclusive(async () => {
      const { status } = await this.look();
      const steps: string[] = [];
      const ours = status.managed !== null && (status.managed.app !== null || status.managed.daemon !== null);
      if (this.deps.dryRun) {
        if (ours) steps.push(`would delete pm2 app ${PM2_APP_NAME} and stop pm2's daemon`);
        steps.push('would keep headroom from starting a server until "headroom ollama start"');
      } else {
        if (ours) {
          await this.deps.manager.stop(PM2_APP_NAME, true);
          this.log.info({}, 'stopped headroom\'s Ollama server and pm2\'s daemon');
          steps.push(`deleted pm2 app ${PM2_APP_NAME} and stopped pm2's daemon`);
        }
        this.deps.stopMarker.set();
        steps.push('headroom starts no server until "headroom ollama start"');
        await this.look();
      }
      if (!ours && status.owner.kind === 'none') steps.unshift('no server of headroom\'s runs');
      if (status.owner.kind !== 'none' && status.owner.kind !== 'headroom') {
        steps.push(`Ollama is still served by ${status.description}: headroom does not stop servers it did not start`);
      }
      return steps;
    });
  }

  /**
   * At daemon shutdown: cancels what is under way and stops the server headroom runs, unless
   * `keepRunning` (or a dry run), so that no pm2 daemon or child outlives headroom.
   */
  async shutdown(): Promise<string> {
    this.abort.abort();
    await this.busy?.catch(() => undefined);
    if (this.deps.keepRunning) return 'ollama.keepRunning is true: the server keeps running';
    if (!this.deps.manage) return 'ollama.manage is false: nothing to stop';
    const managed = await this.deps.manager.describe(PM2_APP_NAME).catch(() => null);
    if (!managed?.app && !managed?.daemon) return 'no server of headroom\'s runs';
    if (this.deps.dryRun) {
      this.log.info({}, 'dry run: would stop headroom\'s Ollama server and pm2\'s daemon');
      return 'dry run: would stop the server';
    }
    try {
      await this.deps.manager.stop(PM2_APP_NAME, true);
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'could not stop the Ollama server at shutdown');
      return `could not stop the server: ${(error as Error).message}`;
    }
    this.log.info({}, 'stopped headroom\'s Ollama server and pm2\'s daemon (ollama.keepRunning is false)');
    return 'stopped the server and pm2\'s daemon';
  }

  /** Starts a health check when one is due and nothing else is under way; never waits for it. */
  tick(): void {
    const now = this.deps.clock.now();
    if (this.busy || this.abort.signal.aborted || (this.lastCheckAt !== null && now - this.lastCheckAt < this.deps.health.intervalMs)) return;
    this.lastCheckAt = now;
    void this.exclusive(() => this.checkHealth()).catch((error: unknown) => this.log.error({ err: (error as Error).message }, 'Ollama health check failed to run'));
  }

  /** Waits for what is under way (tests, shutdown). */
  async settle(): Promise<void> {
    await this.busy?.catch(() => undefined);
  }

  /**
   * One /api/version check. After `failures` in a row, a server headroom runs (or should run) is
   * restarted, at most `restartBudget` times per `restartWindowMs`; then headroom stops trying,
   * notifies, and says so in the status until the server answers again.
   */
  private async checkHealth(): Promise<void> {
    this.lastCheckAt = this.deps.clock.now();
    try {
      await this.deps.api.version();
      if (this.failures > 0 || this.budgetSpent) this.log.info({ after: this.failures }, 'Ollama answers again');
      this.failures = 0;
      this.lastError = null;
      this.budgetSpent = false;
      return;
    } catch (error) {
      this.failures += 1;
      this.lastError = (error as Error).message;
      const fields = { failures: this.failures, err: this.lastError };
      if (this.failures === 1 || this.failures === this.deps.health.failures) this.log.warn(fields, 'Ollama health check failed');
      else this.log.debug(fields, 'Ollama health check failed');
    }
    if (this.failures < this.deps.health.failures) return;
    this.failures = 0;
    const { status, plan } = await this.look();
    this.warnOnce(plan);
    const ours = status.owner.kind === 'headroom';
    const startsOne = plan.actions.some((action) => action.kind === 'start') && status.owner.kind === 'none';
    if (!ours && !startsOne) return;
    const now = this.deps.clock.now();
    this.restartTimes = this.restartTimes.filter((at) => now - at < this.deps.health.restartWindowMs);
    if (this.restartTimes.length >= this.deps.health.restartBudget) {
      if (!this.budgetSpent) {
        this.budgetSpent = true;
        const message = `Ollama stopped answering (${this.lastError ?? 'no answer'}) and was restarted ${this.restartTimes.length} times in ${formatWindow(this.deps.health.restartWindowMs)}: headroom stops restarting it. "headroom ollama restart" tries again.`;
        this.log.error({ restartsInWindow: this.restartTimes.length }, message);
        void this.deps.notifier?.notify('headroom: Ollama keeps failing', message);
      }
      return;
    }
    this.restartTimes.push(now);
    const why = ours ? 'it stopped answering' : `nobody serves (${status.managed?.app ? `pm2 reports ${status.managed.app.status}` : 'no server'})`;
    this.log.warn({ restartsInWindow: this.restartTimes.length, owner: status.description }, `restarting Ollama: ${why}`);
    const result = ours ? await this.restartNow(`restarting Ollama: ${why}`) : await this.carryOut(plan);
    if (!ours && !this.deps.dryRun) await this.look();
    if (!result.ok) this.log.error({ steps: result.steps }, 'could not restart Ollama');
  }

  /** delete + start, for the user's restart and the health checks' (the caller holds `busy`). */
  private async restartNow(summary: string): Promise<PlanResult> {
    if (this.abort.signal.aborted) throw new Error('headroom is stopping: no restart');
    const { status } = await this.look();
    if (status.owner.kind !== 'headroom' && status.owner.kind !== 'none') {
      throw new Error(`Ollama is served by ${status.description}, not by headroom: nothing of headroom's to restart ("headroom ollama start --takeover" hands it over)`);
    }
    if (!this.binary) throw new Error('no ollama executable found (set ollama.binary, or put ollama on PATH)');
    if (!this.deps.dryRun) this.deps.stopMarker.clear();
    const result = await this.carryOut({ actions: [{ kind: 'start' }], summary });
    if (!this.deps.dryRun) await this.look();
    return result;
  }

  /** Runs `work` when nothing else is under way, else after it; `busy` is clear by the time the caller resumes. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.busy ?? Promise.resolve();
    let tracked: Promise<void> | null = null;
    const run = previous.then(work).finally(() => {
      if (this.busy === tracked) this.busy = null;
    });
    // `busy` tracks the end of `work` without its outcome: the caller gets (and handles) that from `run`.
    tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy = tracked;
    return run;
  }

  private warnOnce(plan: ServePlan): void {
    if (plan.warning && plan.warning !== this.lastWarning) this.log.warn({ plan: plan.summary }, plan.warning);
    this.lastWarning = plan.warning ?? null;
  }

  /** The ollama executable, looked up at most once a minute while missing. */
  private locateBinary(): string | null {
    const now = this.deps.clock.now();
    if (this.binary === null && (this.binaryCheckedAt === null || now - this.binaryCheckedAt >= BINARY_RECHECK_MS)) {
      this.binaryCheckedAt = now;
      this.binary = this.deps.findBinary();
    }
    return this.binary;
  }

  private async look(takeover = this.deps.takeover): Promise<Look> {
    const { manager, probe, processes, port } = this.deps;
    const managed = await manager.describe(PM2_APP_NAME).catch((error: unknown) => {
      this.log.warn({ err: (error as Error).message }, 'cannot ask pm2 about headroom\'s server');
      return null;
    });
    const [seen, table, brewPid] = await Promise.all([probe.portListeners(port), processes.list().catch((): ProcessInfo[] => []), probe.launchdServicePid(BREW_SERVICE_LABEL)]);
    // lsof shows only the user's own sockets: a server that answers while nobody is seen
    // listening belongs to someone headroom cannot see, and starting beside it would fail.
    const invisible = seen?.length === 0 && (await this.deps.api.version().then(() => true, () => false));
    const listeners = invisible ? null : seen;
    const owner = classifyServer({ listeners, processes: table, managedPid: managed?.app?.status === 'online' ? managed.app.pid : null, brewPid });
    const binary = this.locateBinary();
    const childEnv = await this.environmentOf(owner);
    const drift = owner.kind === 'headroom' && childEnv.env && binary ? envDrift(this.deps.spec(binary).env, childEnv.env) : null;
    const stoppedByUser = this.deps.stopMarker.isSet();
    const plan = planServe(owner, probe.ollamaApp(table), {
      manage: this.deps.manage,
      unmanagedWhy: this.deps.unmanagedWhy,
      takeover,
      binary,
      stoppedByUser,
      envDrift: drift,
    });
    const status: ServerStatus = {
      owner,
      description: describeOwner(owner),
      env: childEnv.env ? judgeEnv(childEnv.env, safetyRequirements(this.deps.envSettings)) : { verdict: 'unknown', why: childEnv.why },
      managed,
      binary,
      plan: plan.summary,
      warning: plan.warning ?? null,
      stoppedByUser,
      health: this.healthStatus(),
      inspectedAt: this.deps.clock.now(),
    };
    this.last = status;
    return { status, plan };
  }

  /** The environment of the serving process, when it is of headroom's user and readable. */
  private async environmentOf(owner: ServerOwner): Promise<{ env: Record<string, string> | null; why: string }> {
    if (owner.kind === 'none' || owner.kind === 'unknown') return { env: null, why: 'no Ollama server to read' };
    if (owner.kind === 'foreign') return { env: null, why: 'the port is held by a program that is not Ollama' };
    const uid = await this.deps.processes.ownerUid(owner.pid);
    if (uid !== this.deps.signaller.ownUid) return { env: null, why: `pid ${owner.pid} belongs to another user` };
    const env = await this.deps.probe.environment(owner.pid);
    return env ? { env, why: '' } : { env: null, why: `the environment of pid ${owner.pid} cannot be read` };
  }

  private healthStatus(): ServerHealth {
    const now = this.deps.clock.now();
    return {
      consecutiveFailures: this.failures,
      restartsInWindow: this.restartTimes.filter((at) => now - at < this.deps.health.restartWindowMs).length,
      budgetSpent: this.budgetSpent,
      lastError: this.lastError,
      lastCheckAt: this.lastCheckAt,
    };
  }

  private async carryOut(plan: ServePlan): Promise<PlanResult> {
    const steps: string[] = [];
    let readyAfterMs: number | null = null;
    let ok = true;
    if (plan.actions.length > 0) this.log.info({ dryRun: this.deps.dryRun }, plan.summary);
    for (const action of plan.actions) {
      if (this.deps.dryRun) {
        steps.push(`would ${describeAction(action)}`);
        continue;
      }
      if (this.abort.signal.aborted) {
        steps.push(`did not ${describeAction(action)}: headroom is stopping`);
        ok = false;
        break;
      }
      const outcome = await this.act(action);
      steps.push(outcome.line);
      if (outcome.readyAfterMs !== undefined) readyAfterMs = outcome.readyAfterMs;
      if (outcome.failed) {
        this.log.error({ action: action.kind }, outcome.line);
        ok = false;
        break;
      }
      this.log.info({ action: action.kind }, outcome.line);
    }
    return { plan, steps, ok, readyAfterMs };
  }

  private async act(action: ServeAction): Promise<{ line: string; failed?: boolean; readyAfterMs?: number }> {
    const { clock } = this.deps;
    switch (action.kind) {
      case 'adopt':
        return { line: `adopted headroom's server (pid ${action.pid})` };
      case 'start': {
        const binary = this.binary;
        if (!binary) return { line: 'no ollama executable', failed: true };
        const spec = this.deps.spec(binary);
        const startedAt = clock.now();
        try {
          await this.deps.manager.start(spec);
        } catch (error) {
          return { line: `pm2 could not start ${binary}: ${(error as Error).message}`, failed: true };
        }
        // Until /api/version answers, ask pm2 once a second whether it gave up on a crash loop.
        let gaveUp: ManagedApp | null = null;
        let askedAt = startedAt;
        const ready = await this.waitFor(async () => {
          if (await this.deps.api.version().then(() => true, () => false)) return true;
          if (clock.now() - askedAt < PM2_ASK_EVERY_MS) return false;
          askedAt = clock.now();
          const app = (await this.deps.manager.describe(PM2_APP_NAME).catch(() => null))?.app;
          if (app?.status === 'errored') gaveUp = app;
          return gaveUp !== null;
        }, this.deps.startTimeoutMs);
        if (gaveUp !== null) {
          const { restarts, exitCode } = gaveUp as ManagedApp;
          return { line: `${binary} serve exited ${restarts + 1} times in a row (last exit code ${exitCode ?? 'unknown'}) and pm2 gave up; see ${spec.errFile}`, failed: true };
        }
        if (ready) {
          const readyAfterMs = clock.now() - startedAt;
          return { line: `started ${binary} serve under pm2; /api/version answered after ${readyAfterMs} ms`, readyAfterMs };
        }
        return { line: `started ${binary} serve under pm2, but /api/version did not answer within ${this.deps.startTimeoutMs} ms; see ${spec.errFile}`, failed: true };
      }
      case 'stop-app':
        return this.terminate(action.appPid, 'Ollama.app');
      case 'stop-manual':
        return this.terminate(action.pid, 'the hand-run ollama serve');
      case 'stop-brew': {
        const result = await this.deps.runner.run('brew', ['services', 'stop', 'ollama'], { timeoutMs: 60_000 });
        const failure = commandFailure(result);
        return failure === null ? { line: 'stopped the brew service (brew services stop ollama)' } : { line: `brew services stop ollama failed: ${failure}`, failed: true };
      }
      case 'wait-port-free': {
        const free = await this.waitFor(async () => (await this.deps.probe.portListeners(this.deps.port))?.length === 0, PORT_WAIT_MS);
        if (!free) return { line: `port ${this.deps.port} is still taken after ${PORT_WAIT_MS} ms`, failed: true };
        // Look again past the time Ollama.app takes to restart a server it lost (1 s): only
        // a port still free, with no app running, is safe to start on.
        await clock.sleep(RETAKE_WAIT_MS, this.abort.signal);
        const listeners = await this.deps.probe.portListeners(this.deps.port);
        const app = this.deps.probe.ollamaApp(await this.deps.processes.list().catch(() => []));
        if (listeners?.length !== 0) return { line: `port ${this.deps.port} was taken again (pid ${listeners?.join(', ') ?? 'unknown'}) ${RETAKE_WAIT_MS} ms after it was freed`, failed: true };
        if (app) return { line: `Ollama.app (pid ${app.pid}) still runs: headroom starts no server beside it`, failed: true };
        return { line: `port ${this.deps.port} is free` };
      }
    }
  }

  /** SIGTERM to a process of headroom's user (never headroom itself), then waits for it to go. */
  private async terminate(pid: number, what: string): Promise<{ line: string; failed?: boolean }> {
    const { processes, signaller, clock } = this.deps;
    if (pid === signaller.ownPid || (await processes.ownerUid(pid)) !== signaller.ownUid) {
      return { line: `${what} (pid ${pid}) is not a process of headroom's user: headroom does not signal it`, failed: true };
    }
    // The shared escalation, SIGTERM only: the look right before the signal catches a pid that
    // ended and was reused since the plan was made.
    let seen = ''; // the command the pid names at the look, for the message
    const recheck = async (): Promise<Recheck> => {
      const entry = (await processes.list().catch(() => [])).find((p) => p.pid === pid);
      if (!entry) return { kind: 'gone' };
      seen = entry.command;
      return isOllamaProcess(entry.command) ? { kind: 'same' } : { kind: 'replaced' };
    };
    const outcome = await escalate({ signaller, clock, stop: this.abort.signal }, { pid, recheck, graceMs: PORT_WAIT_MS, kill: false });
    switch (outcome.kind) {
      case 'exited':
        return { line: `stopped ${what} (SIGTERM to pid ${pid})` };
      case 'still-running':
        return { line: `${what} (pid ${pid}) still runs ${PORT_WAIT_MS} ms after SIGTERM`, failed: true };
      case 'left-alone':
        if (outcome.found === 'gone') return { line: `stopped ${what} (pid ${pid} had already exited)` };
        if (outcome.found === 'replaced') return { line: `pid ${pid} is no longer ${what} (${seen}): headroom does not signal it`, failed: true };
        return { line: `did not stop ${what} (pid ${pid}): ${outcome.why}`, failed: true };
    }
  }

  /** Polls `check` until it is true, `timeoutMs` passes, or headroom stops. */
  private async waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = this.deps.clock.now() + timeoutMs;
    for (;;) {
      if (await check()) return true;
      if (this.deps.clock.now() >= deadline || this.abort.signal.aborted) return false;
      await this.deps.clock.sleep(POLL_MS, this.abort.signal);
    }
  }
}

function formatWindow(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** An action in words. */
export function describeAction(action: ServeAction): string {
  switch (action.kind) {
    case 'adopt':
      return `adopt headroom's server (pid ${action.pid})`;
    case 'start':
      return 'start ollama serve under pm2 with the safe environment';
    case 'stop-app':
      return `stop Ollama.app (SIGTERM to pid ${action.appPid}: quitting it only hides it)`;
    case 'stop-brew':
      return 'stop the brew service (brew services stop ollama)';
    case 'stop-manual':
      return `stop the hand-run ollama serve (SIGTERM to pid ${action.pid})`;
    case 'wait-port-free':
      return 'wait for the port to be free';
  }
}
