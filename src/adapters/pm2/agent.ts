/**
 * The pm2 agent: a short-lived Node process that does one pm2 operation and prints the result
 * as one JSON line. headroom runs it through its command runner with a minimal environment
 * (PATH, HOME, PM2_HOME), so that pm2's daemon, which copies the environment of whoever starts
 * it, never sees headroom's, and pm2 (AGPL, with global state) stays out of the daemon's process.
 *
 *   node agent.js describe '{"name": …}'
 *   node agent.js start '<AppSpec>'
 *   node agent.js stop '{"name": …, "killDaemon": true}'
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import pm2Module from 'pm2';
import type { AppSpec, ManagedApp, ManagerStatus } from '../../ports/process-manager.js';

/** The part of pm2's API the agent uses (its published types lack `custom`, the isolated instance). */
interface Pm2 {
  connect(done: (error: Error | null) => void): void;
  list(done: (error: Error | null, list?: ProcessDescription[]) => void): void;
  start(options: Record<string, unknown>, done: (error: Error | null) => void): void;
  delete(name: string, done: (error: Error | null) => void): void;
  killDaemon(done: (error: Error | null) => void): void;
  disconnect(): void;
}
interface ProcessDescription {
  name?: string;
  pid?: number;
  pm2_env?: Record<string, unknown>;
}
const Pm2Custom = (pm2Module as unknown as { custom: new (options: { pm2_home: string; daemon_mode: boolean }) => Pm2 }).custom;

const home = process.env.PM2_HOME;
if (!home) fail('PM2_HOME is not set');

/**
 * Prints the one answer line and exits: after killDaemon, pm2's client keeps handles open that
 * never let Node end on its own. writeSync, so that the line is out before the exit.
 */
function finish(value: object, exitCode: number): never {
  writeSync(1, `${JSON.stringify(value)}\n`);
  process.exit(exitCode);
}

function fail(message: string): never {
  finish({ ok: false, error: message }, 1);
}

function answer(value: object): never {
  finish({ ok: true, ...value }, 0);
}

function call<T>(run: (done: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** pm2's daemon pid, when its pid file names a live process. */
function daemonPid(): number | null {
  try {
    const pid = Number(readFileSync(path.join(home!, 'pm2.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Longest wait for `ps -o rss=`, which answers in a few ms. */
const PS_TIMEOUT_MS = 2000;

function rssBytes(pid: number): number | null {
  try {
    // This agent is itself a child the command runner bounds; the timeout keeps a hung ps from using all of it.
    const kib = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8', timeout: PS_TIMEOUT_MS }).trim());
    return Number.isFinite(kib) ? kib * 1024 : null;
  } catch {
    return null;
  }
}

function listOf(pm2: Pm2): Promise<ProcessDescription[]> {
  return call<ProcessDescription[]>((done) => pm2.list(done)).then((list) => list ?? []);
}

function toApp(entry: ProcessDescription | undefined): ManagedApp | null {
  if (!entry) return null;
  const env = entry.pm2_env ?? {};
  let status = typeof env.status === 'string' ? env.status : 'unknown';
  // With exp_backoff_restart_delay, pm2 7 marks a crash loop that hit max_restarts "errored" and
  // then overwrites that with "waiting restart", though no restart is scheduled (lib/God.js
  // handleExit); the loop's end also clears created_at, which a real wait keeps.
  if (status === 'waiting restart' && (env.created_at === null || env.created_at === undefined)) status = 'errored';
  const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return {
    pid: entry.pid && entry.pid > 0 ? entry.pid : null,
    status,
    restarts: number(env.restart_time) ?? 0,
    unstableRestarts: number(env.unstable_restarts) ?? 0,
    startedAt: status === 'online' ? number(env.pm_uptime) : null,
    exitCode: number(env.exit_code),
  };
}

async function status(pm2: Pm2, name: string): Promise<ManagerStatus> {
  const pid = daemonPid();
  const app = toApp((await listOf(pm2)).find((entry) => entry.name === name));
  return { daemon: pid ? { pid, rssBytes: rssBytes(pid) } : null, app };
}

async function main(): Promise<void> {
  const [operation, json = '{}'] = process.argv.slice(2);
  const request = JSON.parse(json) as Partial<AppSpec> & { killDaemon?: boolean };
  const name = request.name ?? fail('no app name');
  if ((operation === 'describe' || operation === 'stop') && daemonPid() === null) {
    // Nothing runs: answer without starting pm2's daemon.
    answer({ status: { daemon: null, app: null } });
    return;
  }
  const pm2 = new Pm2Custom({ pm2_home: home!, daemon_mode: true });
  await call((done) => pm2.connect(done));
  try {
    if (operation === 'describe') {
      answer({ status: await status(pm2, name) });
    } else if (operation === 'start') {
      const spec = request as AppSpec;
      if ((await listOf(pm2)).some((entry) => entry.name === name)) await call((done) => pm2.delete(name, done));
      await call((done) =>
        pm2.start(
          {
            name,
            script: spec.script,
            args: spec.args,
            interpreter: 'none',
            cwd: spec.cwd,
            env: spec.env,
            // [''] drops every inherited variable; `true` does not (lib/Common.js tests .length).
            filter_env: [''],
            autorestart: true,
            min_uptime: spec.minUptimeMs,
            max_restarts: spec.maxRestarts,
            exp_backoff_restart_delay: spec.backoffMs,
            kill_timeout: spec.killTimeoutMs,
            output: spec.outFile,
            error: spec.errFile,
            merge_logs: true,
          },
          done,
        ),
      );
      answer({ status: await status(pm2, name) });
    } else if (operation === 'stop') {
      if ((await listOf(pm2)).some((entry) => entry.name === name)) await call((done) => pm2.delete(name, done));
      if (request.killDaemon && (await listOf(pm2)).length === 0) await call((done) => pm2.killDaemon(done));
      const pid = daemonPid();
      answer({ status: { daemon: pid ? { pid, rssBytes: null } : null, app: null } });
    } else {
      fail(`unknown operation ${String(operation)}`);
    }
  } finally {
    pm2.disconnect();
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
