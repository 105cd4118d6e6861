/**
 * The daemon loop: one memory snapshot per tick, then the state file. A failing sample never
 * stops the loop; it is logged and recorded as an unknown snapshot. Ticks never overlap: the
 * next one starts `intervalMs` after the previous one started, or at once if it overran.
 */
import { unknownSnapshot, type MemorySensor, type MemorySnapshot } from '../core/memory.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { PlatformName } from '../platform/platform.js';
import { writeState, type DaemonState } from './state-file.js';

/** What the loop is made of; the composition root passes real ones, tests pass fakes. */
export interface DaemonDeps {
  sensor: MemorySensor;
  clock: Clock;
  logger: Logger;
  platform: PlatformName;
  intervalMs: number;
  stateFile: string;
  pid: number;
  /** Writes the state; defaults to the atomic file writer. */
  saveState?: (file: string, state: DaemonState) => void;
}

/** The sampling daemon. */
export class Daemon {
  private state: DaemonState;
  private lastPressure: MemorySnapshot['pressure'] | null = null;
  private lastErrorKey = '';
  private readonly log: Logger;
  private readonly saveState: (file: string, state: DaemonState) => void;

  constructor(private readonly deps: DaemonDeps) {
    this.log = deps.logger.child({ component: 'daemon' });
    this.saveState = deps.saveState ?? writeState;
    this.state = {
      schemaVersion: 1,
      pid: deps.pid,
      platform: deps.platform,
      startedAt: deps.clock.now(),
      lastSampleAt: null,
      samples: 0,
      memory: null,
    };
  }

  /** The state as of the last tick. */
  get current(): Readonly<DaemonState> {
    return this.state;
  }

  /** Ticks until `signal` aborts, then writes a final state marked stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.deps;
    while (!signal.aborted) {
      const startedAt = clock.now();
      await this.tick(signal);
      if (signal.aborted) break;
      await clock.sleep(Math.max(0, startedAt + intervalMs - clock.now()), signal);
    }
    this.state = { ...this.state, stoppedAt: clock.now() };
    this.persist();
  }

  /** One sample, its log lines and the state write. */
  async tick(signal?: AbortSignal): Promise<MemorySnapshot> {
    let snapshot: MemorySnapshot;
    try {
      snapshot = await this.deps.sensor.sample(signal);
    } catch (error) {
      snapshot = unknownSnapshot(this.deps.clock.now(), `memory sensor failed: ${(error as Error).message}`);
    }
    this.report(snapshot);
    this.state = { ...this.state, lastSampleAt: snapshot.at, samples: this.state.samples + 1, memory: snapshot };
    this.persist();
    return snapshot;
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

  private persist(): void {
    try {
      this.saveState(this.deps.stateFile, this.state);
    } catch (error) {
      this.log.error({ err: error, file: this.deps.stateFile }, 'could not write the state file');
    }
  }
}
