/**
 * A fake Ollama HTTP server for tests, answering with the shapes of test/fixtures/ollama and the
 * wire rules in its SOURCES.md: compact JSON without a trailing newline, `{"error": …}` bodies,
 * `404 page not found` for unknown routes, `keep_alive` as a number or a Go duration string.
 * Latency, errors, garbage and hangs can be set per route, and a load in progress can be played
 * (/api/ps then waits, as Ollama's does while a runner loads).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixturePath } from './fixtures.js';

/** A model the fake has loaded, as /api/ps lists it. */
export interface FakeLoadedModel {
  name: string;
  size: number;
  size_vram?: number;
  digest?: string;
  details?: Record<string, unknown>;
  expires_at?: string;
  context_length?: number;
}

/** What a route should do instead of answering normally. */
export type RouteFault =
  | { kind: 'error'; status: number; body: string }
  | { kind: 'garbage'; body: string }
  | { kind: 'hang' };

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
}

/** A canned /api/generate answer for a prompt. */
export interface GenerateAnswer {
  response: string;
  thinking?: string;
  delayMs?: number;
  evalCount?: number;
  evalDurationNs?: number;
}

function loadJson(name: string): unknown {
  return JSON.parse(readFileSync(fixturePath('ollama', name), 'utf8')) as unknown;
}

/** The models of a /api/ps fixture, e.g. 'ps-two-models.json'. */
export function psFixtureModels(name: string): FakeLoadedModel[] {
  return (loadJson(name) as { models: FakeLoadedModel[] }).models;
}

/** A running fake server. */
export class FakeOllama {
  readonly requests: RecordedRequest[] = [];
  loaded: FakeLoadedModel[] = [];
  /** /api/show answers by model name (fixture file names or objects). */
  readonly shows = new Map<string, unknown>();
  readonly faults = new Map<string, RouteFault>();
  readonly answers = new Map<string, GenerateAnswer>();
  /** Delay before every answer, and per route (added to it). */
  latencyMs = 0;
  readonly routeLatencyMs = new Map<string, number>();
  /**
   * While true, /api/ps waits (a model is loading: Ollama holds the runner's lock) and never
   * answers until it turns false; /api/version still answers.
   */
  loading = false;
  private loadWaiters: Array<() => void> = [];
  /** /api/tags models; null answers with tags.json. */
  installed: Array<{ name: string; size: number; digest: string; capabilities?: string[] }> | null = null;
  /** Called when a model is unloaded (a test can load it again, as a client would). */
  onUnload: ((model: string) => void) | null = null;
  /** How long an unloaded model stays in /api/ps (Ollama frees it asynchronously). */
  unloadDelayMs = 0;
  version = (loadJson('version.json') as { version: string }).version;
  private server: http.Server | null = null;
  private hung: http.ServerResponse[] = [];

  /** Starts listening on 127.0.0.1 and a free port. */
  async start(): Promise<string> {
    this.server = http.createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('fake Ollama is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Ends the simulated load: /api/ps answers again. */
  finishLoading(): void {
    this.loading = false;
    for (const wake of this.loadWaiters.splice(0)) wake();
  }

  /** Stops the server and drops hung requests. */
  async stop(): Promise<void> {
    this.finishLoading();
    for (const response of this.hung.splice(0)) response.destroy();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
    this.server = null;
  }

  /** Sets /api/show for a model from a fixture file. */
  showFrom(model: string, fixture: string): void {
    this.shows.set(model, loadJson(fixture));
  }

  /** Requests to a path, in order. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The unload requests so far (generate or chat with keep_alive 0), in order. */
  get unloadRequests(): RecordedRequest[] {
    return this.requests.filter((r) => (r.path === '/api/generate' || r.path === '/api/chat') && isZeroKeepAlive((r.body as { keep_alive?: unknown }).keep_alive));
  }

  /** Models unloaded so far, in order. */
  get unloads(): string[] {
    return this.unloadRequests.map((r) => (r.body as { model: string }).model);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      body = raw;
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    this.requests.push({ method: request.method ?? 'GET', path, body, at: Date.now() });
    const latency = this.latencyMs + (this.routeLatencyMs.get(path) ?? 0);
    if (latency > 0) await sleep(latency);
    const fault = this.faults.get(path);
    if (fault?.kind === 'hang') {
      this.hung.push(response);
      return;
    }
    if (fault?.kind === 'error') return send(response, fault.status, fault.body, 'application/json; charset=utf-8');
    if (fault?.kind === 'garbage') return send(response, 200, fault.body, 'application/json; charset=utf-8');
    await this.route(request.method ?? 'GET', path, body, response);
  }

  private async route(method: string, path: string, body: unknown, response: http.ServerResponse): Promise<void> {
    const json = (status: number, value: unknown): void => send(response, status, goJson(value), 'application/json; charset=utf-8');
    const request = (body ?? {}) as { model?: string; name?: string; prompt?: string; messages?: unknown[]; keep_alive?: unknown; think?: unknown };
    if (method === 'GET' && path === '/') return send(response, 200, 'Ollama is running', 'text/plain; charset=utf-8');
    if (method === 'GET' && path === '/api/version') return json(200, { version: this.version });
    if (method === 'GET' && path === '/api/ps') {
      if (this.loading) await new Promise<void>((resolve) => this.loadWaiters.push(resolve));
      // Longest time to expiry first, as PsHandler sorts.
      const sorted = [...this.loaded].sort((a, b) => Date.parse(b.expires_at ?? '0') - Date.parse(a.expires_at ?? '0'));
      return json(200, { models: sorted });
    }
    if (method === 'GET' && path === '/api/tags') {
      return json(200, this.installed ? { models: this.installed.map((m) => ({ ...m, model: m.name, modified_at: '2026-11-01T10:00:00Z' })) } : loadJson('tags.json'));
    }
    if (method === 'POST' && path === '/api/show') {
      const model = request.model ?? request.name ?? '';
      const show = this.shows.get(model);
      return show ? json(200, show) : json(404, { error: `model '${model}' not found` });
    }
    if (method === 'POST' && (path === '/api/generate' || path === '/api/chat')) {
      const model = request.model ?? '';
      const known = this.shows.has(model) || this.loaded.some((m) => m.name === model);
      if (!known) return json(404, { error: `model '${model}' not found` });
      const created_at = new Date().toISOString();
      if (typeof request.keep_alive === 'string' && !/^-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/.test(request.keep_alive)) {
        return json(400, { error: `time: missing unit in duration "${request.keep_alive}"` });
      }
      if (isZeroKeepAlive(request.keep_alive)) {
        const drop = (): void => {
          this.loaded = this.loaded.filter((m) => m.name !== model);
          this.onUnload?.(model);
        };
        if (this.unloadDelayMs > 0) {
          // Marked for expiry at once, freed later: /api/ps shows it expiring now meanwhile.
          const now = new Date().toISOString();
          this.loaded = this.loaded.map((m) => (m.name === model ? { ...m, expires_at: now } : m));
          setTimeout(drop, this.unloadDelayMs).unref();
        } else drop();
        return path === '/api/generate'
          ? json(200, { model, created_at, response: '', done: true, done_reason: 'unload' })
          : json(200, { model, created_at, message: { role: 'assistant', content: '' }, done_reason: 'unload', done: true });
      }
      const messages = (request.messages ?? []) as Array<{ content?: string }>;
      const prompt = path === '/api/generate' ? (request.prompt ?? '') : (messages.at(-1)?.content ?? '');
      const answer = this.answers.get(prompt) ?? { response: '' };
      if (answer.delayMs) await sleep(answer.delayMs);
      const stats = answer.evalCount ? { eval_count: answer.evalCount, eval_duration: answer.evalDurationNs ?? 1e9 } : {};
      const done_reason = prompt === '' ? 'load' : 'stop';
      if (path === '/api/chat') {
        const message = { role: 'assistant', content: answer.response, ...(answer.thinking ? { thinking: answer.thinking } : {}) };
        return json(200, { model, created_at, message, done_reason, done: true, ...stats });
      }
      return json(200, { model, created_at, response: answer.response, ...(answer.thinking ? { thinking: answer.thinking } : {}), done: true, done_reason, ...stats });
    }
    send(response, 404, '404 page not found', 'text/plain');
  }
}

function isZeroKeepAlive(value: unknown): boolean {
  return value === 0 || (typeof value === 'string' && /^0(\.0+)?(ns|us|µs|ms|s|m|h)$/.test(value));
}

/** Go's encoding/json: compact, with <, > and & escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function send(response: http.ServerResponse, status: number, body: string, type: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
