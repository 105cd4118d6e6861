/**
 * The daemon loop: one memory snapshot per tick, the guard's turn, then the state file. A failing
 * sample never stops the loop; it is logged and recorded as an unknown snapshot. Ticks never
 * overlap: the next one starts `intervalMs` after the previous one started (`fastIntervalMs`
 * while the guard is alert), or at once if it overran.
 *
 * The state is assembled only when it is written or asked for (`current`, which the control
 * socket serves live). The file is written when something notable changed (kernel pressure, a
 * sample's errors, the guard's level, its unloads, an action on a guarded process), else at most
 * every `stateWriteIntervalMs`: the write and its rename were a quarter of a sample's CPU
 * (docs/memory.md), and a file rewritten every second is 86,400 writes a day to the Mac's SSD.
 */
import { unknownSnapshot, type MemorySensor, type MemorySnapshot } from '../core/memory.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Guard } from '../guard/guard.js';
import type { OllamaWatcher } from '../ollama/watcher.js';
import type { ServerStatus } from '../ollama/server.js';
import type { ProbeStatus } from '../probe/service.js';
import type { DockerStatus } from '../docker/service.js';
import type { PlatformName } from '../platform/platform.js';
import type { StartFacts } from './previous-run.js';
import { writeState, type DaemonState } from './state-file.js';
import type { WindowServerFollower } from '../windowserver/watch.js';
import type { HeaviestSample } from '../processes/heaviest.js';
import type { ProcessAction } from '../processes/guard.js';

/** What the loop is made of; the composition root passes real ones, tests pass fakes. */
export interface DaemonDeps {
  sensor: MemorySensor;
  clock: Clock;
  logger: Logger;
  platform: PlatformName;
  intervalMs: number;
  /** The interval while the guard is alert; defaults to `intervalMs`. */
  fastIntervalMs?: number;
  /** The memory guard; absent when it is disabled. */
  guard?: Guard | null;
  /** The Ollama reading shown in the state; the guard's watcher when there is a guard. */
  watcher?: OllamaWatcher | null;
  /** The Ollama URL, for the state. */
  ollamaUrl?: string;
  /** headroom's Ollama server: its health checks run from the loop, its status goes in the state. */
  server?: { tick(): void; readonly current: ServerStatus | null } | null;
  /** The scheduled probes: the loop catches up a run missed while the machine slept; their status goes in the state. */
  probes?: { tick(): void; status(): ProbeStatus } | null;
  /** The Docker watch: its /_ping runs from the loop (in the background), its status goes in the state. */
  docker?: { tick(): void; status(): DockerStatus } | null;
  /** WindowServer: its readings start from the loop; it hands the guard an emergency; its status goes in the state. */
  windowServer?: Pick<WindowServerFollower, 'tick' | 'emergency' | 'status'> | null;
  /** The heaviest processes, sampled while pressure is not normal. */
  heaviest?: { tick(raised: boolean): void; readonly latest: HeaviestSample | null } | null;
  /** The runaway-process guard, given the stage the memory guard opens; `guarded` and `dryRun` are for the state. */
  processGuard?: { tick(stage: 'warn' | 'critical' | null): void; readonly recentActions: readonly ProcessAction[]; readonly guarded: number; readonly dryRun: boolean } | null;
  /** What the daemon learns at start about the boot and the run before it (read in the background), for the state. */
  start?: Promise<StartFacts | null> | null;
  stateFile: string;
  /** The longest time between two state writes while nothing notable changes; 0 (the default) writes after every tick. */
  stateWriteIntervalMs?: number;
  pid: number;
  /** Writes the state; defaults to the atomic file writer. */
  saveState?: (file: string, state: DaemonState) => void;
}

/** What the daemon itself keeps between ticks; the rest of the state comes from its parts when asked. */
type OwnState = Pick<DaemonState, 'schemaVersion' | 'pid' | 'platform' | 'startedAt' | 'lastSampleAt' | 'samples' | 'memory' | 'start' | 'stoppedAt'>;

/** The sampling daemon. */
export class Daemon {
  private own: OwnState;
  /** When the state file was last written (clock ms), and what was notable then. */
  private written: { at: number; notable: string } | null = null;
  private lastPressure: MemorySnapshot['pressure'] | null = null;
  private lastErrorKey = '';
  private readonly log: Logger;
  private readonly saveState: (file: string, state: DaemonState) => void;

  constructor(private readonly deps: DaemonDeps) {
    this.log = deps.logger.child({ component: 'daemon' });
    this.saveState = deps.saveState ?? writeState;
    this.own = {
      schemaVersion: 1,
      pid: deps.pid,
      platform: deps.platform,
      startedAt: deps.clock.now(),
      lastSampleAt: null,
      samples: 0,
      memory: null,
      start: null,
    };
    void deps.start?.then((start) => {
      this.own.start = start;
    });
  }

  /** The state as of the last tick, assembled now from the daemon's parts. */
  get current(): DaemonState {
    return { ...this.own, ...this.partsState() };
  }

  /** The interval to the next tick: fast while the guard is alert. */
  get nextIntervalMs(): number {
    const { intervalMs, fastIntervalMs = intervalMs } = this.deps;
    return this.deps.guard?.alert ? Math.min(fastIntervalMs, intervalMs) : intervalMs;
  }

  /**
   * Ticks until `stop` aborts, then writes a final state marked stopped. A tick under way when
   * `stop` aborts runs to its end; `cancel` (aborted later, at a deadline) stops its commands.
   */
  async run(stop: AbortSignal, cancel: AbortSignal = stop): Promise<void> {
    const { clock } = this.deps;
    while (!stop.aborted) {
      const startedAt = clock.now();
      await this.tick(cancel);
      if (stop.aborted) break;
      await clock.sleep(Math.max(0, startedAt + this.nextIntervalMs - clock.now()), stop);
    }
    this.own.stoppedAt = clock.now();
    this.persist(this.notableNow());
  }

  /** One sample, its log lines and the state write. */
  async tick(signal?: AbortSignal): Promise<MemorySnapshot> {
    let snapshot: MemorySnapshot;
    try {
      snapshot = await this.deps.sensor.sample(signal);
    } catch (error) {
      snapshot = unknownSnapshot(this.deps.clock.now(), `memory sensor failed: ${(error as Error).message}`);
    }
    try {
      this.report(snapshot);
      this.deps.server?.tick();
      this.deps.probes?.tick();
      this.deps.docker?.tick();
      const { guard, windowServer } = this.deps;
      // Not normal: the kernel's level, or the guard's own (its floor and swap rules).
      const raised = snapshot.pressure === 'warn' || snapshot.pressure === 'critical' || (guard?.policyState.level ?? 'normal') !== 'normal';
      windowServer?.tick(snapshot, raised);
      if (guard) await guard.tick(snapshot, signal, windowServer?.emergency() ?? null);
      this.deps.processGuard?.tick(guard?.processStage ?? null);
      this.deps.heaviest?.tick(raised);
    } catch (error) {
      // The guard catches its own failures; this is the last line, so that nothing ends the loop.
      this.log.error({ err: error }, 'tick failed after sampling');
    }
    this.own.lastSampleAt = snapshot.at;
    this.own.samples += 1;
    this.own.memory = snapshot;
    const notable = this.notableNow();
    const { stateWriteIntervalMs = 0 } = this.deps;
    const written = this.written;
    if (written === null || notable !== written.notable || this.deps.clock.now() - written.at >= stateWriteIntervalMs) this.persist(notable);
    return snapshot;
  }

  /** What must reach the state file at once when it changes: a key compared tick to tick. */
  private notableNow(): string {
    const memory = this.own.memory;
    const guard = this.deps.guard?.status();
    return [
      memory?.pressure,
      memory?.errors?.join('\n') ?? '',
      guard?.level,
      guard?.unloading?.join(',') ?? '',
      guard?.lastUnload?.at ?? '',
      this.deps.processGuard?.recentActions.length ?? 0,
      this.own.start === null ? 0 : 1,
    ].join('|');
  }

  private partsState(): Pick<DaemonState, 'ollama' | 'guard' | 'server' | 'probe' | 'windowServer' | 'processes' | 'docker'> {
    const { heaviest, processGuard } = this.deps;
    const watcher = this.deps.watcher;
    const reading = watcher?.current;
    return {
      ollama: reading
        ? {
            url: this.deps.ollamaUrl ?? null,
            status: reading.status,
            ...(reading.error !== undefined ? { error: reading.error } : {}),
            readAt: reading.readAt,
            models: reading.models.map(({ name, sizeBytes, kind }) => ({ name, sizeBytes, kind })),
          }
        : null,
      guard: this.deps.guard ? this.deps.guard.status() : null,
      server: this.deps.server?.current ?? null,
      probe: this.deps.probes?.status() ?? null,
      windowServer: this.deps.windowServer?.status() ?? null,
      processes:
        heaviest || processGuard
          ? { heaviest: heaviest?.latest ?? null, guarded: processGuard?.guarded ?? 0, dryRun: processGuard?.dryRun ?? false, actions: [...(processGuard?.recentActions ?? [])] }
          : null,
      docker: this.deps.docker?.status() ?? null,
    };
  }

  private report(snapshot: MemorySnapshot): void {
    this.log.debug({ snapshot }, 'sample');
    const errorKey = (snapshot.errors ?? []).join('\n');
    if (errorKey !== this.lastErrorKey) {
      if (errorKey) this.log.warn({ errors: snapshot.errors, snapshot }, 'memory sample incomplete');
      else this.log.info({ snapshot }, 'memory sample complete again');
      this.lastErrorKey = errorKey;
    }
    if (snapshot.pressure !== this.lastPressure) {
      const fields = { from: this.lastPressure, to: snapshot.pressure, reason: snapshot.pressureReason, snapshot };
      if (snapshot.pressure === 'warn' || snapshot.pressure === 'critical') this.log.warn(fields, 'memory pressure changed');
      else this.log.info(fields, 'memory pressure changed');
      this.lastPressure = snapshot.pressure;
    }
  }

  private persist(notable: string): void {
    this.written = { at: this.deps.clock.now(), notable };
    try {
      this.saveState(this.deps.stateFile, this.current);
    } catch (error) {
      this.log.error({ err: error, file: this.deps.stateFile }, 'could not write the state file');
    }
  }
}
