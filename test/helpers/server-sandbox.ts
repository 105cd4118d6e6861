/**
 * A sandbox for the Ollama-under-pm2 tests: a private HOME, the fake `ollama` executable, a free
 * port, a config pointing at both, a secret in headroom's environment, and a cleanup that
 * kills whatever pm2 daemon and children a failed test may have left.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { closedAddress, makeSandbox, runCliProcess, startCliProcess, type Sandbox } from './cli-process.js';
import { installFakeOllama, type FakeOllamaBin } from './fake-ollama-bin.js';

/** A secret that must never reach the server or pm2's daemon. */
export const SECRET = 'hr-secret-6d1f0c';

/** What a test gets. */
export interface ServerSandbox {
  sandbox: Sandbox;
  fake: FakeOllamaBin;
  port: number;
  /** The config file the CLI is pointed at. */
  config: string;
  stateDir: string;
  pm2Home: string;
  logFile: string;
  /** headroom's environment: the sandbox's, plus the secret. */
  env: Record<string, string>;
  /** Rewrites the config: the base settings, deep-merged with `over`. */
  writeConfig(over?: Record<string, unknown>): Promise<void>;
  /** Runs the CLI to completion with the sandbox's config and platform. */
  cli(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** Starts `headroom run` and leaves it running. */
  daemon(): ReturnType<typeof startCliProcess>;
  /** GET a path of the server on the port; null when it does not answer within 1 s. */
  get<T>(urlPath: string): Promise<T | null>;
  /** pm2's daemon pid, while its pid file names a live process. */
  godPid(): number | null;
  cleanup(): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = isObject(value) && isObject(out[key]) ? merge(out[key], value) : value;
  return out;
}

/** True while `pid` is a live process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds the sandbox. `platform` picks the backend (darwin runs against the fakes in
 * `pathPrefix`); `pathPrefix` goes first on PATH.
 */
export async function makeServerSandbox(options: { platform?: 'linux' | 'darwin'; pathPrefix?: string } = {}): Promise<ServerSandbox> {
  const platform = options.platform ?? 'linux';
  const sandbox = await makeSandbox(options.pathPrefix);
  const fake = await installFakeOllama(path.join(sandbox.home, 'fake-ollama'));
  const port = Number((await closedAddress()).split(':')[1]);
  const config = path.join(sandbox.home, 'config.yaml');
  const stateDir = platform === 'darwin' ? sandbox.darwinStateDir : sandbox.linuxStateDir;
  const logFile = platform === 'darwin' ? path.join(sandbox.home, 'Library', 'Logs', 'headroom', 'headroom.log') : path.join(stateDir, 'headroom.log');
  const pm2Home = path.join(stateDir, 'pm2');
  const env = { ...sandbox.env, HEADROOM_TEST_SECRET: SECRET };
  const base = {
    daemon: { intervalMs: 200 },
    ollama: {
      url: `127.0.0.1:${port}`,
      binary: fake.binary,
      timeoutMs: 500,
      startTimeoutMs: 10_000,
      stopTimeoutMs: 2000,
      restart: { minUptimeMs: 1000, maxRestarts: 3, backoffMs: 100 },
      health: { intervalMs: 300, failures: 3, restartBudget: 3, restartWindowMs: 600_000 },
    },
  };
  const pids = new Set<number>();
  const server: ServerSandbox = {
    sandbox,
    fake,
    port,
    config,
    stateDir,
    pm2Home,
    logFile,
    env,
    writeConfig: async (over = {}) => {
      await mkdir(path.dirname(config), { recursive: true });
      await writeFile(config, stringify(merge(base, over)));
    },
    cli: (args) => runCliProcess([...args, '--platform', platform, '--config', config], env, 30_000),
    daemon: () => {
      const child = startCliProcess(['run', '--platform', platform, '--config', config], env);
      if (child.pid) pids.add(child.pid);
      return child;
    },
    get: async <T>(urlPath: string): Promise<T | null> => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(1000) });
        return response.ok ? ((await response.json()) as T) : null;
      } catch {
        return null;
      }
    },
    godPid: () => {
      try {
        const pid = Number(readFileSync(path.join(pm2Home, 'pm2.pid'), 'utf8').trim());
        return pid > 0 && isAlive(pid) ? pid : null;
      } catch {
        return null;
      }
    },
    cleanup: async () => {
      const god = server.godPid();
      for (const pid of [...pids, ...(god ? [god] : []), ...(await fake.starts()).map((s) => s.pid)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await sandbox.cleanup();
    },
  };
  await server.writeConfig();
  return server;
}
