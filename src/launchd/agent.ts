/**
 * headroom's LaunchAgent, through launchctl's version-2 verbs in the user's GUI domain
 * (gui/<uid>): install (bootstrap; a loaded agent is booted out first), uninstall, start
 * (kickstart, or bootstrap when stopped), stop (bootout: KeepAlive cannot revive it), restart
 * (kickstart -k) and status (print). `bootout` returns before the service is gone, so every
 * bootout waits until `print` answers 113; a bootstrap that still fails with 5 (the label is
 * draining) is retried. docs/launchd.md is the user's view.
 */
import type { Clock } from '../ports/clock.js';
import { commandFailure, describeCommand, type CommandResult, type CommandRunner } from '../ports/command-runner.js';
import { parseLaunchctlPrint, type ServiceState } from './launchctl-print.js';

/** launchctl's exit codes headroom acts on (launchctl print; a public source). */
export const LAUNCHCTL_EXIT = {
  /** Bootstrap failed: 5: Input/output error: still loaded or draining, no GUI session, or a bad plist. */
  ioError: 5,
  /** The domain does not exist (gui/<uid> without anyone logged in at the screen). */
  noDomain: 112,
  /** The service is not loaded. */
  noService: 113,
} as const;

/** The file operations the agent needs; the composition root passes node:fs. */
export interface AgentFiles {
  read(file: string): string | null;
  write(file: string, text: string): void;
  remove(file: string): void;
  mkdir(dir: string): void;
}

/** What the agent is made of. */
export interface LaunchAgentDeps {
  label: string;
  /** ~/Library/LaunchAgents/<label>.plist */
  plistFile: string;
  /** The plist text install writes now. */
  plistText: string;
  /** Folders install creates (the log folder for StandardOutPath, the state folder). */
  folders: string[];
  runner: CommandRunner;
  files: AgentFiles;
  clock: Clock;
  /** Per launchctl call. */
  commandTimeoutMs: number;
  /** Longest wait for a booted-out service to leave. */
  bootoutWaitMs: number;
  dryRun: boolean;
}

/** The outcome of a command: its steps, one line each, and whether it worked. */
export interface AgentReport {
  ok: boolean;
  steps: string[];
  /** What to do next, when the user has to do something. */
  hint?: string;
}

/** What `service-status` shows. */
export interface AgentStatus {
  label: string;
  plistFile: string;
  installed: boolean;
  loaded: boolean;
  service: ServiceState | null;
  /** Why launchd could not be asked, if it could not. */
  problem: string | null;
}

const POLL_MS = 100;
const BOOTSTRAP_TRIES = 5;
/** Waits 250, 500, 750 and 1000 ms between tries: 2.5 s in all for a label still draining. */
const BOOTSTRAP_RETRY_MS = 250;

/** Thrown for launchctl answers headroom cannot go on from; the message says what and why. */
export class LaunchctlError extends Error {
  override name = 'LaunchctlError';
}

/** headroom's LaunchAgent. */
export class LaunchAgent {
  private domainCache: string | null = null;

  constructor(private readonly deps: LaunchAgentDeps) {}

  /** The plist text install writes. */
  get plistText(): string {
    return this.deps.plistText;
  }

  /** `headroom install`: writes the plist and (re)loads it. */
  async install(): Promise<AgentReport> {
    const { deps } = this;
    const steps: string[] = [];
    const domain = await this.domain();
    const target = `${domain}/${deps.label}`;
    if (deps.dryRun) {
      for (const folder of deps.folders) steps.push(`would create ${folder}`);
      steps.push(`would write ${deps.plistFile}`);
      steps.push(`would run: plutil -lint ${deps.plistFile}`);
      steps.push(`would run, if the agent is loaded: launchctl bootout ${target}, then launchctl print ${target} until it exits 113`);
      steps.push(`would run: launchctl bootstrap ${domain} ${deps.plistFile}`);
      return { ok: true, steps };
    }
    for (const folder of deps.folders) deps.files.mkdir(folder);
    deps.files.write(deps.plistFile, deps.plistText);
    steps.push(`wrote ${deps.plistFile}`);
    const lint = await this.run('plutil', ['-lint', deps.plistFile]);
    if (lint.spawnError === undefined) {
      if (lint.exitCode !== 0) return { ok: false, steps, hint: `the plist does not pass plutil -lint: ${(lint.stdout + lint.stderr).trim()}` };
      steps.push('plutil -lint: OK');
    }
    if (await this.isLoaded(target)) {
      await this.bootout(target, steps);
    }
    return this.bootstrap(domain, steps);
  }

  /** `headroom uninstall`: boots the agent out, waits until it is gone, removes the plist. */
  async uninstall(): Promise<AgentReport> {
    const { deps } = this;
    const steps: string[] = [];
    const target = `${await this.domain()}/${deps.label}`;
    const loaded = await this.isLoaded(target);
    const installed = deps.files.read(deps.plistFile) !== null;
    if (deps.dryRun) {
      if (loaded) steps.push(`would run: launchctl bootout ${target}, then launchctl print ${target} until it exits 113`);
      if (installed) steps.push(`would remove ${deps.plistFile}`);
      if (!loaded && !installed) steps.push('not installed: nothing to do');
      return { ok: true, steps };
    }
    if (loaded) await this.bootout(target, steps);
    if (installed) {
      deps.files.remove(deps.plistFile);
      steps.push(`removed ${deps.plistFile}`);
    }
    if (!loaded && !installed) steps.push('not installed: nothing to do');
    return { ok: true, steps };
  }

  /** `headroom start`: kickstarts a loaded agent, bootstraps a stopped one. */
  async start(): Promise<AgentReport> {
    const { deps } = this;
    const steps: string[] = [];
    const domain = await this.domain();
    const target = `${domain}/${deps.label}`;
    if (await this.isLoaded(target)) {
      if (deps.dryRun) return { ok: true, steps: [`would run: launchctl kickstart ${target}`] };
      await this.mustSucceed('kickstart', [target]);
      steps.push(`launchctl kickstart ${target}: started (a running agent is left running)`);
      return { ok: true, steps };
    }
    if (deps.files.read(deps.plistFile) === null) return { ok: false, steps, hint: `not installed (no ${deps.plistFile}): run "headroom install"` };
    if (deps.dryRun) return { ok: true, steps: [`would run: launchctl bootstrap ${domain} ${deps.plistFile}`] };
    return this.bootstrap(domain, steps);
  }

  /** `headroom stop`: boots the agent out, so that KeepAlive cannot bring it back until `headroom start` or the next login. */
  async stop(): Promise<AgentReport> {
    const { deps } = this;
    const steps: string[] = [];
    const target = `${await this.domain()}/${deps.label}`;
    const hint = 'it stays stopped until "headroom start" (or "launchctl bootstrap" of the plist) or the next login; "headroom uninstall" keeps it from starting at login';
    if (!(await this.isLoaded(target))) return { ok: true, steps: ['not loaded: nothing to stop'], hint };
    if (deps.dryRun) return { ok: true, steps: [`would run: launchctl bootout ${target}, then launchctl print ${target} until it exits 113`], hint };
    await this.bootout(target, steps);
    return { ok: true, steps, hint };
  }

  /** `headroom restart`: kickstart -k (launchd kills the running instance and starts a new one). */
  async restart(): Promise<AgentReport> {
    const { deps } = this;
    const target = `${await this.domain()}/${deps.label}`;
    if (!(await this.isLoaded(target))) return { ok: false, steps: [], hint: 'not loaded: "headroom start" starts it, "headroom install" installs it' };
    if (deps.dryRun) return { ok: true, steps: [`would run: launchctl kickstart -k ${target}`] };
    await this.mustSucceed('kickstart', ['-k', target]);
    return { ok: true, steps: [`launchctl kickstart -k ${target}: restarted`] };
  }

  /** `headroom service-status`: launchctl print, parsed. */
  async status(): Promise<AgentStatus> {
    const { deps } = this;
    const installed = deps.files.read(deps.plistFile) !== null;
    const base = { label: deps.label, plistFile: deps.plistFile, installed };
    let target: string;
    try {
      target = `${await this.domain()}/${deps.label}`;
    } catch (error) {
      return { ...base, loaded: false, service: null, problem: (error as Error).message };
    }
    const result = await this.run('launchctl', ['print', target]);
    if (result.exitCode === LAUNCHCTL_EXIT.noService) return { ...base, loaded: false, service: null, problem: null };
    if (result.exitCode === 0) {
      const service = parseLaunchctlPrint(result.stdout);
      return { ...base, loaded: true, service, problem: service ? null : `launchctl print ${target}: no service block in its answer` };
    }
    return { ...base, loaded: false, service: null, problem: this.explain(result) };
  }

  /** gui/<uid>, from `id -u`. */
  private async domain(): Promise<string> {
    if (this.domainCache) return this.domainCache;
    const result = await this.run('id', ['-u']);
    const uid = result.stdout.trim();
    if (result.exitCode !== 0 || !/^\d+$/.test(uid)) throw new LaunchctlError(`cannot tell the user id: ${commandFailure(result) ?? `id -u printed ${JSON.stringify(uid)}`}`);
    this.domainCache = `gui/${uid}`;
    return this.domainCache;
  }

  private async isLoaded(target: string): Promise<boolean> {
    const result = await this.run('launchctl', ['print', target]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === LAUNCHCTL_EXIT.noService) return false;
    throw new LaunchctlError(this.explain(result));
  }

  /** bootout, then print until 113 (bootout is asynchronous). */
  private async bootout(target: string, steps: string[]): Promise<void> {
    const result = await this.run('launchctl', ['bootout', target]);
    // 113 here: it left on its own between the print and the bootout.
    if (result.exitCode !== 0 && result.exitCode !== LAUNCHCTL_EXIT.noService) throw new LaunchctlError(this.explain(result));
    const startedAt = this.deps.clock.now();
    for (;;) {
      if (!(await this.isLoaded(target))) break;
      if (this.deps.clock.now() - startedAt >= this.deps.bootoutWaitMs) {
        throw new LaunchctlError(`launchctl bootout ${target}: still loaded after ${this.deps.bootoutWaitMs} ms (launchd waits for the daemon to exit; try again, or "launchctl print ${target}")`);
      }
      await this.deps.clock.sleep(POLL_MS);
    }
    steps.push(`launchctl bootout ${target}: gone after ${this.deps.clock.now() - startedAt} ms`);
  }

  /** bootstrap, retried while it fails with 5 (the label may still be draining). */
  private async bootstrap(domain: string, steps: string[]): Promise<AgentReport> {
    const { deps } = this;
    let last: CommandResult | null = null;
    for (let attempt = 1; attempt <= BOOTSTRAP_TRIES; attempt += 1) {
      last = await this.run('launchctl', ['bootstrap', domain, deps.plistFile]);
      if (last.exitCode === 0) {
        steps.push(`launchctl bootstrap ${domain} ${deps.plistFile}: loaded${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        return { ok: true, steps };
      }
      if (last.exitCode !== LAUNCHCTL_EXIT.ioError) break;
      if (attempt < BOOTSTRAP_TRIES) await deps.clock.sleep(BOOTSTRAP_RETRY_MS * attempt);
    }
    const failure = this.explain(last!);
    steps.push(failure);
    const hint =
      last?.exitCode === LAUNCHCTL_EXIT.ioError
        ? `"Bootstrap failed: 5" after ${BOOTSTRAP_TRIES} tries: the agent may still be loaded (check "headroom service-status"), nobody may be logged in at the Mac's screen (an SSH session has no gui/ domain to load into), or the plist may be bad (plutil -lint ${deps.plistFile})`
        : undefined;
    return { ok: false, steps, ...(hint ? { hint } : {}) };
  }

  private async mustSucceed(verb: string, args: string[]): Promise<void> {
    const result = await this.run('launchctl', [verb, ...args]);
    if (result.exitCode !== 0) throw new LaunchctlError(this.explain(result));
  }

  private run(file: string, args: string[]): Promise<CommandResult> {
    return this.deps.runner.run(file, args, { timeoutMs: this.deps.commandTimeoutMs });
  }

  /** One line on a failed launchctl call, with the known exit codes in words. */
  private explain(result: CommandResult): string {
    const command = describeCommand(result.file, result.args);
    if (result.exitCode === LAUNCHCTL_EXIT.noDomain) {
      return `${command}: exited 112: the ${result.args.find((arg) => arg.startsWith('gui/'))?.split('/').slice(0, 2).join('/') ?? 'gui'} domain does not exist: nobody is logged in at the Mac's screen (an SSH session?)`;
    }
    return commandFailure(result) ?? `${command}: failed`;
  }
}
