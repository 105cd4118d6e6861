/**
 * PID files, judged (docs/colima-pm2.md A5 step 3). A file is stale when it predates this boot,
 * when its pid is dead, or when the pid now names another program, or a process that started
 * after the file was written (the pid was reused). Only a live process of the expected program,
 * of this user, started before the file was written, is ours. Pure.
 */
import { BOOT_TIME_TOLERANCE_MS } from '../daemon/previous-run.js';
import type { PidFileFact, PidFileKind } from './types.js';

/** How much later than its PID file a process may seem to start (ps's etime counts whole seconds). */
export const START_SLACK_MS = 5000;

/** The program that writes each kind of PID file. Linux cuts names at 15 characters; macOS gives the executable's name. */
const EXPECTED: Readonly<Record<PidFileKind, (name: string) => boolean>> = {
  hostagent: (name) => name === 'limactl',
  // VZ runs inside the host agent (vz.pid = ha.pid); QEMU is its own process; external drivers are limactl-driver-*.
  driver: (name) => name === 'limactl' || name.startsWith('limactl-') || name.startsWith('qemu-system'),
  usernet: (name) => name === 'limactl',
  'colima-daemon': (name) => name === 'colima',
};

/** What the program of a kind is called, for messages. */
export const EXPECTED_PROGRAM: Readonly<Record<PidFileKind, string>> = { hostagent: 'limactl', driver: 'limactl or qemu', usernet: 'limactl', 'colima-daemon': 'colima' };

/** A PID file's verdict. */
export type PidVerdict =
  | { kind: 'stale'; why: 'not-a-pid' | 'predates-boot' | 'dead' | 'recycled'; detail: string }
  | { kind: 'ours'; detail: string }
  | { kind: 'foreign'; detail: string }
  | { kind: 'unknown'; detail: string };

/** Judges one PID file against this boot and this user. */
export function classifyPidFile(fact: PidFileFact, bootedAt: number | null, ownUid: number): PidVerdict {
  const what = `pid ${fact.pid ?? '?'}`;
  if (fact.pid === null) return { kind: 'stale', why: 'not-a-pid', detail: 'holds no pid' };
  if (bootedAt !== null && fact.modifiedAt < bootedAt - BOOT_TIME_TOLERANCE_MS) {
    return { kind: 'stale', why: 'predates-boot', detail: `written ${new Date(fact.modifiedAt).toISOString()}, before this boot (${new Date(bootedAt).toISOString()})` };
  }
  const owner = fact.owner;
  if (owner === null) return { kind: 'unknown', detail: `${what}: not looked up` };
  if (owner.state === 'dead') return { kind: 'stale', why: 'dead', detail: `${what} is not running` };
  if (owner.state === 'unknown') return { kind: 'unknown', detail: `${what}: ${owner.error}` };
  if (!EXPECTED[fact.kind](owner.name)) return { kind: 'stale', why: 'recycled', detail: `${what} is now "${owner.name}", not ${EXPECTED_PROGRAM[fact.kind]}: the pid was reused` };
  if (owner.startedAt !== null && owner.startedAt > fact.modifiedAt + START_SLACK_MS) {
    return { kind: 'stale', why: 'recycled', detail: `${what} is a ${owner.name} started after the file was written: the pid was reused` };
  }
  if (owner.uid === ownUid) return { kind: 'ours', detail: `${what} is your ${owner.name}` };
  if (owner.uid === null) return { kind: 'unknown', detail: `${what} is a ${owner.name} whose owner cannot be read` };
  return { kind: 'foreign', detail: `${what} is a ${owner.name} of uid ${owner.uid}` };
}
