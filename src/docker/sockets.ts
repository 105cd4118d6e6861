/**
 * Unix sockets, probed: GET /_ping on a Docker socket (node:http, a short timeout), and whether a
 * socket file has a listener (only ECONNREFUSED proves it has none; a timeout may be a busy one).
 */
import http from 'node:http';
import net from 'node:net';
import type { PingResult, SocketState } from './types.js';

/** GET /_ping on `socket`; ok for 200 "OK"; `timedOut` when nothing answered within `timeoutMs`. Never throws. */
export function pingDocker(socket: string, timeoutMs: number, signal?: AbortSignal): Promise<PingResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error: string | null, timedOut = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ socket, ok: error === null, error, timedOut, durationMs: Math.round(performance.now() - started) });
    };
    const request = http.get({ socketPath: socket, path: '/_ping', headers: { host: 'docker' }, signal }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      response.on('end', () => finish(response.statusCode === 200 && body.trim() === 'OK' ? null : `GET /_ping: HTTP ${String(response.statusCode)} ${JSON.stringify(body.trim().slice(0, 100))}`));
      response.on('error', (error) => finish(`GET /_ping: ${error.message}`));
    });
    const timer = setTimeout(() => finish(`GET /_ping: no answer within ${timeoutMs} ms`, true), timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish(signal?.aborted ? 'GET /_ping: canceled' : `GET /_ping: ${error.code ?? error.message}`));
  });
}

/** Connects to a socket file and hangs up: `accepts`, `refused` (nobody listens), `timeout` or `error`. Never throws. */
export function probeSocket(file: string, timeoutMs: number): Promise<SocketState> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: file });
    const done = (state: SocketState): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.once('connect', () => done('accepts'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'error'));
  });
}
