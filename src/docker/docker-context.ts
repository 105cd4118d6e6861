/**
 * Which Docker endpoint is active, found the way the docker CLI finds it, without a daemon and
 * without a child process: `DOCKER_HOST` overrides everything; else `DOCKER_CONTEXT`; else
 * `currentContext` in `$DOCKER_CONFIG/config.json` (`~/.docker`); a context's endpoint is in
 * `contexts/meta/<sha256 of its name>/meta.json`; the `default` context is
 * `unix:///var/run/docker.sock`. Also `docker context ls` (JSON lines or the table) as a fallback,
 * and the two generations of the "daemon unreachable" text. Pure, but for the file reader passed in.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** The endpoint of the `default` context. */
export const DEFAULT_ENDPOINT = 'unix:///var/run/docker.sock';
/** Docker Desktop's context on macOS. */
export const DESKTOP_CONTEXT = 'desktop-linux';

/** The active context and where headroom learnt it. */
export interface ActiveContext {
  name: string | null;
  /** `unix:///…`, `tcp://…`, … ; null when it cannot be found (see `error`). */
  endpoint: string | null;
  /** `DOCKER_HOST`, `DOCKER_CONTEXT`, `config.json`, `default` (nothing set), or `docker context ls`. */
  source: string;
  error: string | null;
}

/** One row of `docker context ls`. */
export interface ContextRow {
  name: string;
  current: boolean;
  description: string;
  endpoint: string | null;
  error: string | null;
}

/** The folder of the docker CLI's config: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG && path.isAbsolute(env.DOCKER_CONFIG) ? env.DOCKER_CONFIG : path.join(home, '.docker');
}

/** Where a context's meta.json lives (the docker CLI names the folder by the SHA-256 of the context name). */
export function contextMetaFile(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
}

/** `currentContext` of config.json text; null when unset. Throws on text that is not a JSON object. */
export function parseCurrentContext(text: string): string | null {
  const data = JSON.parse(text) as unknown;
  if (typeof data !== 'object' || data === null) throw new Error('not a JSON object');
  const current = (data as { currentContext?: unknown }).currentContext;
  return typeof current === 'string' && current !== '' ? current : null;
}

/** The docker endpoint of a context's meta.json text. Throws when it has none. */
export function parseContextMeta(text: string): string {
  const data = JSON.parse(text) as { Endpoints?: { docker?: { Host?: unknown } } };
  const host = data.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '') throw new Error('no Endpoints.docker.Host');
  return host;
}

/** Reads a file's text, or null when it does not exist; other errors throw. */
export type ReadFileOrNull = (file: string) => string | null;

/** Finds the active context and its endpoint (see the module comment for the order). */
export function resolveActiveContext(env: NodeJS.ProcessEnv, home: string, read: ReadFileOrNull): ActiveContext {
  if (env.DOCKER_HOST) return { name: null, endpoint: env.DOCKER_HOST, source: 'DOCKER_HOST', error: null };
  const configDir = dockerConfigDir(env, home);
  let name: string | null = env.DOCKER_CONTEXT || null;
  let source = 'DOCKER_CONTEXT';
  if (name === null) {
    const configFile = path.join(configDir, 'config.json');
    try {
      const text = read(configFile);
      name = text === null ? null : parseCurrentContext(text);
      source = name === null ? 'default' : 'config.json';
    } catch (error) {
      return { name: null, endpoint: null, source: 'config.json', error: `${configFile}: ${(error as Error).message}` };
    }
  }
  if (name === null || name === 'default') return { name: 'default', endpoint: DEFAULT_ENDPOINT, source, error: null };
  const metaFile = contextMetaFile(configDir, name);
  try {
    const text = read(metaFile);
    if (text === null) return { name, endpoint: null, source, error: `context "${name}" not found: ${metaFile} does not exist` };
    return { name, endpoint: parseContextMeta(text), source, error: null };
  } catch (error) {
    return { name, endpoint: null, source, error: `context "${name}": ${metaFile}: ${(error as Error).message}` };
  }
}

/** Parses `docker context ls`: `--format json` lines, or the table the plain command prints. */
export function parseContextList(text: string): ContextRow[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines[0]?.trimStart().startsWith('{')) {
    return lines.flatMap((line) => {
      try {
        const row = JSON.parse(line) as Record<string, unknown>;
        if (typeof row.Name !== 'string') return [];
        const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
        return [{ name: row.Name, current: row.Current === true, description: str(row.Description) ?? '', endpoint: str(row.DockerEndpoint), error: str(row.Error) }];
      } catch {
        return [];
      }
    });
  }
  const header = lines[0] ?? '';
  const columns = ['NAME', 'DESCRIPTION', 'DOCKER ENDPOINT', 'ERROR'].map((title) => header.indexOf(title));
  if (columns.slice(0, 3).some((at) => at < 0)) return [];
  const [, descriptionAt = 0, endpointAt = 0, errorAt = -1] = columns;
  return lines.slice(1).map((line) => {
    const cell = (from: number, to: number): string => line.slice(from, to < 0 ? undefined : to).trim();
    const nameCell = cell(0, descriptionAt);
    const current = nameCell.endsWith(' *');
    const endpoint = cell(endpointAt, errorAt);
    const error = errorAt < 0 ? '' : cell(errorAt, -1);
    return { name: current ? nameCell.slice(0, -2) : nameCell, current, description: cell(descriptionAt, endpointAt), endpoint: endpoint || null, error: error || null };
  });
}

/** The socket path of a `unix://` endpoint; null for any other kind. */
export function unixSocketPath(endpoint: string | null): string | null {
  return endpoint?.startsWith('unix://') ? endpoint.slice('unix://'.length) : null;
}

/** True for Docker Desktop's context or socket (`~/.docker/run/docker.sock`). */
export function isDockerDesktop(context: Pick<ActiveContext, 'name' | 'endpoint'>, home: string): boolean {
  return context.name === DESKTOP_CONTEXT || unixSocketPath(context.endpoint) === path.join(home, '.docker', 'run', 'docker.sock');
}

/** True when docker's output says the daemon cannot be reached (both wordings: before 29.x and 29.x). */
export function daemonUnreachable(text: string): boolean {
  return /Cannot connect to the Docker daemon at |failed to connect to the docker API at /.test(text);
}
