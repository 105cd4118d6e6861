/**
 * The heaviest processes, sampled in the background while memory pressure is not normal: by
 * physical footprint on macOS (`top`, then one `ps` for their names), by PSS or RSS from /proc
 * on Linux. The last sample is kept (with its time) after the pressure is over.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MemoryMetric, MemoryUse, ProcessDetails, ProcessInspector } from '../ports/processes.js';
import { programName } from './protect.js';

/** One of the heaviest processes. */
export interface HeavyProcess {
  pid: number;
  name: string;
  command: string;
  /** null when the process had gone by the time its name was read. */
  uid: number | null;
  bytes: number;
  metric: MemoryMetric;
}

/** The longest command line kept per process: the state is written every tick. */
const MAX_COMMAND_CHARS = 300;

/** Names the processes of a ranking from the process table; one gone since the ranking keeps its pid as its name. */
export function namedUses(uses: readonly MemoryUse[], table: ReadonlyMap<number, ProcessDetails>): HeavyProcess[] {
  return uses.map((use) => {
    const details = table.get(use.pid);
    const command = (details?.command ?? '').slice(0, MAX_COMMAND_CHARS);
    return { pid: use.pid, name: programName(command) || `pid ${use.pid}`, command, uid: details?.uid ?? null, bytes: use.bytes, metric: use.metric };
  });
}

/** The last sample. */
export interface HeaviestSample {
  sampledAt: number;
  processes: HeavyProcess[];
}

/** What the sampler is built from. */
export interface HeaviestDeps {
  inspector: ProcessInspector;
  clock: Clock;
  logger: Logger;
  /** How many processes are kept. */
  top: number;
  sampleIntervalMs: number;
  /** Cancels the commands under way (daemon shutdown). */
  signal?: AbortSignal;
}

/** The sampler. */
export class HeaviestProcesses {
  private sample: HeaviestSample | null = null;
  private sampling: Promise<void> | null = null;
  private startedAt: number | null = null;
  private error: string | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: HeaviestDeps) {
    this.log = deps.logger.child({ component: 'processes' });
  }

  /** The last sample; null before the first. */
  get latest(): HeaviestSample | null {
    return this.sample;
  }

  /** A process's memory from the last sample, when it is there and no older than the sample interval. */
  memoryOf(pid: number): MemoryUse | null {
    if (!this.sample || this.deps.clock.now() - this.sample.sampledAt > this.deps.sampleIntervalMs) return null;
    const found = this.sample.processes.find((p) => p.pid === pid);
    return found ? { pid, bytes: found.bytes, metric: found.metric } : null;
  }

  /** Starts a sample in the background while `raised` and one is due. */
  tick(raised: boolean): void {
    if (!raised || this.sampling) return;
    const now = this.deps.clock.now();
    if (this.startedAt !== null && now - this.startedAt < this.deps.sampleIntervalMs) return;
    this.startedAt = now;
    this.sampling = this.take().finally(() => (this.sampling = null));
  }

  /** Waits for a sample under way. */
  async settle(): Promise<void> {
    await this.sampling;
  }

  private async take(): Promise<void> {
    const { inspector, clock, top, signal } = this.deps;
    try {
      const uses = await inspector.heaviest(top, signal);
      const processes = namedUses(uses, new Map((await inspector.list(signal)).map((p) => [p.pid, p])));
      this.sample = { sampledAt: clock.now(), processes };
      if (this.error !== null) this.log.info({}, 'heaviest processes readable again');
      this.error = null;
      this.log.info({ heaviest: processes.slice(0, 5).map(({ pid, name, bytes, metric }) => ({ pid, name, bytes, metric })) }, 'heaviest processes');
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.error) this.log.warn({ err: message }, 'could not sample the heaviest processes');
      this.error = message;
    }
  }
}
