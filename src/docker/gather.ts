/**
 * One read of a Colima profile and of Docker (docs/docker.md, "What a check reads"): the PID and
 * socket files, the disk locks and the tail of ha.stderr.log are read first, because limactl and
 * colima remove dead PID files when they look; then /_ping, `colima status` and `limactl list`.
 * headroom only reads here; the two tools it runs when Docker is down may delete dead PID files.
 */
import { lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../ports/clock.js';
import { commandFailure, type CommandRunner } from '../ports/command-runner.js';
import type { PidLookup } from '../ports/pid-lookup.js';
import type { ColimaProfile } from './colima-paths.js';
import { noJsonFlag, parseColimaStatus, type ColimaStatus } from './colima-status.js';
import { isDockerDesktop, resolveActiveContext, unixSocketPath } from './docker-context.js';
import { haLogErrors, parseHaLog } from './ha-log.js';
import { parseLimactlList } from './limactl-list.js';
import { lastError } from './logrus.js';
import { pingDocker, probeSocket } from './sockets.js';
import type { ColimaFacts, DiskLockFact, PidFileFact, PidFileKind, SocketFileFact } from './types.js';

/** How much of ha.stderr.log is read: its end, where the last start's errors are. */
const HA_LOG_TAIL_BYTES = 64 * 1024;
/** How long a socket probe waits for a connection. */
const SOCKET_PROBE_MS = 1000;

/** What a read needs. */
export interface GatherDeps {
  profile: ColimaProfile;
  homeWhy: string;
  installed: ColimaFacts['installed'];
  runner: CommandRunner;
  pids: PidLookup;
  ownUid: number;
  /** Extra environment of colima's and limactl's children (COLIMA_HOME, LIMA_HOME): never headroom's own. */
  env: { colima: Record<string, string>; lima: Record<string, string> };
  /** headroom's environment and home, for the docker context (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG). */
  processEnv: NodeJS.ProcessEnv;
  home: string;
  commandTimeoutMs: number;
  pingTimeoutMs: number;
  clock: Clock;
}

/** The arguments of `colima status` for a profile. */
export function colimaStatusArgs(profile: string, json: boolean): string[] {
  return json ? ['status', '--profile', profile, '--json'] : ['status', '--profile', profile];
}

/** Reads everything about the profile; never throws for what it reads (failures become facts). */
export async function gatherFacts(deps: GatherDeps, bootedAt: number | null, signal?: AbortSignal): Promise<ColimaFacts> {
  const { profile } = deps;
  const at = deps.clock.now();
  const profileExists = existsSync(profile.configDir) || existsSync(profile.instanceDir);
  // Without colima or the profile there is nothing to recover: its files are not read.
  const look = deps.installed.colima && profileExists;
  const pidFiles = look ? await readPidFiles(deps, signal) : [];
  const sockets = look ? await probeSockets(profile) : [];
  const diskLocks = look ? readDiskLocks(profile) : [];
  const haErrors = look ? haLogErrors(parseHaLog(readTail(profile.haStderrLog, HA_LOG_TAIL_BYTES))).map((entry) => entry.msg) : [];
  const context = resolveActiveContext(deps.processEnv, deps.home, readOrNull);
  const ping = await pingDocker(profile.dockerSocket, deps.pingTimeoutMs, signal);
  const desktopActive = isDockerDesktop(context, deps.home);
  const desktopSocket = desktopActive ? unixSocketPath(context.endpoint) : null;
  const desktopPing = desktopSocket !== null && desktopSocket !== profile.dockerSocket ? await pingDocker(desktopSocket, deps.pingTimeoutMs, signal) : null;
  const colima = look && !ping.ok ? await colimaStatus(deps, signal) : null;
  const lima = look && deps.installed.limactl && !ping.ok ? await limaInstance(deps, signal) : null;
  return {
    at,
    profile,
    homeWhy: deps.homeWhy,
    installed: deps.installed,
    profileExists,
    bootedAt,
    ownUid: deps.ownUid,
    colima,
    lima,
    pidFiles,
    sockets,
    diskLocks,
    haLogErrors: haErrors,
    ping,
    context,
    desktop: { active: desktopActive, ping: desktopPing },
  };
}

async function colimaStatus(deps: GatherDeps, signal?: AbortSignal): Promise<ColimaStatus> {
  const run = (json: boolean) => deps.runner.run('colima', colimaStatusArgs(deps.profile.name, json), { timeoutMs: deps.commandTimeoutMs, signal, env: deps.env.colima });
  let result = await run(true);
  // colima before 0.8.1 has no --json: read its text form instead.
  if (noJsonFlag(result)) result = await run(false);
  const failure = result.exitCode === undefined ? commandFailure(result) : null;
  if (failure !== null) return { running: false, driver: null, arch: null, runtime: null, dockerSocket: null, message: failure, form: 'text' };
  return parseColimaStatus(result);
}

async function limaInstance(deps: GatherDeps, signal?: AbortSignal): Promise<NonNullable<ColimaFacts['lima']>> {
  const result = await deps.runner.run('limactl', ['list', '--json', deps.profile.instance], { timeoutMs: deps.commandTimeoutMs, signal, env: deps.env.lima });
  const { instances, problems } = parseLimactlList(result.stdout, result.stderr);
  const instance = instances.find((i) => i.name === deps.profile.instance) ?? null;
  if (instance) return { instance, error: null };
  // An unknown name is a warning and exit 1: the instance does not exist.
  if (result.exitCode === 1 && /No instance matching/i.test(result.stderr)) return { instance: null, error: null };
  return { instance: null, error: commandFailure(result) ?? problems[0] ?? lastError(result.stderr) ?? 'no such instance in the output' };
}

/** ha.pid and the driver's pid file, the user-v2 helpers' pid files, colima's daemon.pid: each read and its pid looked up. */
async function readPidFiles(deps: GatherDeps, signal?: AbortSignal): Promise<PidFileFact[]> {
  const { profile } = deps;
  const found: Array<{ kind: PidFileKind; file: string }> = [];
  for (const name of listDir(profile.instanceDir)) if (name.endsWith('.pid')) found.push({ kind: name === 'ha.pid' ? 'hostagent' : 'driver', file: path.join(profile.instanceDir, name) });
  for (const network of listDir(profile.networksDir)) {
    for (const name of listDir(path.join(profile.networksDir, network))) if (/^usernet_.*\.pid$/.test(name)) found.push({ kind: 'usernet', file: path.join(profile.networksDir, network, name) });
  }
  if (existsSync(profile.daemonPidFile)) found.push({ kind: 'colima-daemon', file: profile.daemonPidFile });
  const facts = await Promise.all(
    found.map(async ({ kind, file }): Promise<PidFileFact | null> => {
      let text: string;
      let modifiedAt: number;
      try {
        modifiedAt = lstatSync(file).mtimeMs;
        text = readFileSync(file, 'utf8');
      } catch {
        return null; // Gone meanwhile.
      }
      const pid = /^\s*(\d+)\s*$/.test(text) ? Number(text.trim()) : null;
      const owner = pid !== null && pid > 0 ? await deps.pids.lookup(pid, signal) : null;
      return { kind, file, pid: pid !== null && pid > 0 ? pid : null, modifiedAt, owner };
    }),
  );
  return facts.filter((fact): fact is PidFileFact => fact !== null);
}

/** Socket files of the instance, the profile (docker.sock, containerd.sock) and the networks, each probed. */
async function probeSockets(profile: ColimaProfile): Promise<SocketFileFact[]> {
  const candidates: Array<Omit<SocketFileFact, 'state' | 'modifiedAt'>> = [];
  for (const name of listDir(profile.instanceDir)) if (name.endsWith('.sock')) candidates.push({ scope: 'instance', network: null, file: path.join(profile.instanceDir, name) });
  for (const name of ['docker.sock', 'containerd.sock']) candidates.push({ scope: 'profile', network: null, file: path.join(profile.configDir, name) });
  for (const network of listDir(profile.networksDir)) {
    for (const name of listDir(path.join(profile.networksDir, network))) if (name.endsWith('.sock')) candidates.push({ scope: 'network', network, file: path.join(profile.networksDir, network, name) });
  }
  const probed = await Promise.all(
    candidates.map(async (candidate): Promise<SocketFileFact | null> => {
      try {
        const stat = lstatSync(candidate.file);
        // Only real sockets: connecting to a plain file is ECONNREFUSED on Linux too.
        if (!stat.isSocket()) return null;
        return { ...candidate, modifiedAt: stat.mtimeMs, state: await probeSocket(candidate.file, SOCKET_PROBE_MS) };
      } catch {
        return null;
      }
    }),
  );
  return probed.filter((fact): fact is SocketFileFact => fact !== null);
}

/** The `in_use_by` links that involve this instance: locks it holds, and a lock on its own disk. */
function readDiskLocks(profile: ColimaProfile): DiskLockFact[] {
  const disksDir = path.dirname(profile.diskDir);
  const locks: DiskLockFact[] = [];
  for (const disk of listDir(disksDir)) {
    const file = path.join(disksDir, disk, 'in_use_by');
    let target: string;
    try {
      target = readlinkSync(file);
    } catch {
      continue;
    }
    const owner = path.basename(target);
    if (owner === profile.instance || disk === profile.instance) locks.push({ disk, file, target, owner });
  }
  return locks;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
}

/** The last `bytes` of a file, or '' when it cannot be read. */
function readTail(file: string, bytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = lstatSync(file).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}
