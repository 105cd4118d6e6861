/** ColimaFacts for the diagnosis tests: a profile under /Users/u/.colima, and builders for each part. */
import { colimaProfile } from '../../src/docker/colima-paths.js';
import type { ColimaFacts, PidFileFact, PingResult } from '../../src/docker/types.js';
import type { PidOwner } from '../../src/ports/pid-lookup.js';

/** The time of the check. */
export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
/** This boot began an hour before. */
export const BOOTED_AT = NOW - 3_600_000;
/** A time in the boot before. */
export const BEFORE_BOOT = BOOTED_AT - 86_400_000;
export const OWN_UID = 501;

/** The default profile. */
export const PROFILE = colimaProfile('/Users/u/.colima', 'default');

/** A /_ping that answered or was refused. */
export function ping(ok: boolean, socket = PROFILE.dockerSocket): PingResult {
  return { socket, ok, error: ok ? null : 'connect ECONNREFUSED', timedOut: false, durationMs: 1 };
}

/** A /_ping that got no answer within its timeout (3 s, docker.pingTimeoutMs's default). */
export function pingTimedOut(socket = PROFILE.dockerSocket): PingResult {
  return { socket, ok: false, error: 'GET /_ping: no answer within 3000 ms', timedOut: true, durationMs: 3000 };
}

/** A live process of this user. */
export function alive(name: string, startedAt: number, uid = OWN_UID): PidOwner {
  return { state: 'alive', name, uid, startedAt };
}

/** A PID file of the instance (or elsewhere with `file`). */
export function pidFile(kind: PidFileFact['kind'], pid: number | null, modifiedAt: number, owner: PidOwner | null, file?: string): PidFileFact {
  const defaults: Record<PidFileFact['kind'], string> = {
    hostagent: `${PROFILE.instanceDir}/ha.pid`,
    driver: `${PROFILE.instanceDir}/vz.pid`,
    usernet: `${PROFILE.networksDir}/user-v2/usernet_user-v2.pid`,
    'colima-daemon': PROFILE.daemonPidFile,
  };
  return { kind, file: file ?? defaults[kind], pid, modifiedAt, owner };
}

/** Facts of a profile whose Docker answers; override what a case needs. */
export function facts(overrides: Partial<ColimaFacts> = {}): ColimaFacts {
  return {
    at: NOW,
    profile: PROFILE,
    homeWhy: '~/.colima exists',
    installed: { colima: true, limactl: true, docker: true },
    profileExists: true,
    bootedAt: BOOTED_AT,
    ownUid: OWN_UID,
    colima: { running: true, driver: 'macOS Virtualization.Framework', arch: 'aarch64', runtime: 'docker', dockerSocket: `unix://${PROFILE.dockerSocket}`, message: null, form: 'json' },
    lima: { instance: { name: 'colima', status: 'Running', dir: PROFILE.instanceDir, vmType: 'vz', hostAgentPid: 612, driverPid: 612, errors: [] }, error: null },
    pidFiles: [],
    sockets: [],
    diskLocks: [],
    haLogErrors: [],
    ping: ping(true),
    context: { name: 'colima', endpoint: `unix://${PROFILE.dockerSocket}`, source: 'config.json', error: null },
    desktop: { active: false, ping: null },
    ...overrides,
  };
}

/** `colima status` of a stopped profile. */
export const COLIMA_STOPPED = { running: false, driver: null, arch: null, runtime: null, dockerSocket: null, message: 'colima is not running', form: 'json' } as const;

/** A Lima instance in a state, with errors. */
export function lima(status: string, errors: string[] = []): ColimaFacts['lima'] {
  return { instance: { name: 'colima', status, dir: PROFILE.instanceDir, vmType: 'vz', hostAgentPid: null, driverPid: null, errors }, error: null };
}
