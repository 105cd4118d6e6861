/**
 * Reads /api/ps for the guard: every `pollIntervalMs` while things are calm, on every tick when
 * asked (pressure, an unload in flight). Each model's kind comes from /api/show once per digest.
 * A failing server is a reading with status `unreachable` or `error`, never an exception.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { OllamaError, type ModelKind, type OllamaApi } from '../ports/ollama.js';
import type { GuardModel, OllamaReading } from '../guard/types.js';

/** How long a failed /api/show is trusted before it is asked again. */
const KIND_RETRY_MS = 60_000;

interface KnownKind {
  digest: string;
  kind: ModelKind;
  checkedAt: number;
}

/** The guard's view of Ollama. */
export class OllamaWatcher {
  private reading: OllamaReading = { status: 'unreachable', models: [], error: 'not read yet', readAt: null };
  private readonly kinds = new Map<string, KnownKind>();
  private readonly log: Logger;

  constructor(
    private readonly api: OllamaApi,
    private readonly clock: Clock,
    logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.log = logger.child({ component: 'ollama' });
  }

  /** The last reading. */
  get current(): OllamaReading {
    return this.reading;
  }

  /** Reads /api/ps unless the last read is younger than the poll interval and `force` is false. */
  async read(force: boolean): Promise<OllamaReading> {
    const now = this.clock.now();
    if (!force && this.reading.readAt !== null && now - this.reading.readAt < this.pollIntervalMs) return this.reading;
    let next: OllamaReading;
    try {
      const loaded = await this.api.listLoaded();
      const models: GuardModel[] = [];
      for (const model of loaded) {
        models.push({ name: model.name, sizeBytes: model.sizeBytes, kind: await this.kindOf(model.name, model.digest), expiresAt: model.expiresAt });
      }
      next = { status: 'ok', models, readAt: this.clock.now() };
    } catch (error) {
      const kind = error instanceof OllamaError ? error.kind : 'error';
      next = {
        status: kind === 'unreachable' || kind === 'timeout' ? 'unreachable' : 'error',
        models: [],
        error: (error as Error).message,
        readAt: this.clock.now(),
      };
    }
    this.report(next);
    this.reading = next;
    return next;
  }

  private async kindOf(name: string, digest: string): Promise<ModelKind> {
    const known = this.kinds.get(name);
    const now = this.clock.now();
    if (known && known.digest === digest && (known.kind !== 'unknown' || now - known.checkedAt < KIND_RETRY_MS)) return known.kind;
    let kind: ModelKind;
    try {
      kind = (await this.api.show(name)).kind;
    } catch (error) {
      this.log.warn({ model: name, err: (error as Error).message }, 'cannot read model details; treating it as a text model for the size limit');
      kind = 'unknown';
    }
    this.kinds.set(name, { digest, kind, checkedAt: now });
    return kind;
  }

  private report(next: OllamaReading): void {
    const previous = this.reading;
    if (next.status === previous.status && next.error === previous.error) return;
    if (next.status === 'ok') this.log.info({ models: next.models.map((m) => m.name), previous: previous.status }, 'ollama reachable');
    else this.log.warn({ status: next.status, error: next.error }, `ollama ${next.status}`);
  }
}
