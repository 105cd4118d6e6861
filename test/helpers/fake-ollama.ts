/**
 * A fake Ollama HTTP server for tests, answering with the shapes of test/fixtures/ollama and the
 * wire rules in its SOURCES.md: compact JSON without a trailing newline, `{"error": …}` bodies,
 * `404 page not found` for unknown routes, `keep_alive` as a number or a Go duration string.
 * Latency, errors, garbage and hangs can be set per route.
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
  /** Delay before every answer. */
  latencyMs = 0;
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

  /** Stops the server and drops hung requests. */
  async stop(): Promise<void> {
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

  /** Models unloaded so far (generate or chat with keep_alive 0), in order. */
  get unloads(): string[] {
    return this.requests
      .filter((r) => (r.path === '/api/generate' || r.path === '/api/chat') && isZeroKeepAlive((r.body as { keep_alive?: unknown }).keep_alive))
      .map((r) => (r.body as { model: string }).model);
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
    if (this.latencyMs > 0) await sleep(this.latencyMs);
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
    if (method === 'GET' && path === '/api/ps') return json(200, { models: this.loaded });
    if (method === 'GET' && path === '/api/tags') return json(200, loadJson('tags.json'));
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
      if (isZeroKeepAlive(request.keep_alive)) {
        const drop = (): void => {
          this.loaded = this.loaded.filter((m) => m.name !== model);
        };
        if (this.unloadDelayMs > 0) setTimeout(drop, this.unloadDelayMs).unref();
        else drop();
        return path === '/api/generate'
          ? json(200, { model, created_at, response: '', done: true, done_reason: 'unload' })
          : json(200, { model, created_at, message: { role: 'assistant', content: '' }, done_reason: 'unload', done: true });
      }
      const prompt = path === '/api/generate' ? (request.prompt ?? '') : JSON.stringify(request.messages ?? []);
      const answer = this.answers.get(prompt) ?? { response: '' };
      if (answer.delayMs) await sleep(answer.delayMs);
      return json(200, {
        model,
        created_at,
        response: answer.response,
        ...(answer.thinking ? { thinking: answer.thinking } : {}),
        done: true,
        done_reason: prompt === '' ? 'load' : 'stop',
        ...(answer.evalCount ? { eval_count: answer.evalCount, eval_duration: answer.evalDurationNs ?? 1e9 } : {}),
      });
    }
    send(response, 404, '404 page not found', 'text/plain');
  }
}

function isZeroKeepAlive(value: unknown): boolean {
  return value === 0 || value === '0' || value === '0s' || value === '0m';
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
