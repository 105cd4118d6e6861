/** What a Docker check gathers, what the diagnosis finds, and the actions it plans (docs/docker.md). */
import type { PidOwner } from '../ports/pid-lookup.js';
import type { ColimaProfile } from './colima-paths.js';
import type { ColimaStatus } from './colima-status.js';
import type { ActiveContext } from './docker-context.js';
import type { FailureMode } from './failure-modes.js';
import type { LimaInstance } from './limactl-list.js';

/** Which process wrote a PID file: Lima's host agent, its VM driver, the user-v2 network helper, colima's daemon. */
export type PidFileKind = 'hostagent' | 'driver' | 'usernet' | 'colima-daemon';

/** One PID file, read. */
export interface PidFileFact {
  kind: PidFileKind;
  file: string;
  /** The pid it names; null when its content is not a pid. */
  pid: number | null;
  /** Its mtime (ms since the epoch): when the process wrote it. */
  modifiedAt: number;
  /** Who the pid names now; null when there is no pid to look up. */
  owner: PidOwner | null;
}

/** How a socket file answered a connection: only `refused` proves nobody listens (a timeout may be a busy listener). */
export type SocketState = 'accepts' | 'refused' | 'timeout' | 'error';

/** One socket file, probed. */
export interface SocketFileFact {
  /** Whose it is: the instance's (ha.sock, ssh.sock…), the profile's (docker.sock), a network helper's. */
  scope: 'instance' | 'profile' | 'network';
  /** The network's name, for `network` sockets. */
  network: string | null;
  file: string;
  state: SocketState;
  modifiedAt: number;
}

/** A disk lock: Lima's `_disks/<disk>/in_use_by` symlink to the instance that attached the disk. */
export interface DiskLockFact {
  disk: string;
  file: string;
  /** The instance folder the link points at. */
  target: string;
  /** That folder's name: the instance holding the lock. */
  owner: string;
}

/** One GET /_ping. */
export interface PingResult {
  socket: string;
  ok: boolean;
  /** Why it failed (ECONNREFUSED, a timeout, an HTTP status); null when ok. */
  error: string | null;
  /** It failed by getting no answer in time: a busy listener (a swapping VM) looks so too, so this alone does not prove Docker dead. */
  timedOut: boolean;
  durationMs: number;
}

/** Everything one check gathers about a profile, Docker and the contexts. */
export interface ColimaFacts {
  at: number;
  profile: ColimaProfile;
  /** Why that Colima home (COLIMA_HOME, ~/.colima exists, …). */
  homeWhy: string;
  installed: { colima: boolean; limactl: boolean; docker: boolean };
  /** The profile's folder or its Lima instance exists. */
  profileExists: boolean;
  /** When this boot began; null when unknown. */
  bootedAt: number | null;
  ownUid: number;
  /** `colima status`; null when it was not run (not installed, no profile). */
  colima: ColimaStatus | null;
  /** `limactl list --json <instance>`: the instance (null when limactl does not know it) or why it could not be read. */
  lima: { instance: LimaInstance | null; error: string | null } | null;
  pidFiles: PidFileFact[];
  sockets: SocketFileFact[];
  diskLocks: DiskLockFact[];
  /** The error lines of ha.stderr.log (the last start's). */
  haLogErrors: string[];
  /** /_ping on the profile's docker.sock. */
  ping: PingResult;
  context: ActiveContext;
  /** Docker Desktop: whether it is the active context, and its /_ping when it is. */
  desktop: { active: boolean; ping: PingResult | null };
}

/** What a recovery has done so far: the diagnosis reads it, so that nothing is done twice and starts stay bounded. */
export interface Episode {
  /** colima starts in this boot since Docker last answered, those of earlier headroom runs included. */
  startAttempts: number;
  /** Of those, the ones an earlier headroom run began (it was stopped or killed before it finished). */
  startsBefore: number;
  /** Keys of the actions carried out. */
  done: string[];
  /** A Broken or false Running has been read twice (the second time after `recheckMs`). */
  rechecked: boolean;
  /** Colima was seen left running (PID files, Broken, Running, a disk lock) in a read headroom then acted on, whose actions may have removed that evidence; a read only looked at counts for itself. */
  leftRunning: boolean;
  /** A PID file named a pid now used by another program: no colima stop in this recovery. */
  recycledSeen: boolean;
  /** How the last `colima start` failed. */
  lastStart: { mode: FailureMode | null; message: string } | null;
}

/** A fresh episode. */
export function newEpisode(): Episode {
  return { startAttempts: 0, startsBefore: 0, done: [], rechecked: false, leftRunning: false, recycledSeen: false, lastStart: null };
}

/** How risky an action is: safe (stale files, our own disk lock), guarded (colima stop), start, destructive (opt-in only). */
export type Tier = 'safe' | 'guarded' | 'start' | 'destructive';

interface ActionBase {
  /** Unique within an episode; a done key is never planned again. */
  key: string;
  /** Why, for the log and the user. */
  reason: string;
}

/** One step of a plan. */
export type Action =
  | (ActionBase & { kind: 'remove-file'; tier: 'safe'; file: string; modifiedAt: number })
  | (ActionBase & { kind: 'disk-unlock'; tier: 'safe'; disk: string; lockFile: string })
  | (ActionBase & { kind: 'stop' | 'force-stop'; tier: 'guarded' })
  | (ActionBase & { kind: 'kill'; tier: 'destructive'; pid: number; name: string; startedAt: number })
  | (ActionBase & { kind: 'start'; tier: 'start'; attempt: number; delayMs: number })
  | (ActionBase & { kind: 'delete-vm'; tier: 'destructive'; data: boolean });

/** One thing a check found. */
export interface Finding {
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** What the diagnosis concludes. */
export type Verdict = 'healthy' | 'inactive' | 'leave' | 'wait' | 'recheck' | 'act' | 'blocked' | 'gave-up';

/** Findings and the plan. */
export interface Diagnosis {
  verdict: Verdict;
  summary: string;
  findings: Finding[];
  /** In order: safe, guarded, destructive, start. */
  actions: Action[];
  /** For `recheck`: how long to wait before reading again. */
  recheckAfterMs: number;
  /** What this read adds to the episode. */
  evidence: { leftRunning: boolean; recycled: boolean };
}
