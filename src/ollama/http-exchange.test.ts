import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpExchanger } from './http-exchange.js';

/** A raw HTTP/1.1 server whose `onRequest` decides, per connection and request, to answer or to drop. */
async function rawServer(onRequest: (connection: number, request: number, socket: net.Socket) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    let requests = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      // Requests here carry no body beyond what content-length says; GETs end at the blank line.
      while (buffered.includes('\r\n\r\n')) {
        const end = buffered.indexOf('\r\n\r\n') + 4;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + length) return;
        buffered = buffered.slice(end + length);
        onRequest(connection, ++requests, socket);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(socket: net.Socket, body: string): void {
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`);
}

/** Closes the connection with a reset, as a server does that drops an idle socket while a request is on its way. */
function reset(socket: net.Socket): void {
  socket.resetAndDestroy();
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('HttpExchanger', () => {
  it('sends successive requests over one kept-alive connection', async () => {
    const server = await rawServer((_c, request, socket) => answer(socket, `{"n":${request}}`));
    const http = new HttpExchanger();
    cleanups.push(() => http.close(), server.close);
    expect(await http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 1000 })).toEqual({ status: 200, text: '{"n":1}' });
    expect(await http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 1000 })).toEqual({ status: 200, text: '{"n":2}' });
    expect(server.connections()).toBe(1);
  });

  it('sends a request once more on a fresh connection when the server dropped the kept-alive one', async () => {
    // Connection 1 answers its first request and resets on the second, as a server that closed
    // the idle socket just as the request arrived; connection 2 answers.
    const server = await rawServer((connection, request, socket) => (connection === 1 && request === 2 ? reset(socket) : answer(socket, `{"connection":${connection}}`)));
    const http = new HttpExchanger();
    cleanups.push(() => http.close(), server.close);
    await http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 1000 });
    expect(await http.send({ method: 'POST', url: `${server.url}/api/generate`, body: '{"model":"m","keep_alive":0}', timeoutMs: 1000 })).toEqual({ status: 200, text: '{"connection":2}' });
    expect(server.connections()).toBe(2);
  });

  it('does not send again when a fresh connection is reset', async () => {
    const server = await rawServer((_c, _r, socket) => reset(socket));
    const http = new HttpExchanger();
    cleanups.push(() => http.close(), server.close);
    await expect(http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.connections()).toBe(1);
  });

  it('ends an exchange at its timeout, and on the caller\'s signal, with errors named for each', async () => {
    const server = await rawServer(() => {});
    const http = new HttpExchanger();
    cleanups.push(() => http.close(), server.close);
    await expect(http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError', message: 'no answer within 100 ms' });
    const cancel = new AbortController();
    const pending = http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 5000, signal: cancel.signal });
    cancel.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const already = new AbortController();
    already.abort();
    await expect(http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 5000, signal: already.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('waits for a slow answer past the idle-socket time (a generate answers only when done), then closes the idle socket', async () => {
    const server = await rawServer((_c, _r, socket) => setTimeout(() => answer(socket, '{"done":true}'), 300));
    const http = new HttpExchanger({ idleSocketMs: 100 });
    cleanups.push(() => http.close(), server.close);
    expect(await http.send({ method: 'POST', url: `${server.url}/api/generate`, body: '{}', timeoutMs: 2000 })).toEqual({ status: 200, text: '{"done":true}' });
    // Idle for longer than 100 ms: the next request goes over a new connection.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await http.send({ method: 'GET', url: `${server.url}/api/ps`, timeoutMs: 2000 });
    expect(server.connections()).toBe(2);
  });

  it('sends the JSON body with its content type and length', async () => {
    let head = '';
    const http = new HttpExchanger();
    cleanups.push(() => http.close());
    const spy = net.createServer((socket) => {
      socket.once('data', (chunk) => {
        head = chunk.toString('utf8');
        answer(socket, '{}');
      });
    });
    await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => spy.close(() => resolve())));
    const { port } = spy.address() as net.AddressInfo;
    await http.send({ method: 'POST', url: `http://127.0.0.1:${port}/api/show`, body: '{"model":"é"}', timeoutMs: 1000 });
    expect(head).toMatch(/^POST \/api\/show HTTP\/1\.1\r\n/);
    expect(head).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(head).toMatch(/\r\ncontent-length: 14\r\n/i);
    expect(head.endsWith('\r\n\r\n{"model":"é"}')).toBe(true);
  });
});
