/**
 * The services of `docker.services`, checked once Docker answers (docs/docker.md, "Services"):
 * a container by name is started with `docker start` when it exists and does not run; a compose
 * project is brought up with `docker compose -p <the project name on its containers>
 * --project-directory <folder> -f <files> up -d --no-recreate`, which starts the project's own
 * containers as they are, instead of creating new ones whose fixed names would conflict. Each is checked again after.
 * `docker rm` of a stopped container that holds a name, `compose down` and `--force-recreate`
 * run only with their opt-in. Docker commands go to the profile's socket through DOCKER_HOST.
 */
import path from 'node:path';
import { expandHome } from '../config/paths.js';
import { commandFailure, describeCommand, type CommandResult, type CommandRunner } from '../ports/command-runner.js';
import type { Logger } from '../ports/logger.js';
import { allRunning, parseComposeLs, parseInspect, parseNameConflict, type ComposeProject, type ContainerInfo } from './compose-project.js';
import { daemonUnreachable } from './docker-context.js';

/**
 * `up` that starts the project's existing containers as they are: without --no-recreate, compose
 * recreates a container whose config hash changed (and headroom's minimal environment can
 * interpolate ${VAR} differently from your shell), which loses its anonymous volumes.
 */
const UP = ['up', '-d', '--no-recreate'];

/** A service from config, with its folder made absolute. */
export type ServiceSpec = { container: string } | { compose: string; files: string[] | null };

/** A service as docker.services writes it. */
export interface ServiceSetting {
  container?: string | undefined;
  compose?: string | undefined;
  files?: string[] | undefined;
}

/** docker.services as specs: `~/` expanded and each folder resolved (no trailing slash, no `..`), as `docker compose ls` reports config files. */
export function serviceSpecs(services: readonly ServiceSetting[], home: string): ServiceSpec[] {
  return services.map((service) => (service.container !== undefined ? { container: service.container } : { compose: path.resolve(expandHome(service.compose ?? '', home)), files: service.files ?? null }));
}

/** How a service ended up. */
export interface ServiceResult {
  /** The container name, or the compose folder. */
  service: string;
  state: 'running' | 'started' | 'would-start' | 'missing' | 'failed' | 'unknown';
  detail: string;
  /** The commands that changed something (or would, in a dry run). */
  commands: string[];
}

/** What the checker is made of. */
export interface ServiceCheckerDeps {
  runner: CommandRunner;
  /** DOCKER_HOST (the profile's socket) and DOCKER_CONFIG when headroom has one. */
  env: Record<string, string>;
  commandTimeoutMs: number;
  /** `compose up` may pull images: it gets the long timeout. */
  upTimeoutMs: number;
  allow: { removeContainers: boolean; composeDown: boolean; forceRecreate: boolean };
  logger: Logger;
  dryRun: boolean;
}

/** The label of a service in messages. */
export function serviceLabel(spec: ServiceSpec): string {
  return 'container' in spec ? spec.container : spec.compose;
}

/** Checks services and brings back those that do not run. */
export class ServiceChecker {
  private readonly log: Logger;

  constructor(private readonly deps: ServiceCheckerDeps) {
    this.log = deps.logger.child({ component: 'docker' });
  }

  /** Checks every service, one after the other. */
  async checkAll(specs: readonly ServiceSpec[], signal?: AbortSignal): Promise<ServiceResult[]> {
    const results: ServiceResult[] = [];
    for (const spec of specs) {
      const result = 'container' in spec ? await this.container(spec.container, signal) : await this.compose(spec, signal);
      this.log[result.state === 'failed' || result.state === 'missing' ? 'warn' : 'info']({ service: result.service, state: result.state, commands: result.commands }, `docker service ${result.service}: ${result.state}: ${result.detail}`);
      results.push(result);
    }
    return results;
  }

  private docker(args: string[], signal?: AbortSignal, timeoutMs = this.deps.commandTimeoutMs) {
    return this.deps.runner.run('docker', args, { timeoutMs, signal, env: this.deps.env });
  }

  private async inspect(nameOrId: string, signal?: AbortSignal): Promise<{ container: ContainerInfo | null; error: string | null }> {
    const result = await this.docker(['inspect', '--type', 'container', nameOrId], signal);
    if (result.exitCode === 0) {
      try {
        return { container: parseInspect(result.stdout)[0] ?? null, error: null };
      } catch (error) {
        return { container: null, error: `docker inspect: ${(error as Error).message}` };
      }
    }
    if (/No such (?:container|object)/i.test(result.stderr)) return { container: null, error: null };
    return { container: null, error: daemonUnreachable(result.stderr) ? 'Docker does not answer' : (commandFailure(result) ?? 'docker inspect failed') };
  }

  private async container(name: string, signal?: AbortSignal): Promise<ServiceResult> {
    const result = (state: ServiceResult['state'], detail: string, commands: string[] = []): ServiceResult => ({ service: name, state, detail, commands });
    const before = await this.inspect(name, signal);
    if (before.error) return result('unknown', before.error);
    if (!before.container) return result('missing', `no container named ${name}: headroom starts containers, it does not create them (name its compose project instead)`);
    if (before.container.running) return result('running', `${name} runs`);
    const start = ['start', name];
    if (this.deps.dryRun) return result('would-start', `${name} is ${before.container.status}: would run ${describeCommand('docker', start)}`, [describeCommand('docker', start)]);
    const started = await this.docker(start, signal);
    const after = await this.inspect(name, signal);
    if (after.container?.running) return result('started', `${name} was ${before.container.status}; docker start brought it back`, [describeCommand('docker', start)]);
    return result('failed', `${name} does not run after docker start: ${commandFailure(started) ?? after.error ?? after.container?.status ?? 'gone'}`, [describeCommand('docker', start)]);
  }

  /** The project whose config files are in the folder (or are the configured files), from `docker compose ls`. */
  private async findProject(spec: Extract<ServiceSpec, { compose: string }>, signal?: AbortSignal): Promise<{ project: ComposeProject | null; error: string | null }> {
    const result = await this.docker(['compose', 'ls', '--all', '--format', 'json'], signal);
    if (result.exitCode !== 0) return { project: null, error: daemonUnreachable(result.stderr) ? 'Docker does not answer' : (commandFailure(result) ?? 'docker compose ls failed') };
    let projects: ComposeProject[];
    try {
      projects = parseComposeLs(result.stdout);
    } catch (error) {
      return { project: null, error: `docker compose ls: ${(error as Error).message}` };
    }
    const wanted = (spec.files ?? []).map((file) => path.resolve(spec.compose, file));
    const project = projects.find((p) => p.configFiles.some((file) => wanted.includes(file) || path.dirname(file) === spec.compose)) ?? null;
    return { project, error: null };
  }

  private async compose(spec: Extract<ServiceSpec, { compose: string }>, signal?: AbortSignal): Promise<ServiceResult> {
    const commands: string[] = [];
    const result = (state: ServiceResult['state'], detail: string): ServiceResult => ({ service: spec.compose, state, detail, commands });
    const before = await this.findProject(spec, signal);
    if (before.error) return result('unknown', before.error);
    if (before.project && allRunning(before.project.status)) return result('running', `project ${before.project.name} runs (${before.project.status})`);
    // The name on its containers, so that compose finds them instead of creating conflicting ones.
    const base = [
      'compose',
      ...(before.project ? ['-p', before.project.name] : []),
      '--project-directory',
      spec.compose,
      ...(spec.files ?? before.project?.configFiles ?? []).flatMap((file) => ['-f', path.resolve(spec.compose, file)]),
    ];
    const what = before.project ? `project ${before.project.name} is ${before.project.status || 'not running'}` : 'no project of this folder is known to Docker';
    if (this.deps.dryRun) {
      commands.push(describeCommand('docker', [...base, ...UP]));
      return result('would-start', `${what}: would run ${commands[0] ?? ''}`);
    }
    const run = async (args: string[]) => {
      commands.push(describeCommand('docker', args));
      return this.docker(args, signal, this.deps.upTimeoutMs);
    };
    let up = await run([...base, ...UP]);
    let note: string | null = null;
    if (up.exitCode !== 0) ({ up, note } = await this.retryUp(base, up, run, signal));
    const after = await this.findProject(spec, signal);
    if (up.exitCode === 0 && after.project && allRunning(after.project.status)) return result('started', `${what}; compose up brought it back (${after.project.status})`);
    return result('failed', `${what}; compose up did not bring it back: ${note ?? commandFailure(up) ?? `still ${after.project?.status ?? 'not running'}`}`);
  }

  /** After a failed `up`: remove a stopped container holding a name, force-recreate, or down + up, each only with its opt-in. */
  private async retryUp(base: string[], up: CommandResult, run: (args: string[]) => Promise<CommandResult>, signal?: AbortSignal): Promise<{ up: CommandResult; note: string | null }> {
    const { allow } = this.deps;
    const conflict = parseNameConflict(up.stderr);
    if (conflict) {
      const id = conflict.id.slice(0, 12);
      const holder = await this.inspect(conflict.id, signal);
      if (holder.container?.running) return { up, note: `container ${conflict.name} (${id}) of another project runs and holds the name: headroom leaves it alone` };
      if (!allow.removeContainers) return { up, note: `container ${conflict.name} (${id}) already holds that name: remove it (docker rm ${id}) or set docker.allow.removeContainers` };
      const removed = await run(['rm', conflict.id]);
      return removed.exitCode === 0 ? { up: await run([...base, ...UP]), note: null } : { up, note: `docker rm ${id}: ${commandFailure(removed) ?? 'failed'}` };
    }
    if (allow.forceRecreate) return { up: await run([...base, 'up', '-d', '--force-recreate']), note: null };
    if (allow.composeDown) {
      const down = await run([...base, 'down']);
      return down.exitCode === 0 ? { up: await run([...base, ...UP]), note: null } : { up, note: `compose down: ${commandFailure(down) ?? 'failed'}` };
    }
    return { up, note: null };
  }
}
