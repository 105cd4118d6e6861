/**
 * headroom's Ollama client: plain HTTP (node:http on a keep-alive agent, http-exchange.ts), a
 * timeout on every call, and zod checks on every answer. Not the official `ollama` package: it
 * has no per-call timeout for non-streamed calls (only a custom fetch can add one), does not
 * check answers (a garbled body becomes undefined fields), prints "Getting text from response"
 * to the console on a non-JSON error body, and its types lack `context_length`
 * (../shared/docs/ollama.md §6).
 */
import type { z } from 'zod';
import {
  OllamaError,
  type GenerateRequest,
  type GenerateResult,
  type InstalledModel,
  type LoadedModel,
  type ModelDetails,
  type OllamaApi,
  type ProbeApi,
} from '../ports/ollama.js';
import { HttpExchanger, type HttpAnswer } from './http-exchange.js';
import { isVisionModel } from './model-kind.js';
import { modelfileBlobDigests } from './runners.js';
import { errorSchema, generateSchema, psSchema, showSchema, tagsSchema, versionSchema } from './schemas.js';

/** How to reach the server. */
export interface OllamaClientOptions {
  baseUrl: string;
  /** Per call; the daemon uses `ollama.timeoutMs`. */
  timeoutMs: number;
}

/** The HTTP client for one Ollama server. */
export class OllamaHttpClient implements OllamaApi, ProbeApi {
  private readonly http = new HttpExchanger();
  /**
   * The last /api/ps text and what it parsed to. The guard reads /api/ps every 2 s and the
   * answer rarely changes (expires_at moves only when a model is used): the same text is not
   * parsed and checked again.
   */
  private readonly psMemo: AnswerMemo = { text: null, value: undefined };

  constructor(private readonly options: OllamaClientOptions) {}

  /** The server's base URL, e.g. http://127.0.0.1:11434. */
  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async version(): Promise<string> {
    return (await this.call('GET', '/api/version', undefined, versionSchema)).version;
  }

  async listLoaded(): Promise<LoadedModel[]> {
    const body = await this.call('GET', '/api/ps', undefined, psSchema, {}, this.psMemo);
    return (body.models ?? []).map((model) => {
      const expiresAt = model.expires_at ? Date.parse(model.expires_at) : NaN;
      return {
        name: model.name,
        sizeBytes: model.size,
        vramBytes: model.size_vram ?? 0,
        expiresAt: Number.isFinite(expiresAt) ? expiresAt : null,
        contextLength: model.context_length ?? null,
        digest: model.digest ?? '',
        family: model.details?.family ?? null,
        families: [...(model.details?.families ?? [])],
      };
    });
  }

  async show(model: string): Promise<ModelDetails> {
    const body = await this.call('POST', '/api/show', { model }, showSchema);
    return {
      capabilities: body.capabilities ?? [],
      kind: isVisionModel(body) ? 'vision' : 'text',
      family: body.details?.family ?? null,
      parameterSize: body.details?.parameter_size ?? null,
      blobDigests: modelfileBlobDigests(body.modelfile ?? ''),
    };
  }

  async installed(): Promise<InstalledModel[]> {
    const body = await this.call('GET', '/api/tags', undefined, tagsSchema);
    return (body.models ?? []).map((model) => ({ name: model.name, sizeBytes: model.size, digest: model.digest ?? '', capabilities: model.capabilities ?? null }));
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const body = {
      model: request.model,
      prompt: request.prompt,
      stream: false,
      ...(request.think === undefined ? {} : { think: request.think }),
      ...(request.keepAlive === undefined ? {} : { keep_alive: request.keepAlive }),
      ...(request.numCtx === undefined ? {} : { options: { num_ctx: request.numCtx } }),
    };
    const answer = await this.call('POST', '/api/generate', body, generateSchema, { timeoutMs: request.timeoutMs, signal: request.signal });
    return {
      response: answer.response ?? '',
      thinking: answer.thinking ?? null,
      doneReason: answer.done_reason ?? null,
      evalCount: answer.eval_count ?? null,
      evalDurationNs: answer.eval_duration ?? null,
      loadDurationNs: answer.load_duration ?? null,
      totalDurationNs: answer.total_duration ?? null,
    };
  }

  async unload(model: string): Promise<void> {
    const body = await this.call('POST', '/api/generate', { model, prompt: '', keep_alive: 0, stream: false }, generateSchema);
    if (body.done_reason !== 'unload') {
      throw new OllamaError('bad-response', `POST /api/generate (unload ${model}): done_reason is ${JSON.stringify(body.done_reason)}, not "unload"`);
    }
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: S,
    per: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined } = {},
    memo: AnswerMemo | null = null,
  ): Promise<z.output<S>> {
    const what = `${method} ${path}`;
    const timeoutMs = per.timeoutMs ?? this.options.timeoutMs;
    let answer: HttpAnswer;
    try {
      answer = await this.http.send({
        method,
        url: `${this.options.baseUrl}${path}`,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs,
        signal: per.signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new OllamaError('canceled', `${what}: canceled`, undefined, { cause: error });
      throw toTransportError(what, error, this.options.baseUrl, timeoutMs);
    }
    const { status, text } = answer;
    if (status < 200 || status > 299) {
      const parsed = safeJson(text);
      const detail = errorSchema.safeParse(parsed);
      const message = detail.success ? detail.data.error : text.slice(0, 200);
      throw new OllamaError('http', `${what}: HTTP ${status}: ${message}`, status);
    }
    if (memo !== null && memo.text === text) return memo.value as z.output<S>;
    const parsed = safeJson(text);
    if (parsed === undefined) {
      throw new OllamaError('bad-response', `${what}: the answer is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'body';
      throw new OllamaError('bad-response', `${what}: unexpected answer at ${where}: ${issue?.message ?? 'invalid'}`);
    }
    if (memo !== null) {
      memo.text = text;
      memo.value = result.data;
    }
    return result.data;
  }
}

/** One endpoint's last good answer: its text and the checked value (never handed out to be changed). */
interface AnswerMemo {
  text: string | null;
  value: unknown;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toTransportError(what: string, error: unknown, baseUrl: string, timeoutMs: number): OllamaError {
  if ((error as Error | undefined)?.name === 'TimeoutError') {
    return new OllamaError('timeout', `${what}: no answer from ${baseUrl} within ${timeoutMs} ms`, undefined, { cause: error });
  }
  const failure = error as { code?: string; cause?: { code?: string }; message?: string } | undefined;
  const code = failure?.code ?? failure?.cause?.code ?? failure?.message ?? String(error);
  return new OllamaError('unreachable', `${what}: cannot reach ${baseUrl} (${code})`, undefined, { cause: error });
}
