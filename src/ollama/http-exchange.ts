/**
 * One HTTP exchange with the Ollama server over node:http, on a keep-alive agent of the client's
 * own. Not fetch: undici's fetch costs about twice the CPU per call (scripts/bench-http.ts), and
 * the guard reads /api/ps every 2 s for as long as the daemon runs.
 *
 * A request sent on a kept-alive socket that the server closed meanwhile fails with ECONNRESET
 * before any answer; it is sent once more on a fresh socket (Node's documented pattern,
 * `request.reusedSocket`). Idle sockets are closed after 4 s (undici's default too) and never
 * hold the process open.
 */
import http from 'node:http';
import https from 'node:https';

/** What one exchange needs. */
export interface HttpExchange {
  method: 'GET' | 'POST';
  url: string;
  /** JSON text, sent with content-type application/json. */
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** The status and the whole body, as text. */
export interface HttpAnswer {
  status: number;
  text: string;
}

/** The exchange outlived `timeoutMs`. */
export class HttpTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** The caller's signal ended the exchange. */
export class HttpAbortError extends Error {
  override readonly name = 'AbortError';
}

/** Free sockets live this long; undici's keepAliveTimeout default too. */
const IDLE_SOCKET_MS = 4000;

/** Sends HTTP requests for one client; `close` drops its idle sockets. */
export class HttpExchanger {
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };

  /** `idleSocketMs` closes idle sockets; it never cuts a request that waits longer for its answer. */
  constructor({ idleSocketMs = IDLE_SOCKET_MS }: { idleSocketMs?: number } = {}) {
    this.agents = {
      'http:': new http.Agent({ keepAlive: true, timeout: idleSocketMs, maxFreeSockets: 2 }),
      'https:': new https.Agent({ keepAlive: true, timeout: idleSocketMs, maxFreeSockets: 2 }),
    };
  }

  /** Resolves with any HTTP status; rejects on a transport failure, the timeout or the signal. */
  async send(exchange: HttpExchange): Promise<HttpAnswer> {
    try {
      return await this.once(exchange);
    } catch (error) {
      if (!(error instanceof ReusedSocketError)) throw error;
      return this.once(exchange);
    }
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private once({ method, url, body, timeoutMs, signal }: HttpExchange): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new HttpAbortError('aborted'));
        return;
      }
      const target = new URL(url);
      const transport = target.protocol === 'https:' ? https : http;
      const agent = target.protocol === 'https:' ? this.agents['https:'] : this.agents['http:'];
      const payload = body === undefined ? undefined : Buffer.from(body);
      const request = transport.request(target, {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      });
      let settled = false;
      const finish = (outcome: { answer: HttpAnswer } | { error: Error }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if ('answer' in outcome) resolve(outcome.answer);
        else reject(outcome.error);
      };
      const onAbort = (): void => {
        const error = new HttpAbortError('aborted');
        finish({ error });
        request.destroy(error);
      };
      const timer = setTimeout(() => {
        const error = new HttpTimeoutError(`no answer within ${timeoutMs} ms`);
        finish({ error });
        request.destroy(error);
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && error.code === 'ECONNRESET';
        finish({ error: stale ? new ReusedSocketError(error) : error });
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => finish({ error }));
        response.on('aborted', () => finish({ error: Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }) }));
        response.on('end', () => finish({ answer: { status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') } }));
      });
      request.end(payload);
    });
  }
}

/** A kept-alive socket was closed by the server before this request got an answer. */
class ReusedSocketError extends Error {
  constructor(readonly original: Error) {
    super(original.message, { cause: original });
  }
}
