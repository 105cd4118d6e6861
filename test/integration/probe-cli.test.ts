import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GiB } from '../../src/core/units.js';
import type { ProbeRun } from '../../src/probe/types.js';
import { closedAddress, makeSandbox, readJson, runCliProcess, type Sandbox } from '../helpers/cli-process.js';
import { FakeOllama } from '../helpers/fake-ollama.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';

const PROMPTS = ['What is the capital of France?', 'What is 15 + 27?'];

describe('headroom probe, spawned, against the fake Ollama (Linux backend on a fake /proc)', () => {
  let sandbox: Sandbox;
  let proc: FakeProc;
  let fake: FakeOllama;
  let configFile: string;

  beforeAll(async () => {
    sandbox = await makeSandbox();
    proc = await makeFakeProc();
    configFile = path.join(sandbox.home, 'config.yaml');
  });
  afterAll(async () => {
    await proc.cleanup();
    await sandbox.cleanup();
  });
  beforeEach(async () => {
    fake = new FakeOllama();
    await fake.start();
    fake.installed = [{ name: 'granite3.3:2b', size: 1.5 * GiB, digest: 'a' }];
    fake.showFrom('granite3.3:2b', 'show-text.json');
    fake.answers.set(PROMPTS[0]!, { response: 'The capital of France is Paris.', evalCount: 8, evalDurationNs: 0.2e9 });
    fake.answers.set(PROMPTS[1]!, { response: '15 + 27 = 42.', evalCount: 9, evalDurationNs: 0.3e9 });
    await configure();
    await proc.stage('meminfo-24g-idle.txt', 'pressure-memory-idle.txt');
  });
  afterEach(() => fake.stop());

  async function configure(extra = '', url = fake.url): Promise<void> {
    await writeFile(configFile, `linux:\n  procRoot: ${proc.root}\nollama:\n  url: ${url}\nnotify:\n  enabled: false\n${extra}`);
  }
  const probe = (...args: string[]) => runCliProcess(['probe', '--platform', 'linux', '--config', configFile, ...args], sandbox.env);

  it('exits 0 and prints the table when every probe passes, and keeps the run', async () => {
    const result = await probe();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('model  granite3.3:2b (smallest installed text model)');
    expect(result.stdout).toMatch(/^probe +verdict +latency +tokens\/s +detail$/m);
    expect(result.stdout).toMatch(/^capital +pass +\d+\.\d s +40\.0 +"The capital of France is Paris\."$/m);
    expect(result.stdout).toMatch(/^arithmetic +pass +\d+\.\d s +30\.0 +"15 \+ 27 = 42\."$/m);
    expect(result.stdout).toMatch(/^passed: 2 of 2 probes$/m);
    const kept = await readJson<{ runs: ProbeRun[] }>(path.join(sandbox.linuxStateDir, 'probes.json'));
    expect(kept?.runs.at(-1)).toMatchObject({ trigger: 'cli', outcome: 'passed', model: 'granite3.3:2b' });

    const status = await runCliProcess(['status', '--platform', 'linux', '--config', configFile], sandbox.env);
    expect(status.stdout).toMatch(/^probes {4}passed: 2 of 2 probes with granite3\.3:2b, [\d.]+ \w+ ago \(cli\)$/m);
  });

  it('exits 1 on a wrong answer, and --json prints the run', async () => {
    fake.answers.set(PROMPTS[1]!, { response: 'The sum is 41.' });
    const result = await probe('--json');
    expect(result.exitCode).toBe(1);
    const run = JSON.parse(result.stdout) as ProbeRun;
    expect(run.outcome).toBe('failed');
    expect(run.results[1]).toMatchObject({ probe: 'arithmetic', verdict: 'fail', reason: 'answer does not contain "42"' });
  });

  it('exits 1 when the model is not found (--model)', async () => {
    const result = await probe('--model', 'nope:7b');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("HTTP 404: model 'nope:7b' not found");
  });

  it('exits 1 on a timeout, with probe.timeoutMs from the config', async () => {
    await configure('probe:\n  timeoutMs: 300\n');
    fake.answers.set(PROMPTS[0]!, { response: 'Paris.', delayMs: 5000 });
    const result = await probe();
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^capital +timeout +0\.\d s +- +no answer within 300 ms$/m);
  });

  it('exits 1 when the server is down', async () => {
    await configure('', `http://${await closedAddress()}`);
    const result = await probe();
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^failed: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/m);
  });

  it('skips under memory pressure and exits 1, sending nothing', async () => {
    await proc.stage('meminfo-24g-warn-7pct.txt', 'pressure-memory-warn-7pct.txt');
    const result = await probe();
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^skipped: pressure: warn/m);
    expect(fake.requestsTo('/api/generate')).toHaveLength(0);
  });

  it('exits 0 on a dry run that would send the probes, and sends nothing', async () => {
    const result = await probe('--dry-run');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('skipped: dry run: would send 2 probes to granite3.3:2b');
    expect(fake.requestsTo('/api/generate')).toHaveLength(0);
  });

  it('keeps exit code 64 for a usage error and 78 for a bad schedule', async () => {
    expect((await probe('--bogus')).exitCode).toBe(64);
    await configure('probe:\n  schedule: "*/30 * * *"\n');
    const result = await probe();
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('probe.schedule');
    const check = await runCliProcess(['config', 'check', '--config', configFile], sandbox.env);
    expect(check.exitCode).toBe(78);
    expect(check.stderr).toMatch(/probe\.schedule.*expected 5 or 6 fields but got 4/);
  });
});
