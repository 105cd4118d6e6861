import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../adapters/system-clock.js';
import type { MemorySnapshot } from '../core/memory.js';
import { GiB } from '../core/units.js';
import { OllamaHttpClient } from '../ollama/client.js';
import { silentLogger } from '../ports/logger.js';
import { FakeOllama } from '../../test/helpers/fake-ollama.js';
import { memorySnapshot } from '../../test/helpers/memory-snapshot.js';
import { testProbeSettings, TEST_PROBES } from '../../test/helpers/probe-settings.js';
import { ProbeRunner, type ProbeSettings } from './runner.js';

const PROBES = TEST_PROBES;
const settings = testProbeSettings;

describe('ProbeRunner against the fake Ollama', () => {
  let fake: FakeOllama;
  let samples: MemorySnapshot[];

  beforeEach(async () => {
    fake = new FakeOllama();
    await fake.start();
    // Installed: granite (3.2B text, show-text.json) and a bigger one; nothing loaded.
    fake.installed = [
      { name: 'llama3.1:8b', size: 4.9 * GiB, digest: 'b' },
      { name: 'granite3.3:2b', size: 1.5 * GiB, digest: 'a' },
    ];
    fake.showFrom('granite3.3:2b', 'show-text.json');
    fake.showFrom('llama3.1:8b', 'show-legacy-no-capabilities.json');
    fake.answers.set(PROBES[0]!.prompt, { response: 'The capital of France is Paris.', evalCount: 8, evalDurationNs: 0.2e9 });
    fake.answers.set(PROBES[1]!.prompt, { response: '15 + 27 = 42', evalCount: 9, evalDurationNs: 0.3e9 });
    samples = [];
  });
  afterEach(() => fake.stop());

  function runner(overrides: Partial<ProbeSettings> = {}, url = fake.url): ProbeRunner {
    return new ProbeRunner({
      api: new OllamaHttpClient({ baseUrl: url, timeoutMs: 2000 }),
      sample: () => Promise.resolve(samples.shift() ?? memorySnapshot()),
      clock: systemClock,
      settings: settings(overrides),
      logger: silentLogger,
    });
  }

  const generated = (): Array<Record<string, unknown>> => fake.requestsTo('/api/generate').map((r) => r.body as Record<string, unknown>);

  it('passes when both answers contain the expected text, on the smallest installed text model', async () => {
    const run = await runner().run('cli');
    expect(run).toMatchObject({ outcome: 'passed', reason: null, model: 'granite3.3:2b', modelWhy: 'smallest installed text model', trigger: 'cli' });
    expect(run.results.map((r) => [r.probe, r.verdict])).toEqual([['capital', 'pass'], ['arithmetic', 'pass']]);
    expect(run.results[0]!.tokensPerSecond).toBeCloseTo(40, 6);
    expect(run.results[0]!.answer).toBe('The capital of France is Paris.');
    // Not streamed, the configured keep_alive, the small probe context, no think field for a model without thinking.
    expect(generated()[0]).toEqual({ model: 'granite3.3:2b', prompt: PROBES[0]!.prompt, stream: false, keep_alive: '5m', options: { num_ctx: 4096 } });
  });

  it('fails a wrong answer and says what was missing', async () => {
    fake.answers.set(PROBES[0]!.prompt, { response: 'The capital of France is Lyon.' });
    const run = await runner().run('schedule');
    expect(run.outcome).toBe('failed');
    expect(run.results[0]).toMatchObject({ verdict: 'fail', reason: 'answer does not contain "paris"', answer: 'The capital of France is Lyon.' });
    expect(run.results[1]!.verdict).toBe('pass');
  });

  it('fails an empty answer and one that is too short', async () => {
    fake.answers.set(PROBES[0]!.prompt, { response: '' });
    fake.answers.set(PROBES[1]!.prompt, { response: '42' });
    const run = await runner().run('schedule');
    expect(run.results.map((r) => r.reason)).toEqual(['empty answer', 'answer too short (2 < 5 characters)']);
    expect(run.outcome).toBe('failed');
  });

  it('times out a slow answer at probe.timeoutMs and sends no further probe behind it', async () => {
    fake.answers.set(PROBES[0]!.prompt, { response: 'Paris, of course.', delayMs: 3000 });
    const run = await runner({ timeoutMs: 300 }).run('schedule');
    expect(run.outcome).toBe('failed');
    expect(run.results[0]).toMatchObject({ verdict: 'timeout', reason: 'no answer within 300 ms' });
    expect(run.results[0]!.latencyMs).toBeLessThan(3000);
    expect(run.results[1]).toMatchObject({ verdict: 'skipped', reason: 'not sent: the previous probe timed out' });
    expect(generated()).toHaveLength(1);
  });

  it('judges a reasoning model without its <think> part, and asks it not to think', async () => {
    fake.installed = [{ name: 'qwen3:1.7b', size: 1.3 * GiB, digest: 'q' }];
    fake.showFrom('qwen3:1.7b', 'show-thinking.json');
    fake.answers.set(PROBES[0]!.prompt, { response: '<think>Lyon? No, it is the other city.</think>\n\nThe capital of France is Paris.' });
    // The expected text only in the reasoning is no pass.
    fake.answers.set(PROBES[1]!.prompt, { response: '<think>15 + 27 = 42</think>I cannot say.' });
    const run = await runner().run('schedule');
    expect(run.results[0]).toMatchObject({ verdict: 'pass', answer: 'The capital of France is Paris.' });
    expect(run.results[1]).toMatchObject({ verdict: 'fail', reason: 'answer does not contain "42"', answer: 'I cannot say.' });
    expect(generated().every((body) => body.think === false)).toBe(true);
  });

  it('fails with the server\'s words when the configured model is not found (404)', async () => {
    const run = await runner({ model: 'nope:1b' }).run('schedule');
    expect(run.outcome).toBe('failed');
    expect(run.results.map((r) => [r.verdict, r.reason])).toEqual([
      ['error', "HTTP 404: model 'nope:1b' not found"],
      ['error', "HTTP 404: model 'nope:1b' not found"],
    ]);
    expect(generated()).toHaveLength(0);
  });

  it('fails a run generation answers with 404 (a model removed after /api/show)', async () => {
    fake.faults.set('/api/generate', { kind: 'error', status: 404, body: '{"error":"model \'granite3.3:2b\' not found"}' });
    const run = await runner().run('schedule');
    expect(run.outcome).toBe('failed');
    expect(run.results[0]).toMatchObject({ verdict: 'error', reason: "HTTP 404: model 'granite3.3:2b' not found" });
  });

  it('fails when the server is down', async () => {
    const url = fake.url;
    await fake.stop();
    const run = await runner({}, url).run('schedule');
    expect(run.outcome).toBe('failed');
    expect(run.results[0]!.verdict).toBe('error');
    expect(run.results[0]!.reason).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
  });

  it('skips under pressure and sends nothing', async () => {
    samples = [memorySnapshot({ pressure: 'warn', pressureReason: 'kern.memorystatus_vm_pressure_level = 2' })];
    const run = await runner().run('schedule');
    expect(run).toMatchObject({ outcome: 'skipped', reason: 'pressure: warn (kern.memorystatus_vm_pressure_level = 2)', results: [] });
    expect(fake.requests).toHaveLength(0);
  });

  it('skips when loading the model would push available memory under the guard\'s floor', async () => {
    // 64 GiB: floor 6.4 GiB; 7 GiB available minus the 1.5 GiB model leaves 5.5 GiB.
    samples = [memorySnapshot({ availableGiB: 7 })];
    const run = await runner().run('schedule');
    expect(run.outcome).toBe('skipped');
    expect(run.reason).toMatch(/^pressure: loading 1\.5 GiB would leave 5\.5 GiB of 7\.0 GiB available, under the guard's floor of 6\.4 GiB$/);
    expect(generated()).toHaveLength(0);
  });

  it('stops sending when pressure rises between probes', async () => {
    samples = [memorySnapshot(), memorySnapshot({ pressure: 'critical' })];
    const run = await runner().run('schedule');
    expect(run.results.map((r) => r.verdict)).toEqual(['pass', 'skipped']);
    expect(run.results[1]!.reason).toBe('not sent: pressure: critical');
    expect(run.outcome).toBe('skipped');
  });

  it('uses a loaded model as it is: its remaining keep-alive and its context length', async () => {
    const expiresAt = Date.now() + 120_000;
    fake.loaded = [{ name: 'granite3.3:2b', size: 2_686_878_533, expires_at: new Date(expiresAt).toISOString(), context_length: 8192 }];
    fake.installed = [{ name: 'gemma3:1b', size: 0.8 * GiB, digest: 'g' }];
    fake.showFrom('gemma3:1b', 'show-text-gemma3-1b.json');
    // Little available: the loaded model needs no more memory.
    samples = [memorySnapshot({ availableGiB: 6.5 })];
    const run = await runner().run('schedule');
    expect(run).toMatchObject({ outcome: 'passed', model: 'granite3.3:2b', modelWhy: 'already loaded' });
    const body = generated()[0]!;
    expect(body.options).toEqual({ num_ctx: 8192 });
    expect(body.keep_alive).toBeGreaterThan(100);
    expect(body.keep_alive).toBeLessThanOrEqual(120);
  });

  it('never probes with a model over the size limit', async () => {
    // 64 GiB × 0.625 = 40 GiB for text models.
    fake.installed = [{ name: 'llama3.3:70b', size: 42 * GiB, digest: 'l' }];
    fake.showFrom('llama3.3:70b', 'show-legacy-no-capabilities.json');
    const configured = await runner({ model: 'llama3.3:70b' }).run('schedule');
    expect(configured.outcome).toBe('skipped');
    expect(configured.reason).toMatch(/^no probe: llama3\.3:70b \(42\.0 GiB\) is over the text model limit of 40\.0 GiB/);
    const chosen = await runner().run('schedule');
    expect(chosen.outcome).toBe('skipped');
    expect(chosen.reason).toMatch(/^no model to probe with: .*llama3\.3:70b \(42\.0 GiB\) is over the text model limit/);
    expect(generated()).toHaveLength(0);
  });

  it('reads a name without a tag as :latest, so the size limit still applies to it', async () => {
    fake.installed = [{ name: 'llama3.3:latest', size: 42 * GiB, digest: 'l' }];
    fake.showFrom('llama3.3', 'show-legacy-no-capabilities.json');
    const run = await runner({ model: 'llama3.3' }).run('cli');
    expect(run.outcome).toBe('skipped');
    expect(run.reason).toMatch(/^no probe: llama3\.3 \(42\.0 GiB\) is over the text model limit/);
    expect(generated()).toHaveLength(0);
  });

  it('does not use a model whose size it cannot learn (it could not be checked against the limit)', async () => {
    fake.showFrom('mystery:7b', 'show-text.json');
    const run = await runner({ model: 'mystery:7b' }).run('cli');
    expect(run).toMatchObject({ outcome: 'skipped', reason: "no probe: mystery:7b's size is unknown (neither /api/ps nor /api/tags lists it): it cannot be checked against the size limit" });
    expect(generated()).toHaveLength(0);
  });

  it('counts a run canceled after a failed probe as skipped, not failed (the daemon is stopping)', async () => {
    fake.answers.set(PROBES[0]!.prompt, { response: 'Lyon, I think.' });
    fake.answers.set(PROBES[1]!.prompt, { response: '42, surely.', delayMs: 3000 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const run = await runner().run('schedule', { signal: abort.signal });
    expect(run.results[0]!.verdict).toBe('fail');
    expect(run).toMatchObject({ outcome: 'skipped', reason: 'canceled' });
  });

  it('passes over embedding and vision models that /api/tags marks, without asking /api/show', async () => {
    fake.installed = [
      { name: 'nomic-embed-text', size: 0.3 * GiB, digest: 'n', capabilities: ['embedding'] },
      { name: 'qwen2.5vl:3b', size: 0.5 * GiB, digest: 'v', capabilities: ['completion', 'vision'] },
      { name: 'granite3.3:2b', size: 1.5 * GiB, digest: 'a', capabilities: ['completion', 'tools'] },
    ];
    const run = await runner().run('schedule');
    expect(run.model).toBe('granite3.3:2b');
    expect(fake.requestsTo('/api/show').map((r) => (r.body as { model: string }).model)).toEqual(['granite3.3:2b']);
  });

  it('in a dry run chooses the model and checks memory, and sends nothing', async () => {
    const run = await runner().run('cli', { dryRun: true });
    expect(run.outcome).toBe('skipped');
    expect(run.reason).toBe('dry run: would send 2 probes to granite3.3:2b (would load 1536 MiB)');
    expect(generated()).toHaveLength(0);
  });

  it('marks probes not sent when canceled (daemon shutdown)', async () => {
    fake.answers.set(PROBES[0]!.prompt, { response: 'Paris.', delayMs: 3000 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const run = await runner().run('schedule', { signal: abort.signal });
    expect(run.results.map((r) => [r.verdict, r.reason])).toEqual([
      ['skipped', 'canceled'],
      ['skipped', 'not sent: canceled'],
    ]);
    expect(run.outcome).toBe('skipped');
  });
});
