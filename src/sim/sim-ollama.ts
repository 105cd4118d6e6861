/**
 * A simulated Ollama for the simulator: models load over their load time, stay until unloaded,
 * evicted or expired, and free their memory `unloadS` after an unload request, as Ollama frees a
 * runner asynchronously. As in Ollama since 0.32.4, a model that is loading holds its runner's
 * lock: /api/ps waits for it (the client gives up after its timeout), and an API unload of that
 * model only takes effect when the load ends. Each present model has a runner process, which
 * headroom can signal to stop a load. Time comes from the clock it is given. docs/scenarios.md
 * has the model.
 */
import { createHash } from 'node:crypto';
import { GiB } from '../core/units.js';
import type { Clock } from '../ports/clock.js';
import { OllamaError, type InstalledModel, type LoadedModel, type ModelDetails, type OllamaApi } from '../ports/ollama.js';
import type { ProcessDetails, ProcessInfo, ProcessInspector, ProcessTable, Signaller } from '../ports/processes.js';

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
  /** The runner's pid. */
  pid: number;
}

/** The uid the simulated user (and headroom) runs as. */
export const SIM_UID = 501;
/** The simulated Ollama server's pid: every runner is its child. */
const SIM_SERVER_PID = 39_999;
/** A blob digest for a model name, stable from run to run. */
function blobDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** Something Ollama did on its own (or a runner stopped by a signal), for the timeline. */
export interface OllamaEvent {
  at: number;
  event: 'evicted' | 'expired' | 'runner-stopped';
  model: string;
}

/** The simulated server. */
export class SimOllama implements OllamaApi {
  private readonly models = new Map<string, SimModel>();
  private readonly known = new Map<string, 'text' | 'vision'>();
  readonly events: OllamaEvent[] = [];
  /** Every unload request headroom sent, in order. */
  readonly unloadRequests: Array<{ at: number; model: string }> = [];

  private nextPid = 40_000;
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: { maxLoadedModels: number; unloadMs: number; apiTimeoutMs: number },
    /** The models on disk (every model the scenario asks for): /api/tags lists them from the start. */
    pulled: readonly ModelRequest[] = [],
  ) {
    for (const model of pulled) {
      this.known.set(model.model, model.kind);
      this.sizes.set(model.model, model.sizeGiB * GiB);
    }
  }

  /** A client asks for a model: it loads (evicting the idle model that expires first when full) or renews. */
  request(request: ModelRequest): void {
    const now = this.clock.now();
    this.known.set(request.model, request.kind);
    this.sizes.set(request.model, request.sizeGiB * GiB);
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
    // A copy still being freed keeps its memory until then; the new one loads beside it.
    if (present) this.models.set(`${request.model}#freeing-${now}`, { ...present, name: `${request.model}#freeing-${now}` });
    this.models.set(request.model, {
      name: request.model,
      sizeBytes: request.sizeGiB * GiB,
      kind: request.kind,
      loadStartedAt: now,
      loadMs,
      keepAliveMs: request.keepAliveS * 1000,
      lastUsedAt: now + loadMs, // the keep-alive timer starts when the request ends
      unloadAt: null,
      pid: this.nextPid++,
    });
  }

  /** True while the model is loading (its runner's lock is held, even with an unload pending). */
  private isLoading(model: SimModel, now: number): boolean {
    return now < model.loadStartedAt + model.loadMs;
  }

  /** The server and its runner processes, as `ps` would list them. */
  processes(): ProcessInfo[] {
    const now = this.clock.now();
    this.expire(now);
    const server = { pid: SIM_SERVER_PID, ppid: 1, command: '/Applications/Ollama.app/Contents/Resources/ollama serve' };
    return [server, ...this.present(now).map((model) => ({
      pid: model.pid,
      ppid: SIM_SERVER_PID,
      command: `/Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/sim/.ollama/models/blobs/sha256-${blobDigest(model.name.split('#')[0] ?? model.name)} --port ${model.pid}`,
    }))];
  }

  /** A signal to a runner: the runner dies, its load fails, its memory is free at once. */
  /** One process in detail: a runner's start is when its load started. */
  private details(pid: number): ProcessDetails | null {
    const process = this.processes().find((p) => p.pid === pid);
    if (!process) return null;
    const model = [...this.models.values()].find((m) => m.pid === pid);
    return { ...process, uid: SIM_UID, startKey: String(model?.loadStartedAt ?? 0), rssBytes: null, cpuMs: null };
  }

  signalRunner(pid: number): boolean {
    const now = this.clock.now();
    for (const [key, model] of this.models) {
      if (model.pid !== pid) continue;
      this.models.delete(key);
      this.events.push({ at: now, event: 'runner-stopped', model: model.name });
      return true;
    }
    return false;
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

  async listLoaded(): Promise<LoadedModel[]> {
    const now = this.clock.now();
    this.expire(now);
    if (this.present(now).some((model) => this.isLoading(model, now))) {
      // /api/ps waits for the loading runner's lock; headroom's client gives up first.
      await this.clock.sleep(this.options.apiTimeoutMs);
      throw new OllamaError('timeout', `GET /api/ps: no answer within ${this.options.apiTimeoutMs} ms`);
    }
    return Promise.resolve(
      this.present(now).map((model) => ({
        name: model.name.split('#')[0] ?? model.name,
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
    return Promise.resolve({
      capabilities: kind === 'vision' ? ['completion', 'vision'] : ['completion'],
      kind,
      family: null,
      parameterSize: null,
      blobDigests: [blobDigest(model)],
    });
  }

  installed(): Promise<InstalledModel[]> {
    return Promise.resolve([...this.sizes].map(([name, sizeBytes]) => ({ name, sizeBytes, digest: name, capabilities: null })));
  }

  async unload(model: string): Promise<void> {
    const now = this.clock.now();
    if (!this.known.has(model)) throw new OllamaError('http', `POST /api/generate: HTTP 404: model '${model}' not found`, 404);
    this.unloadRequests.push({ at: now, model });
    const present = this.models.get(model);
    if (!present || present.unloadAt !== null) return;
    const loadEnd = present.loadStartedAt + present.loadMs;
    if (now < loadEnd) {
      // Ollama takes the unload only once the load ends (it waits for the runner's lock).
      present.unloadAt = loadEnd;
      const waitMs = loadEnd - now;
      await this.clock.sleep(Math.min(waitMs, this.options.apiTimeoutMs));
      if (waitMs > this.options.apiTimeoutMs) throw new OllamaError('timeout', `POST /api/generate: no answer within ${this.options.apiTimeoutMs} ms`);
      return;
    }
    present.unloadAt = now;
  }

  private expiresAt(model: SimModel): number {
    return model.lastUsedAt + model.keepAliveMs;
  }

  /** Present: not yet freed. An unloaded model is freed `unloadMs` after the request. */
  private present(now: number): SimModel[] {
    return [...this.models.values()].filter((m) => m.unloadAt === null || now < m.unloadAt + this.options.unloadMs);
  }

  /** The ProcessTable, one-pid reads and Signaller of the simulated machine: Ollama's runners, all of the user. */
  processTable(): ProcessTable & Pick<ProcessInspector, 'get'> & Signaller {
    return {
      ownUid: SIM_UID,
      ownPid: 1,
      list: () => Promise.resolve(this.processes()),
      get: (pid) => Promise.resolve(this.details(pid)),
      ownerUid: (pid) => Promise.resolve(this.processes().some((p) => p.pid === pid) ? SIM_UID : null),
      send: (pid) => this.signalRunner(pid),
      alive: (pid) => this.processes().some((p) => p.pid === pid),
    };
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
