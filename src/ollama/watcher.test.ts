import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeOllama, psFixtureModels } from '../../test/helpers/fake-ollama.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { OllamaHttpClient } from './client.js';
import { OllamaWatcher } from './watcher.js';

let fake: FakeOllama;
let clock: SimClock;
let watcher: OllamaWatcher;
let logger: ReturnType<typeof captureLogger>;

beforeEach(async () => {
  fake = new FakeOllama();
  await fake.start();
  fake.loaded = psFixtureModels('ps-two-models.json');
  fake.showFrom('granite3.3:2b', 'show-text.json');
  fake.showFrom('llava-llama3:8b', 'show-vision-projector.json');
  clock = new SimClock();
  logger = captureLogger();
  watcher = new OllamaWatcher(new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 300 }), clock, logger, 2000);
});
afterEach(async () => {
  await fake.stop();
});

describe('OllamaWatcher', () => {
  it('lists models with their kind, asking /api/show once per model', async () => {
    const reading = await watcher.read(false);
    expect(reading).toEqual({
      status: 'ok',
      readAt: clock.now(),
      models: [
        { name: 'granite3.3:2b', sizeBytes: 2686878533, kind: 'text', expiresAt: Date.parse('2025-07-30T23:33:39.878113+02:00') },
        { name: 'llava-llama3:8b', sizeBytes: 6781644800, kind: 'vision', expiresAt: Date.parse('2025-07-30T23:33:34.256058+02:00') },
      ],
    });
    clock.advance(5000);
    await watcher.read(false);
    expect(fake.requestsTo('/api/show')).toHaveLength(2);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
  });

  it('reads /api/ps at most every pollIntervalMs unless forced', async () => {
    await watcher.read(false);
    clock.advance(1000);
    await watcher.read(false);
    expect(fake.requestsTo('/api/ps')).toHaveLength(1);
    await watcher.read(true);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
  });

  it('marks a model whose details cannot be read as unknown, and asks again a minute later', async () => {
    fake.shows.delete('granite3.3:2b');
    expect((await watcher.read(true)).models[0]?.kind).toBe('unknown');
    await watcher.read(true);
    expect(fake.requestsTo('/api/show').filter((r) => (r.body as { model: string }).model === 'granite3.3:2b')).toHaveLength(1);
    fake.showFrom('granite3.3:2b', 'show-text.json');
    clock.advance(61_000);
    expect((await watcher.read(true)).models[0]?.kind).toBe('text');
    expect(logger.entries.some((e) => e.message === 'cannot read model details; treating it as a text model for the size limit')).toBe(true);
  });

  it('reports unreachable, error and recovery once each, without throwing', async () => {
    fake.faults.set('/api/ps', { kind: 'hang' });
    expect(await watcher.read(true)).toMatchObject({ status: 'unreachable', models: [] });
    fake.faults.set('/api/ps', { kind: 'garbage', body: 'null' });
    expect(await watcher.read(true)).toMatchObject({ status: 'error', models: [] });
    expect(await watcher.read(true)).toMatchObject({ status: 'error' });
    fake.faults.delete('/api/ps');
    expect((await watcher.read(true)).status).toBe('ok');
    expect(logger.entries.map((e) => e.message)).toEqual(['ollama unreachable', 'ollama error', 'ollama reachable']);
  });
});
