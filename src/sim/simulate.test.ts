import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { scenarioConfig } from './config.js';
import { loadScenario } from './scenario.js';
import { simulate } from './simulate.js';

const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/scenarios');
const files = readdirSync(SCENARIOS).filter((name) => name.endsWith('.yaml'));

async function run(name: string, guard: boolean) {
  const file = path.join(SCENARIOS, name);
  const scenario = await loadScenario(file);
  return simulate(scenario, scenarioConfig(defaultConfig(), scenario.config, file), { guard });
}

describe('the seed incidents', () => {
  it('ships a scenario for each', () => {
    expect(files.sort()).toEqual([
      '70b-on-48gb.yaml',
      'mlx-bounded-beside-18gb.yaml',
      'mlx-growing-beside-18gb.yaml',
      'two-models-48gb.yaml',
      'two-models-allowed-48gb.yaml',
      'vision-49.9gb-on-64gb.yaml',
    ]);
  });

  it.each(files)('%s: decisions match the golden file', async (name) => {
    const golden = path.join(SCENARIOS, name.replace(/\.yaml$/, '.golden.json'));
    // A missing golden would be written silently outside CI: insist on it (vitest -u writes it on purpose).
    if (!process.argv.includes('-u') && !process.argv.includes('--update')) expect(existsSync(golden), `${golden} is missing`).toBe(true);
    const result = await run(name, true);
    await expect(`${JSON.stringify({ timeline: result.timeline, summary: result.summary }, null, 2)}\n`).toMatchFileSnapshot(golden);
  });

  it.each(files)('%s: locks up without the guard', async (name) => {
    const result = await run(name, false);
    expect(result.summary.lockup).toBe(true);
    expect(result.summary.modelsUnloaded).toEqual([]);
  });

  it.each(files.filter((name) => name !== 'mlx-growing-beside-18gb.yaml'))('%s: the guard prevents the lockup', async (name) => {
    const { summary } = await run(name, true);
    expect(summary.lockup).toBe(false);
    expect(summary.verdict).toMatch(/^no lockup; the guard unloaded /);
  });

  it('says plainly when the memory is not Ollama\'s and no unload can prevent the lockup', async () => {
    const { summary } = await run('mlx-growing-beside-18gb.yaml', true);
    expect(summary.lockup).toBe(true);
    expect(summary.modelsUnloaded.map((m) => m.model)).toEqual(['qwen2.5-coder:32b']);
    expect(summary.verdict).toMatch(/^lockup from \+[\d.]+ s that unloading cannot prevent: [\d.]+ GiB is held outside Ollama \(baseline and other processes \(mlx-train [\d.]+ GiB\)\)$/);
  });

  it('runs the oversize rule on the incidents it was made for: the 70B on 48 GiB and the vision model on 64 GiB', async () => {
    for (const [name, model] of [
      ['70b-on-48gb.yaml', 'llama3.3:70b'],
      ['vision-49.9gb-on-64gb.yaml', 'qwen2.5vl:72b'],
      ['two-models-48gb.yaml', 'llama3.3:70b'],
    ] as const) {
      const { summary } = await run(name, true);
      expect(summary.modelsUnloaded).toEqual([{ model, atS: expect.any(Number) as number, rule: 'oversize' }]);
    }
  });

  it('is deterministic', async () => {
    expect(await run('mlx-bounded-beside-18gb.yaml', true)).toEqual(await run('mlx-bounded-beside-18gb.yaml', true));
  });
});
