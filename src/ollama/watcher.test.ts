import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeOllama, psFixtureModels } from '../../test/helpers/fake-ollama.js';
import { memorySnapshot } from '../../test/helpers/memory-snapshot.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { GiB, MiB } from '../core/units.js';
import { OllamaHttpClient } from './client.js';
import { memoryMoved, OllamaWatcher } from './watcher.js';

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
  watcher = new OllamaWatcher({ api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 300 }), clock, logger, pollIntervalMs: 2000, processes: null });
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
    fake.faults.set('/api/version', { kind: 'hang' });
    expect(await watcher.read(true)).toMatchObject({ status: 'unreachable', models: [] });
    fake.faults.delete('/api/version');
    fake.faults.set('/api/ps', { kind: 'garbage', body: 'null' });
    expect(await watcher.read(true)).toMatchObject({ status: 'error', models: [] });
    expect(await watcher.read(true)).toMatchObject({ status: 'error' });
    fake.faults.delete('/api/ps');
    expect((await watcher.read(true)).status).toBe('ok');
    expect(logger.entries.map((e) => e.message)).toEqual(['ollama unreachable', 'ollama error', 'ollama reachable']);
  });

  it('shares a read under way instead of starting a second one', async () => {
    fake.routeLatencyMs.set('/api/ps', 100);
    const [a, b] = await Promise.all([watcher.read(true), watcher.read(true)]);
    expect(a).toBe(b);
    expect(fake.requestsTo('/api/ps')).toHaveLength(1);
  });
});

describe('memoryMoved', () => {
  const before = memorySnapshot();
  it('is false while every figure stays within the bound and the pressure is the same', () => {
    expect(memoryMoved(before, { ...before, at: before.at + 5000, availableBytes: before.availableBytes! - 255 * MiB, freeBytes: before.freeBytes! + 100 * MiB }, 256 * MiB)).toBe(false);
  });
  it.each(['availableBytes', 'freeBytes', 'wiredBytes', 'compressedBytes', 'swapUsedBytes'] as const)('is true when %s moves by the bound, up or down', (figure) => {
    expect(memoryMoved(before, { ...before, [figure]: before[figure]! + 256 * MiB }, 256 * MiB)).toBe(true);
    expect(memoryMoved(before, { ...before, [figure]: before[figure]! - 300 * MiB }, 256 * MiB)).toBe(true);
  });
  it('is true when the pressure changed, a figure is missing on either side, or the bound is 0', () => {
    expect(memoryMoved(before, { ...before, pressure: 'unknown' }, 256 * MiB)).toBe(true);
    expect(memoryMoved(before, { ...before, wiredBytes: null }, 256 * MiB)).toBe(true);
    expect(memoryMoved({ ...before, swapUsedBytes: null }, before, 256 * MiB)).toBe(true);
    expect(memoryMoved(before, before, 0)).toBe(true);
  });
});

describe('OllamaWatcher with still pacing', () => {
  const still = { pollIntervalMs: 30_000, withinBytes: 256 * MiB };
  const calm = memorySnapshot();
  let paced: OllamaWatcher;
  beforeEach(() => {
    paced = new OllamaWatcher({ api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 300 }), clock, logger, pollIntervalMs: 2000, still, processes: null });
  });

  it('keeps an answered read while memory stays still, up to still.pollIntervalMs', async () => {
    await paced.read(false, calm);
    for (let s = 2; s < 30; s += 2) {
      clock.advance(2000);
      expect(paced.wouldRead(false, calm)).toBe(false);
      await paced.read(false, { ...calm, availableBytes: calm.availableBytes! - 100 * MiB });
    }
    expect(fake.requestsTo('/api/ps')).toHaveLength(1);
    clock.advance(2000);
    await paced.read(false, calm);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
  });

  it('reads at pollIntervalMs once memory moved since the last read (a model loading), and then paces from that read', async () => {
    await paced.read(false, calm);
    const loaded = { ...calm, availableBytes: calm.availableBytes! - 6 * GiB, wiredBytes: calm.wiredBytes! + 6 * GiB };
    clock.advance(1000);
    await paced.read(false, loaded);
    expect(fake.requestsTo('/api/ps')).toHaveLength(1);
    clock.advance(1000);
    await paced.read(false, loaded);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
    clock.advance(2000);
    await paced.read(false, loaded);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
  });

  it('still reads when forced, and at pollIntervalMs while the last reading is not an answer', async () => {
    await paced.read(false, calm);
    await paced.read(true, calm);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
    fake.faults.set('/api/ps', { kind: 'garbage', body: 'null' });
    await paced.read(true, calm);
    clock.advance(2000);
    expect(paced.wouldRead(false, calm)).toBe(true);
    await paced.read(false, calm);
    expect(fake.requestsTo('/api/ps')).toHaveLength(4);
  });

  it('reads at pollIntervalMs when not given the tick\'s memory', async () => {
    await paced.read(false, calm);
    clock.advance(2000);
    await paced.read(false);
    expect(fake.requestsTo('/api/ps')).toHaveLength(2);
  });
});

describe('OllamaWatcher while Ollama loads a model (/api/ps waits, the server answers)', () => {
  const BLOB = 'd'.repeat(64);
  const SERVER = { pid: 7000, ppid: 1, command: '/opt/homebrew/opt/ollama/bin/ollama serve' };
  const runner = (pid: number, ppid = SERVER.pid) => ({ pid, ppid, command: `/opt/homebrew/Cellar/ollama/0.32.15/lib/ollama/llama-server --port 51000 --model /Users/u/.ollama/models/blobs/sha256-${BLOB} --ctx-size 32768` });

  it('keeps the last list, adds the loading runner named from its weights blob, and says busy', async () => {
    // The runner line follows the 0.30+ layout (llama-server … --model <blob>); no capture of one exists.
    const table = [SERVER, runner(7001), { pid: 12, ppid: 1, command: '/usr/libexec/logd' }];
    const processes = { list: () => Promise.resolve(table), ownerUid: () => Promise.resolve(501) };
    fake.installed = [
      { name: 'granite3.3:2b', size: 2686878533, digest: 'g' },
      { name: 'llama3.3:70b', size: 42520413916, digest: 'l' },
    ];
    fake.shows.set('llama3.3:70b', { capabilities: ['completion'], modelfile: `FROM /Users/u/.ollama/models/blobs/sha256-${BLOB}\n` });
    const busy = new OllamaWatcher({ api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 200 }), clock, logger, pollIntervalMs: 2000, processes });
    await busy.read(true);
    fake.loading = true;
    const reading = await busy.read(true);
    fake.finishLoading();
    expect(reading.status).toBe('busy');
    expect(reading.models.map((m) => [m.name, m.sizeBytes, m.loadingPid])).toEqual([
      ['granite3.3:2b', 2686878533, undefined],
      ['llava-llama3:8b', 6781644800, undefined],
      ['llama3.3:70b', 42520413916, 7001],
    ]);
    expect(reading.error).toMatch(/no answer .* but the server answers: a model is probably loading .*loading: llama3\.3:70b pid 7001/);
  });

  it('names a runner it cannot match by its pid, with no size', async () => {
    const processes = { list: () => Promise.resolve([SERVER, runner(7002)]), ownerUid: () => Promise.resolve(501) };
    const busy = new OllamaWatcher({ api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 200 }), clock, logger, pollIntervalMs: 2000, processes });
    fake.loading = true;
    const reading = await busy.read(true);
    fake.finishLoading();
    expect(reading.models).toEqual([{ name: 'runner pid 7002', sizeBytes: 0, kind: 'unknown', expiresAt: null, loadingPid: 7002 }]);
  });

  it('leaves out a llama-server that no Ollama server started', async () => {
    const processes = { list: () => Promise.resolve([SERVER, runner(7003, 1)]), ownerUid: () => Promise.resolve(501) };
    const busy = new OllamaWatcher({ api: new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 200 }), clock, logger, pollIntervalMs: 2000, processes });
    fake.loading = true;
    const reading = await busy.read(true);
    fake.finishLoading();
    expect(reading.status).toBe('busy');
    expect(reading.models).toEqual([]);
  });
});
