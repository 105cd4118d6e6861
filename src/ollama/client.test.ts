import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeOllama, psFixtureModels } from '../../test/helpers/fake-ollama.js';
import { systemClock } from '../adapters/system-clock.js';
import { OllamaError } from '../ports/ollama.js';
import { OllamaHttpClient } from './client.js';
import { psSchema } from './schemas.js';
import { unloadAndWait } from './unload.js';

let fake: FakeOllama;
let client: OllamaHttpClient;

beforeEach(async () => {
  fake = new FakeOllama();
  await fake.start();
  client = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 500 });
});
afterEach(async () => {
  await fake.stop();
});

/** A loopback URL whose port was just free: nothing listens there. */
async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function failure(promise: Promise<unknown>): Promise<OllamaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OllamaError) return error;
    throw error;
  }
  throw new Error('expected an OllamaError');
}

describe('OllamaHttpClient', () => {
  it('lists loaded models with size, VRAM, expiry and context length (ps-three-models.json)', async () => {
    fake.loaded = psFixtureModels('ps-three-models.json');
    const models = await client.listLoaded();
    expect(models.map((m) => m.name)).toEqual(['llava:7b', 'granite3.3:2b', 'deepseek-r1:1.5b']);
    expect(models[0]).toEqual({
      name: 'llava:7b',
      sizeBytes: 6182481920,
      vramBytes: 6182481920,
      expiresAt: Date.parse('2025-07-30T22:47:16.792333+02:00'),
      contextLength: 4096,
      digest: '8dd30f6b0cb19f555f2c7a7ebda861449ea2cc76bf1f44e262931f45fc81d081',
      family: 'llama',
      families: ['llama', 'clip'],
    });
  });

  it('checks an unchanged /api/ps answer once, hands out copies, and checks a changed one again', async () => {
    fake.loaded = psFixtureModels('ps-three-models.json');
    const checks = vi.spyOn(psSchema, 'safeParse');
    try {
      const first = await client.listLoaded();
      first[0]!.families.push('changed by a caller');
      const second = await client.listLoaded();
      expect(checks).toHaveBeenCalledTimes(1);
      expect(second[0]?.families).toEqual(['llama', 'clip']);
      fake.loaded = psFixtureModels('ps-empty.json');
      expect(await client.listLoaded()).toEqual([]);
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
      checks.mockRestore();
    }
  });

  it('reads a model kept forever (expires in 2318) and an empty list', async () => {
    fake.loaded = psFixtureModels('ps-keepalive-forever.json');
    expect((await client.listLoaded())[0]?.expiresAt).toBe(Date.parse('2318-12-05T21:47:02.903047553Z'));
    fake.loaded = psFixtureModels('ps-empty.json');
    expect(await client.listLoaded()).toEqual([]);
  });

  it('tells vision from text through /api/show', async () => {
    fake.showFrom('minicpm-v:8b', 'show-vision-projector.json');
    fake.showFrom('gemma3:1b', 'show-text-gemma3-1b.json');
    expect(await client.show('minicpm-v:8b')).toMatchObject({ kind: 'vision', family: 'qwen2', capabilities: ['completion', 'vision'] });
    expect(await client.show('gemma3:1b')).toMatchObject({ kind: 'text', family: 'gemma3' });
    expect(fake.requestsTo('/api/show').map((r) => r.body)).toEqual([{ model: 'minicpm-v:8b' }, { model: 'gemma3:1b' }]);
  });

  it('unloads with keep_alive 0 and stream false', async () => {
    fake.loaded = psFixtureModels('ps-two-models.json');
    await client.unload('granite3.3:2b');
    expect(fake.requestsTo('/api/generate').map((r) => r.body)).toEqual([{ model: 'granite3.3:2b', prompt: '', keep_alive: 0, stream: false }]);
    expect(fake.loaded.map((m) => m.name)).toEqual(['llava-llama3:8b']);
  });

  it('names the failure: unreachable, timeout, HTTP error, not JSON, wrong shape', async () => {
    fake.faults.set('/api/ps', { kind: 'hang' });
    const timeout = await failure(client.listLoaded());
    expect(timeout.kind).toBe('timeout');
    expect(timeout.message).toBe(`GET /api/ps: no answer from ${fake.url} within 500 ms`);

    fake.faults.set('/api/ps', { kind: 'error', status: 500, body: '{"error":"llama runner process has terminated: signal: killed"}' });
    const http = await failure(client.listLoaded());
    expect([http.kind, http.status, http.message]).toEqual(['http', 500, 'GET /api/ps: HTTP 500: llama runner process has terminated: signal: killed']);

    fake.faults.set('/api/ps', { kind: 'garbage', body: '<html>proxy error</html>' });
    expect(await failure(client.listLoaded())).toMatchObject({ kind: 'bad-response', message: 'GET /api/ps: the answer is not JSON: "<html>proxy error</html>"' });

    fake.faults.set('/api/ps', { kind: 'garbage', body: '{"models":[{"name":"x","size":"big"}]}' });
    const shape = await failure(client.listLoaded());
    expect(shape.kind).toBe('bad-response');
    expect(shape.message).toMatch(/^GET \/api\/ps: unexpected answer at models\.0\.size: /);

    const closed = await closedPortUrl();
    const down = await failure(new OllamaHttpClient({ baseUrl: closed, timeoutMs: 500 }).version());
    expect(down.kind).toBe('unreachable');
    expect(down.message).toBe(`GET /api/version: cannot reach ${closed} (ECONNREFUSED)`);
  });

  it('reports a model Ollama does not know as HTTP 404', async () => {
    const error = await failure(client.show('nope:latest'));
    expect([error.kind, error.status, error.message]).toEqual(['http', 404, "POST /api/show: HTTP 404: model 'nope:latest' not found"]);
  });

  it('reads the version', async () => {
    expect(await client.version()).toBe('0.32.15');
  });
});

describe('unloadAndWait', () => {
  it('polls /api/ps until the model is gone', async () => {
    fake.loaded = psFixtureModels('ps-two-models.json');
    fake.unloadDelayMs = 300;
    const outcome = await unloadAndWait(client, 'llava-llama3:8b', { clock: systemClock, timeoutMs: 5000, pollMs: 50 });
    expect(outcome).toMatchObject({ model: 'llava-llama3:8b', gone: true });
    expect(fake.requestsTo('/api/ps').length).toBeGreaterThan(2);
  });

  it('gives up after its bound when the model stays listed', async () => {
    fake.loaded = psFixtureModels('ps-two-models.json');
    fake.unloadDelayMs = 60_000;
    const outcome = await unloadAndWait(client, 'llava-llama3:8b', { clock: systemClock, timeoutMs: 300, pollMs: 50 });
    expect(outcome.gone).toBe(false);
    expect(outcome.error).toMatch(/^still listed by \/api\/ps after \d+ ms$/);
  });

  it('reports a refused unload without polling', async () => {
    const outcome = await unloadAndWait(client, 'ghost:latest', { clock: systemClock, timeoutMs: 300, pollMs: 50 });
    expect(outcome).toMatchObject({ gone: false, error: "POST /api/generate: HTTP 404: model 'ghost:latest' not found" });
    expect(fake.requestsTo('/api/ps')).toHaveLength(0);
  });
});

describe('unloadAndWait when a client loads the model again at once', () => {
  it('ends the wait as "reloaded" when /api/ps lists it with a new expiry', async () => {
    const fresh = (): void => {
      fake.loaded = [{ ...psFixtureModels('ps-two-models.json')[0]!, expires_at: new Date(Date.now() + 300_000).toISOString() }];
    };
    fresh();
    const before = (await client.listLoaded())[0]!.expiresAt;
    // A client loads the model again the moment it is unloaded, before our first poll.
    fake.onUnload = fresh;
    const outcome = await unloadAndWait(client, 'granite3.3:2b', { clock: systemClock, timeoutMs: 3000, pollMs: 100, expiresAtBefore: before });
    expect(outcome).toMatchObject({ gone: true, reloaded: true });
  });

  it('keeps waiting while the listed expiry is not a new one (the unload is still pending)', async () => {
    // A model kept with its future expiry: a check that ignored expiresAtBefore would call it reloaded.
    fake.loaded = [{ ...psFixtureModels('ps-two-models.json')[0]!, expires_at: new Date(Date.now() + 300_000).toISOString() }];
    fake.faults.set('/api/generate', { kind: 'garbage', body: '{"model":"granite3.3:2b","response":"","done":true,"done_reason":"unload"}' });
    const before = (await client.listLoaded())[0]!.expiresAt;
    const outcome = await unloadAndWait(client, 'granite3.3:2b', { clock: systemClock, timeoutMs: 300, pollMs: 50, expiresAtBefore: before });
    expect(outcome.gone).toBe(false);
    expect(outcome.error).toMatch(/still listed by \/api\/ps/);
  });
});
