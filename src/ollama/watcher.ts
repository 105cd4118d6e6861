/**
 * Reads /api/ps for the guard: every `pollIntervalMs` while things are calm, every tick when
 * asked (pressure, an unload in flight). With `still` set, a calm read is made only when memory
 * moved since the last one, or when that one is `still.pollIntervalMs` old: a model that loads or
 * leaves moves wired and available memory by its size, and an idle Ollama need not be asked every
 * 2 s (docs/memory.md). Each model's kind comes from /api/show once per digest.
 * A failing server is a reading with status `unreachable` or `error`, never an exception.
 *
 * While Ollama loads a model it holds that runner's lock, and /api/ps waits for it (since
 * 0.32.4: `loadedModels()` locks every runner). When /api/ps times out but /api/version
 * answers, the reading is `busy`: the last models /api/ps listed, plus the runner processes
 * that are not among them, matched to models by the weights blob their command line names.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { GuardModel, OllamaReading } from '../guard/types.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { OllamaError, type ModelKind, type OllamaApi } from '../ports/ollama.js';
import type { ProcessTable } from '../ports/processes.js';
import { ollamaRunners } from './runners.js';

/** How long a failed /api/show is trusted before it is asked again. */
const KIND_RETRY_MS = 60_000;
/** The least time between two reads of the process table while Ollama is busy. */
const RUNNER_SCAN_MS = 1000;
/** The least time between two rebuilds of the blob → model index for an unknown runner. */
const INDEX_RETRY_MS = 10_000;

interface KnownKind {
  digest: string;
  kind: ModelKind;
  checkedAt: number;
}

interface IndexedModel {
  name: string;
  sizeBytes: number;
  kind: ModelKind;
}

/** What the watcher needs. */
export interface OllamaWatcherOptions {
  api: OllamaApi;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  /** Calm reads while memory stays still; absent: every `pollIntervalMs`. */
  still?: StillPacing;
  /** For the runner processes while Ollama is busy; null reads nothing (one-shot status). */
  processes: ProcessTable | null;
}

/** How the watcher paces calm reads while memory stays still (config `ollama.stillPollIntervalMs`, `ollama.stillWithinMiB`). */
export interface StillPacing {
  /** The longest time between two calm reads while memory stays still. */
  pollIntervalMs: number;
  /** Memory is still while each figure of `memoryMoved` stays within this of its value at the last read; 0: never still. */
  withinBytes: number;
}

/** The figures a model's load or unload moves (on macOS, wired and available by its size; on Linux, free as its file is read). */
const MOVING_FIGURES = ['availableBytes', 'freeBytes', 'wiredBytes', 'compressedBytes', 'swapUsedBytes'] as const;

/** True unless both samples have every figure and the same pressure, and no figure moved by `withinBytes` or more. */
export function memoryMoved(before: MemorySnapshot, now: MemorySnapshot, withinBytes: number): boolean {
  if (withinBytes <= 0 || before.pressure !== now.pressure) return true;
  for (const figure of MOVING_FIGURES) {
    const a = before[figure];
    const b = now[figure];
    if (a === null || b === null || Math.abs(a - b) >= withinBytes) return true;
  }
  return false;
}

/** The guard's view of Ollama. */
export class OllamaWatcher {
  private reading: OllamaReading = { status: 'unreachable', models: [], error: 'not read yet', readAt: null };
  /** The memory sample of the tick that made the last read, if it was given one. */
  private memoryAtRead: MemorySnapshot | null = null;
  private lastListed: GuardModel[] = [];
  private refreshing: Promise<OllamaReading> | null = null;
  private readonly kinds = new Map<string, KnownKind>();
  private blobIndex = new Map<string, IndexedModel>();
  private indexBuiltAt: number | null = null;
  private runnersReadAt: number | null = null;
  private runners: GuardModel[] = [];
  private readonly log: Logger;

  constructor(private readonly options: OllamaWatcherOptions) {
    this.log = options.logger.child({ component: 'ollama' });
  }

  /** The last reading. */
  get current(): OllamaReading {
    return this.reading;
  }

  /**
   * True when `read(force, memory)` would ask Ollama (or join a read under way) rather than answer
   * from the last reading. `memory` is the tick's sample, for the still pacing.
   */
  wouldRead(force: boolean, memory?: MemorySnapshot): boolean {
    if (this.refreshing || force || this.reading.readAt === null) return true;
    const ageMs = this.options.clock.now() - this.reading.readAt;
    if (ageMs < this.options.pollIntervalMs) return false;
    const still = this.options.still;
    // Only an answered read is kept while memory is still: a server that is down or starting is asked at the usual pace.
    if (!still || this.reading.status !== 'ok' || ageMs >= still.pollIntervalMs) return true;
    return memory === undefined || this.memoryAtRead === null || memoryMoved(this.memoryAtRead, memory, still.withinBytes);
  }

  /**
   * Reads /api/ps unless `force` is false and the last read is younger than the poll interval (or,
   * with still pacing, memory has not moved since). A read already under way is shared, never doubled.
   */
  read(force: boolean, memory?: MemorySnapshot): Promise<OllamaReading> {
    if (this.refreshing) return this.refreshing;
    if (!this.wouldRead(force, memory)) return Promise.resolve(this.reading);
    this.memoryAtRead = memory ?? null;
    this.refreshing = this.readNow().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async readNow(): Promise<OllamaReading> {
    const { api, clock } = this.options;
    let next: OllamaReading;
    try {
      const loaded = await api.listLoaded();
      const models: GuardModel[] = [];
      for (const model of loaded) {
        models.push({ name: model.name, sizeBytes: model.sizeBytes, kind: await this.kindOf(model.name, model.digest), expiresAt: model.expiresAt });
      }
      this.lastListed = models;
      next = { status: 'ok', models, readAt: clock.now() };
    } catch (error) {
      next = await this.failedRead(error);
    }
    this.report(next);
    this.reading = next;
    return next;
  }

  private async failedRead(error: unknown): Promise<OllamaReading> {
    const { api, clock } = this.options;
    const kind = error instanceof OllamaError ? error.kind : 'error';
    const message = (error as Error).message;
    if (kind === 'timeout' && (await api.version().then(() => true, () => false))) {
      const loading = await this.loadingRunners();
      return {
        status: 'busy',
        models: [...this.lastListed, ...loading],
        error: `${message}, but the server answers: a model is probably loading (last list kept${loading.length ? `; loading: ${loading.map((m) => `${m.name} pid ${m.loadingPid ?? '?'}`).join(', ')}` : ''})`,
        readAt: clock.now(),
      };
    }
    return { status: kind === 'unreachable' || kind === 'timeout' ? 'unreachable' : 'error', models: [], error: message, readAt: clock.now() };
  }

  /** Runner processes that /api/ps did not list before it went quiet: the models being loaded. */
  private async loadingRunners(): Promise<GuardModel[]> {
    const processes = this.options.processes;
    if (!processes) return [];
    const now = this.options.clock.now();
    if (this.runnersReadAt !== null && now - this.runnersReadAt < RUNNER_SCAN_MS) return this.runners;
    this.runnersReadAt = now;
    let table;
    try {
      table = await processes.list();
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot read the process table to find loading runners');
      return this.runners;
    }
    const runners = ollamaRunners(table);
    if (runners.some((r) => r.blobDigest !== null && !this.blobIndex.has(r.blobDigest))) await this.rebuildIndex();
    const listed = new Set(this.lastListed.map((m) => m.name));
    this.runners = runners
      .map((runner): GuardModel => {
        const model = runner.blobDigest ? this.blobIndex.get(runner.blobDigest) : undefined;
        return {
          name: model?.name ?? `runner pid ${runner.pid}`,
          sizeBytes: model?.sizeBytes ?? 0,
          kind: model?.kind ?? 'unknown',
          expiresAt: null,
          loadingPid: runner.pid,
        };
      })
      .filter((model) => !listed.has(model.name));
    return this.runners;
  }

  /** Maps weights blobs to installed models: /api/tags, then /api/show for each (their FROM lines). */
  private async rebuildIndex(): Promise<void> {
    const now = this.options.clock.now();
    if (this.indexBuiltAt !== null && now - this.indexBuiltAt < INDEX_RETRY_MS) return;
    this.indexBuiltAt = now;
    const index = new Map<string, IndexedModel>();
    try {
      for (const model of await this.options.api.installed()) {
        const details = await this.options.api.show(model.name).catch(() => null);
        for (const digest of details?.blobDigests ?? []) index.set(digest, { name: model.name, sizeBytes: model.sizeBytes, kind: details?.kind ?? 'unknown' });
      }
      this.blobIndex = index;
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot list installed models to name a loading runner');
    }
  }

  private async kindOf(name: string, digest: string): Promise<ModelKind> {
    const known = this.kinds.get(name);
    const now = this.options.clock.now();
    if (known && known.digest === digest && (known.kind !== 'unknown' || now - known.checkedAt < KIND_RETRY_MS)) return known.kind;
    let kind: ModelKind;
    try {
      kind = (await this.options.api.show(name)).kind;
    } catch (error) {
      this.log.warn({ model: name, err: (error as Error).message }, 'cannot read model details; treating it as a text model for the size limit');
      kind = 'unknown';
    }
    this.kinds.set(name, { digest, kind, checkedAt: now });
    return kind;
  }

  private report(next: OllamaReading): void {
    const previous = this.reading;
    if (next.status === previous.status && (next.status === 'busy' || next.error === previous.error)) return;
    if (next.status === 'ok') this.log.info({ models: next.models.map((m) => m.name), previous: previous.status }, 'ollama reachable');
    else this.log.warn({ status: next.status, error: next.error, models: next.models.map((m) => m.name) }, `ollama ${next.status}`);
  }
}
