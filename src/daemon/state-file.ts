/**
 * The daemon's state file. Each write goes to a private temporary file that is then renamed over
 * the old one, so a reader (or a daemon killed mid-write) sees either the old state or the new
 * one, never half of either. There is no fsync per tick, so after a power cut the file can be
 * empty or truncated (a rename can reach the disk before the data): readers report such a file
 * as unusable and the next daemon rewrites it on its first tick.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { MemorySnapshot } from '../core/memory.js';
import type { GuardStatus } from '../guard/guard.js';
import type { ServerStatus } from '../ollama/server.js';
import type { ProbeStatus } from '../probe/service.js';
import type { DockerStatus } from '../docker/service.js';
import type { ModelKind } from '../ports/ollama.js';
import type { OllamaStatus } from '../guard/types.js';
import type { PlatformName } from '../platform/platform.js';
import type { StartFacts } from './previous-run.js';
import type { WindowServerStatus } from '../windowserver/watch.js';
import type { HeaviestSample } from '../processes/heaviest.js';
import type { ProcessAction } from '../processes/guard.js';

/** The heaviest processes and the runaway-process guard, as the daemon last saw them. */
export interface ProcessesState {
  /** The last sample of the heaviest (taken while pressure was not normal); null before the first. */
  heaviest: HeaviestSample | null;
  /** How many patterns `processes.guarded` has. */
  guarded: number;
  dryRun: boolean;
  /** The latest actions on guarded processes, newest last. */
  actions: ProcessAction[];
}

/** Ollama as the daemon last saw it. */
export interface OllamaState {
  url: string | null;
  status: OllamaStatus;
  error?: string;
  readAt: number | null;
  models: Array<{ name: string; sizeBytes: number; kind: ModelKind }>;
}

/** What the daemon records about itself. */
export interface DaemonState {
  schemaVersion: 1;
  pid: number;
  platform: PlatformName;
  /** Epoch ms when this daemon started. */
  startedAt: number;
  /** Epoch ms of the newest sample, null before the first. */
  lastSampleAt: number | null;
  samples: number;
  memory: MemorySnapshot | null;
  /** null when the guard is off. */
  ollama?: OllamaState | null;
  guard?: GuardStatus | null;
  /** headroom's view of the Ollama server (who serves, its environment, health); null before the first look. */
  server?: ServerStatus | null;
  /** The scheduled probes: next run, failure streak, last run; null when the daemon runs none. */
  probe?: ProbeStatus | null;
  /** Docker and the Colima profile headroom watches; null when the watch is off (docker.enabled: false). */
  docker?: DockerStatus | null;
  /** WindowServer: ok, strained, unknown or not applicable, with the reason; absent in older files. */
  windowServer?: WindowServerStatus | null;
  /** The heaviest processes and the actions on guarded ones; absent in older files. */
  processes?: ProcessesState | null;
  /** This boot, and the run before this one: a reboot since, an unclean stop; absent in older files. */
  start?: StartFacts | null;
  /** Epoch ms of a clean stop; absent while running or after a crash. */
  stoppedAt?: number;
}

/** Thrown when the state file exists but cannot be used; names the file. */
export class StateFileError extends Error {
  override name = 'StateFileError';
}

const TMP_MARK = '.tmp-';

/**
 * Writes `state` atomically (temp file + rename), mode 0600. Synchronous: the loop waits for the
 * write either way, and the sync calls cost a fraction of the promise ones per tick (docs/memory.md).
 */
export function writeState(file: string, state: DaemonState): void {
  const tmp = `${file}${TMP_MARK}${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Reads the state file; null when there is none. */
export async function readState(file: string): Promise<DaemonState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileError(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(`${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isDaemonState(data)) throw new StateFileError(`${file}: not a headroom state file (schemaVersion 1)`);
  return data;
}

/** True for what a headroom daemon writes (schemaVersion 1, a pid and a start time). */
export function isDaemonState(data: unknown): data is DaemonState {
  if (typeof data !== 'object' || data === null) return false;
  const state = data as Partial<DaemonState>;
  return state.schemaVersion === 1 && typeof state.pid === 'number' && typeof state.startedAt === 'number';
}

/** Removes temporary files a killed daemon left behind next to `file`. */
export async function removeStaleTempFiles(file: string): Promise<number> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}${TMP_MARK}`;
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name !== `${prefix}${process.pid}`) {
      await rm(path.join(dir, name), { force: true });
      removed += 1;
    }
  }
  return removed;
}
