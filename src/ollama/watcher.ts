/**
 * Reads /api/ps for the guard: every `pollIntervalMs` while things are calm, every tick when
 * asked (pressure, an unload in flight). Each model's kind comes from /api/show once per digest.
 * A failing server is a reading with status `unreachable` or `error`, never an exception.
 *
 * While Ollama loads a model it holds that runner's lock, and /api/ps waits for it (since
 * 0.32.4: `loadedModels()` locks every runner). When /api/ps times out but /api/version
 * answers, the reading is `busy`: the last models /api/ps listed, plus the runner processes
 * that are not among them, matched to models by the weights blob their command line names.
 */
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
  /** For the runner processes while Ollama is busy; null reads nothing (one-shot status). */
  processes: ProcessTable | null;
}

/** The guard's view of Ollama. */
export class OllamaWatcher {
  private reading: OllamaReading = { status: 'unreachable', models: [], error: 'not read yet', readAt: null };
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

  /** True when `read(force)` would ask Ollama (or join a read under way) rather than answer from the last reading. */
  wouldRead(force: boolean): boolean {
    if (this.refreshing) return true;
    return force || this.reading.readAt === null || this.options.clock.now() - this.reading.readAt >= this.options.pollIntervalMs;
  }

  /**
   * Reads /api/ps unless the last read is younger than the poll interval and `force` is false.
   * A read already under way is shared, never doubled.
   */
  read(force: boolean): Promise<OllamaReading> {
    if (this.refreshing) return this.refreshing;
    if (!this.wouldRead(force)) return Promise.resolve(this.reading);
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
