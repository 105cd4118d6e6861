import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeOllama, type FakeLoadedModel } from '../../test/helpers/fake-ollama.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { systemClock } from '../adapters/system-clock.js';
import type { MemorySnapshot, Pressure } from '../core/memory.js';
import { GiB } from '../core/units.js';
import { OllamaHttpClient } from '../ollama/client.js';
import { OllamaWatcher } from '../ollama/watcher.js';
import { Guard } from './guard.js';
import type { GuardRules } from './types.js';

const RULES: GuardRules = {
  floorMinBytes: 4 * GiB,
  floorPercent: 10,
  swapUsedPercent: 90,
  sustainMs: 2000,
  criticalSustainMs: 0,
  cooldownMs: 10_000,
  recoverMs: 15_000,
  maxModelFraction: { text: 0.625, vision: 0.7 },
  allowLargeModels: [],
  notifyMinIntervalMs: 60_000,
  dryRun: false,
};
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function memory(t: number, pressure: Pressure, availableGiB: number): MemorySnapshot {
  return {
    at: T0 + t * 1000,
    totalBytes: 48 * GiB,
    availableBytes: availableGiB * GiB,
    freeBytes: GiB,
    wiredBytes: GiB,
    compressedBytes: GiB,
    swapUsedBytes: 0,
    swapTotalBytes: 0,
    pressure,
  };
}

function loaded(name: string, sizeGiB: number, expiresInS: number): FakeLoadedModel {
  return { name, size: sizeGiB * GiB, size_vram: sizeGiB * GiB, digest: name, expires_at: new Date(T0 + expiresInS * 1000).toISOString(), details: { family: 'llama', families: ['llama'] } };
}

let fake: FakeOllama;
let notifier: RecordingNotifier;
let logger: ReturnType<typeof captureLogger>;
let fresh: MemorySnapshot;

function makeGuard(rules: GuardRules = RULES): Guard {
  const api = new OllamaHttpClient({ baseUrl: fake.url, timeoutMs: 500 });
  return new Guard({
    watcher: new OllamaWatcher(api, systemClock, logger, 2000),
    api,
    notifier,
    clock: systemClock,
    logger,
    rules,
    resample: () => Promise.resolve(fresh),
    unloadTimeoutMs: 2000,
    unloadPollMs: 20,
  });
}

const messages = () => logger.entries.map((e) => e.message);

beforeEach(async () => {
  fake = new FakeOllama();
  await fake.start();
  fake.loaded = [loaded('old:8b', 5, 100), loaded('new:8b', 5, 280)];
  fake.showFrom('old:8b', 'show-text.json');
  fake.showFrom('new:8b', 'show-text.json');
  notifier = new RecordingNotifier();
  logger = captureLogger();
});
afterEach(async () => {
  await fake.stop();
});

describe('Guard', () => {
  it('unloads the least recently used model after a sustained warn, and tells the user', async () => {
    const guard = makeGuard();
    fresh = memory(2.1, 'warn', 10);
    await guard.tick(memory(0, 'warn', 10));
    expect(guard.alert).toBe(true);
    await guard.tick(memory(2, 'warn', 10));
    expect(guard.status().unloading).toEqual(['old:8b']);
    await guard.settle();
    expect(fake.unloads).toEqual(['old:8b']);
    expect(fake.loaded.map((m) => m.name)).toEqual(['new:8b']);
    expect(guard.status()).toMatchObject({ level: 'warn', unloading: null, lastUnload: { rule: 'warn', outcomes: [{ model: 'old:8b', gone: true }] } });
    expect(notifier.sent).toEqual([
      { title: 'headroom: memory pressure warn', message: '10.0 GiB available of 48.0 GiB (floor 4.8 GiB): kernel pressure warn. Unloading old:8b (5.0 GiB).' },
    ]);
    expect(messages()).toEqual(expect.arrayContaining(['guard level warn', 'notification', 'unloading', 'model unloaded']));
    const unloading = logger.entries.find((e) => e.message === 'unloading');
    expect(unloading?.fields).toMatchObject({ rule: 'warn', models: ['old:8b'], snapshot: { memory: { pressure: 'warn' } }, fresh: { pressure: 'warn' } });
  });

  it('re-samples before acting and skips the unload when memory has recovered', async () => {
    const guard = makeGuard();
    fresh = memory(2.1, 'normal', 20);
    await guard.tick(memory(0, 'warn', 10));
    await guard.tick(memory(2, 'warn', 10));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(logger.entries.find((e) => e.message === 'unload skipped')?.fields).toMatchObject({ skipped: 'memory has recovered', models: ['old:8b'] });
  });

  it('unloads every model at once on critical', async () => {
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect([...fake.unloads].sort()).toEqual(['new:8b', 'old:8b']);
    expect(fake.loaded).toEqual([]);
  });

  it('sends nothing to Ollama in a dry run, and says "would unload"', async () => {
    const guard = makeGuard({ ...RULES, dryRun: true });
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(messages()).toContain('would unload (dry run)');
    expect(notifier.sent[0]?.message).toMatch(/Would unload old:8b \(5\.0 GiB\), new:8b \(5\.0 GiB\)\.$/);
  });

  it('unloads an oversize model at once and says its size and the limit', async () => {
    fake.loaded = [loaded('llama3.3:70b', 40, 300)];
    fake.showFrom('llama3.3:70b', 'show-text.json');
    const guard = makeGuard();
    fresh = memory(0.1, 'normal', 20);
    await guard.tick(memory(0, 'normal', 20));
    await guard.settle();
    expect(fake.unloads).toEqual(['llama3.3:70b']);
    expect(notifier.sent).toEqual([
      {
        title: 'headroom: llama3.3:70b is too large for this Mac',
        message: 'Unloaded llama3.3:70b: 40.0 GiB is over the 30.0 GiB limit for text models (62.5% of 48.0 GiB). To keep it, add it to guard.allowLargeModels.',
      },
    ]);
  });

  it('keeps going when Ollama is down or answers garbage, and reports it', async () => {
    fake.faults.set('/api/ps', { kind: 'garbage', body: '{"models": 7}' });
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    expect(fake.unloads).toEqual([]);
    expect(notifier.sent[0]?.message).toMatch(/Ollama answers with errors: no model can be unloaded\.$/);
    fake.faults.set('/api/ps', { kind: 'hang' });
    await guard.tick(memory(1, 'critical', 1));
    expect(messages()).toEqual(expect.arrayContaining(['ollama error', 'ollama unreachable']));
  });

  it('logs a model that stays loaded after the unload', async () => {
    fake.unloadDelayMs = 60_000;
    const guard = makeGuard();
    fresh = memory(0.1, 'critical', 1);
    await guard.tick(memory(0, 'critical', 1));
    await guard.settle();
    const stuck = logger.entries.filter((e) => e.message === 'model still loaded after the unload');
    expect(stuck.map((e) => e.fields.model).sort()).toEqual(['new:8b', 'old:8b']);
    expect(stuck[0]?.level).toBe('error');
  });
});
