/** Spawns the built CLI (dist/cli/main.js) the way a user would, in a private HOME. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { probeDaemon } from '../../src/daemon/instance-lock.js';
import type { DaemonState } from '../../src/daemon/state-file.js';

/** The entry point named by package.json's bin.headroom. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

/** A throwaway HOME with the environment a test run gets. */
export interface Sandbox {
  home: string;
  env: Record<string, string>;
  /** Linux state folder inside the sandbox. */
  linuxStateDir: string;
  /** macOS state folder inside the sandbox (used with --platform darwin). */
  darwinStateDir: string;
  cleanup(): Promise<void>;
}

/** A loopback address nothing listens on (a port that was free a moment ago). */
export async function closedAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

/**
 * Makes a sandbox; `pathPrefix` goes first on PATH (fake binaries). OLLAMA_HOST points at a
 * closed port, so a real Ollama on the machine never answers a test.
 */
export async function makeSandbox(pathPrefix?: string): Promise<Sandbox> {
  // /tmp rather than os.tmpdir(): macOS's per-user TMPDIR is long enough to push the control
  // socket's path past the 104 bytes a Unix socket may have.
  const base = existsSync('/tmp') ? '/tmp' : os.tmpdir();
  const home = await mkdtemp(path.join(base, 'hr-home-'));
  const env: Record<string, string> = {
    HOME: home,
    PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH ?? ''}` : (process.env.PATH ?? ''),
    OLLAMA_HOST: await closedAddress(),
  };
  return {
    home,
    env,
    linuxStateDir: path.join(home, '.local', 'state', 'headroom'),
    darwinStateDir: path.join(home, 'Library', 'Application Support', 'headroom'),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** Runs the CLI to completion. */
export async function runCliProcess(args: string[], env: Record<string, string>, timeoutMs = 20_000) {
  const result = await execa(process.execPath, [CLI, ...args], { env, extendEnv: false, reject: false, timeout: timeoutMs });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts the CLI and leaves it running (a daemon). */
export function startCliProcess(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, ...args], { env, extendEnv: false, reject: false });
}

/** A CLI process left running. */
export type CliProcess = ReturnType<typeof startCliProcess>;

/** Polls `check` every 25 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The state of the daemon whose state file is `stateFile`, live over the control socket beside it
 * (what `headroom status` reads); undefined when no daemon answers. The file itself is written
 * at most every daemon.stateWriteIntervalMs; the tests about the file read it with readJson.
 */
export async function readLiveState(stateFile: string): Promise<DaemonState | undefined> {
  return (await probeDaemon(path.join(path.dirname(stateFile), 'headroom.sock')))?.state;
}

/** Reads and parses a JSON file, or undefined when it is absent. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
