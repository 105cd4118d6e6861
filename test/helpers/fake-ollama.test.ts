import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama, psFixtureModels } from './fake-ollama.js';

let fake: FakeOllama;
beforeEach(async () => {
  fake = new FakeOllama();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

async function raw(path: string, body?: unknown): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${fake.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('the fake Ollama follows the wire rules of test/fixtures/ollama/SOURCES.md', () => {
  it('answers GET / and unknown routes as Ollama does', async () => {
    expect(await raw('/')).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'Ollama is running' });
    expect(await raw('/api/nope')).toEqual({ status: 404, type: 'text/plain', text: '404 page not found' });
  });

  it('writes compact JSON without a trailing newline, escaping < > & as Go does', async () => {
    fake.showFrom('llama3.2:3b', 'show-text.json');
    const show = await raw('/api/show', { model: 'llama3.2:3b' });
    expect(show.type).toBe('application/json; charset=utf-8');
    expect(show.text.endsWith('}')).toBe(true);
    expect(show.text).toContain('\\u003c|start_header_id|\\u003e');
    expect(await raw('/api/ps')).toMatchObject({ text: '{"models":[]}' });
    expect(await raw('/api/version')).toMatchObject({ text: '{"version":"0.32.15"}' });
  });

  it('unloads with keep_alive 0 on /api/generate and "0s" on /api/chat, and 404s an unknown model', async () => {
    fake.loaded = psFixtureModels('ps-two-models.json');
    expect(JSON.parse((await raw('/api/generate', { model: 'granite3.3:2b', prompt: '', keep_alive: 0 })).text)).toMatchObject({ done: true, done_reason: 'unload' });
    expect(JSON.parse((await raw('/api/chat', { model: 'llava-llama3:8b', messages: [], keep_alive: '0s' })).text)).toMatchObject({ done_reason: 'unload', message: { content: '' } });
    expect(fake.loaded).toEqual([]);
    expect(fake.unloads).toEqual(['granite3.3:2b', 'llava-llama3:8b']);
    expect(await raw('/api/generate', { model: 'ghost', prompt: '', keep_alive: 0 })).toMatchObject({ status: 404, text: '{"error":"model \'ghost\' not found"}' });
  });

  it('answers a prompt with the configured answer and stats, or just loads on an empty prompt', async () => {
    fake.showFrom('qwen3:8b', 'show-thinking.json');
    fake.answers.set('What is 15 + 27?', { response: '42', evalCount: 3, evalDurationNs: 1e8 });
    expect(JSON.parse((await raw('/api/generate', { model: 'qwen3:8b', prompt: 'What is 15 + 27?', stream: false })).text)).toMatchObject({
      response: '42',
      done_reason: 'stop',
      eval_count: 3,
      eval_duration: 1e8,
    });
    expect(JSON.parse((await raw('/api/generate', { model: 'qwen3:8b', prompt: '' })).text)).toMatchObject({ done_reason: 'load' });
    expect((await raw('/api/tags')).text).toContain('"name":"qwen3:8b"');
  });

  it('answers a chat prompt with a message, and rejects a keep_alive string without a unit as Ollama does', async () => {
    fake.showFrom('granite3.3:8b', 'show-text.json');
    fake.answers.set('Why is the sky blue?', { response: 'Rayleigh scattering.' });
    const chat = JSON.parse((await raw('/api/chat', { model: 'granite3.3:8b', messages: [{ role: 'user', content: 'Why is the sky blue?' }], stream: false })).text) as Record<string, unknown>;
    expect(chat).toMatchObject({ message: { role: 'assistant', content: 'Rayleigh scattering.' }, done: true, done_reason: 'stop' });
    expect(chat.response).toBeUndefined();
    expect(await raw('/api/generate', { model: 'granite3.3:8b', prompt: '', keep_alive: '300' })).toMatchObject({ status: 400, text: '{"error":"time: missing unit in duration \\"300\\""}' });
  });

  it('makes /api/ps wait while a load is in progress, and /api/version answer meanwhile', async () => {
    fake.loading = true;
    const ps = fetch(`${fake.url}/api/ps`).then((r) => r.text());
    expect(await raw('/api/version')).toMatchObject({ status: 200 });
    const early = await Promise.race([ps, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 150))]);
    expect(early).toBe('still waiting');
    fake.finishLoading();
    expect(await ps).toBe('{"models":[]}');
  });

  it('lists /api/ps longest expiry first, and marks a slow unload as expiring now', async () => {
    fake.loaded = psFixtureModels('ps-two-models.json').reverse();
    expect((JSON.parse((await raw('/api/ps')).text) as { models: Array<{ name: string }> }).models.map((m) => m.name)).toEqual(['granite3.3:2b', 'llava-llama3:8b']);
    fake.unloadDelayMs = 60_000;
    await raw('/api/generate', { model: 'granite3.3:2b', prompt: '', keep_alive: 0 });
    const after = (JSON.parse((await raw('/api/ps')).text) as { models: Array<{ name: string; expires_at: string }> }).models.find((m) => m.name === 'granite3.3:2b');
    expect(Math.abs(Date.parse(after!.expires_at) - Date.now())).toBeLessThan(5000);
  });

  it('adds latency, errors, garbage and hangs per route', async () => {
    fake.latencyMs = 150;
    const started = Date.now();
    await raw('/api/version');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    fake.latencyMs = 0;
    fake.routeLatencyMs.set('/api/tags', 150);
    const tagsStarted = Date.now();
    await raw('/api/tags');
    expect(Date.now() - tagsStarted).toBeGreaterThanOrEqual(140);
    fake.faults.set('/api/ps', { kind: 'error', status: 503, body: '{"error":"server busy, please try again.  maximum pending requests exceeded"}' });
    expect(await raw('/api/ps')).toMatchObject({ status: 503 });
    fake.faults.set('/api/ps', { kind: 'garbage', body: 'not json' });
    expect(await raw('/api/ps')).toMatchObject({ status: 200, text: 'not json' });
    fake.faults.set('/api/ps', { kind: 'hang' });
    await expect(fetch(`${fake.url}/api/ps`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
  });
});
