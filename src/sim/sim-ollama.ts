/**
 * A simulated Ollama for the simulator: models load over their load time, stay until unloaded,
 * evicted or expired, and free their memory `unloadS` after an unload request, as Ollama frees a
 * runner asynchronously. Time comes from the clock it is given. docs/scenarios.md has the model.
 */
import { GiB } from '../core/units.js';
import type { Clock } from '../ports/clock.js';
import { OllamaError, type LoadedModel, type ModelDetails, type OllamaApi } from '../ports/ollama.js';

/** Ollama's automatic OLLAMA_MAX_LOADED_MODELS on a Mac (3 × GPUs). */
const AUTO_MAX_LOADED = 3;

/** A model request in a scenario. */
export interface ModelRequest {
  model: string;
  sizeGiB: number;
  kind: 'text' | 'vision';
  loadS: number;
  keepAliveS: number;
}

interface SimModel {
  name: string;
  sizeBytes: number;
  kind: 'text' | 'vision';
  loadStartedAt: number;
  loadMs: number;
  keepAliveMs: number;
  lastUsedAt: number;
  /** When an unload (ours, an eviction or the keep-alive) was asked for. */
  unloadAt: number | null;
}

/** Something Ollama did on its own, for the timeline. */
export interface OllamaEvent {
  at: number;
  event: 'evicted' | 'expired';
  model: string;
}

/** The simulated server. */
export class SimOllama implements OllamaApi {
  private readonly models = new Map<string, SimModel>();
  private readonly known = new Map<string, 'text' | 'vision'>();
  readonly events: OllamaEvent[] = [];
  /** Every unload request headroom sent, in order. */
  readonly unloadRequests: Array<{ at: number; model: string }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: { maxLoadedModels: number; unloadMs: number },
  ) {}

  /** A client asks for a model: it loads (evicting the idle model that expires first when full) or renews. */
  request(request: ModelRequest): void {
    const now = this.clock.now();
    this.known.set(request.model, request.kind);
    this.expire(now);
    const present = this.models.get(request.model);
    if (present && present.unloadAt === null) {
      present.lastUsedAt = Math.max(now, present.loadStartedAt + present.loadMs);
      return;
    }
    const max = this.options.maxLoadedModels || AUTO_MAX_LOADED;
    const live = [...this.models.values()].filter((m) => m.unloadAt === null);
    if (live.length >= max) {
      const victim = live.sort((a, b) => this.expiresAt(a) - this.expiresAt(b))[0];
      if (victim) {
        victim.unloadAt = now;
        this.events.push({ at: now, event: 'evicted', model: victim.name });
      }
    }
    const loadMs = request.loadS * 1000;
    this.models.set(request.model, {
      name: request.model,
      sizeBytes: request.sizeGiB * GiB,
      kind: request.kind,
      loadStartedAt: now,
      loadMs,
      keepAliveMs: request.keepAliveS * 1000,
      lastUsedAt: now + loadMs, // the keep-alive timer starts when the request ends
      unloadAt: null,
    });
  }

  /** Bytes each present model holds now: ramping up while it loads, until it is freed. */
  residentBytes(): Map<string, number> {
    const now = this.clock.now();
    this.expire(now);
    const resident = new Map<string, number>();
    for (const model of this.present(now)) {
      const loaded = model.loadMs === 0 ? 1 : Math.min(1, (now - model.loadStartedAt) / model.loadMs);
      resident.set(model.name, Math.round(model.sizeBytes * Math.max(0, loaded)));
    }
    return resident;
  }

  version(): Promise<string> {
    return Promise.resolve('sim');
  }

  listLoaded(): Promise<LoadedModel[]> {
    const now = this.clock.now();
    this.expire(now);
    return Promise.resolve(
      this.present(now).map((model) => ({
        name: model.name,
        sizeBytes: model.sizeBytes,
        vramBytes: model.sizeBytes,
        expiresAt: this.expiresAt(model),
        contextLength: null,
        digest: model.name,
        family: null,
        families: [],
      })),
    );
  }

  show(model: string): Promise<ModelDetails> {
    const kind = this.known.get(model);
    if (!kind) return Promise.reject(new OllamaError('http', `POST /api/show: HTTP 404: model '${model}' not found`, 404));
    return Promise.resolve({ capabilities: kind === 'vision' ? ['completion', 'vision'] : ['completion'], kind, family: null, parameterSize: null });
  }

  unload(model: string): Promise<void> {
    const now = this.clock.now();
    if (!this.known.has(model)) return Promise.reject(new OllamaError('http', `POST /api/generate: HTTP 404: model '${model}' not found`, 404));
    this.unloadRequests.push({ at: now, model });
    const present = this.models.get(model);
    if (present && present.unloadAt === null) present.unloadAt = now;
    return Promise.resolve();
  }

  private expiresAt(model: SimModel): number {
    return model.lastUsedAt + model.keepAliveMs;
  }

  /** Present: not yet freed. An unloaded model is freed `unloadMs` after the request. */
  private present(now: number): SimModel[] {
    return [...this.models.values()].filter((m) => m.unloadAt === null || now < m.unloadAt + this.options.unloadMs);
  }

  private expire(now: number): void {
    for (const model of this.models.values()) {
      if (model.unloadAt === null && now >= this.expiresAt(model)) {
        model.unloadAt = this.expiresAt(model);
        this.events.push({ at: model.unloadAt, event: 'expired', model: model.name });
      }
      if (model.unloadAt !== null && now >= model.unloadAt + this.options.unloadMs) this.models.delete(model.name);
    }
  }
}
