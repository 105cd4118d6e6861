import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCliProcess, type Sandbox } from '../helpers/cli-process.js';

const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await makeSandbox();
});
afterAll(async () => {
  await sandbox.cleanup();
});

describe('headroom simulate', () => {
  it('prints the timeline and the summary', async () => {
    const result = await runCliProcess(['simulate', path.join(SCENARIOS, '70b-on-48gb.yaml')], sandbox.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('scenario: a 40 GiB 70B model on a 48 GiB Mac');
    expect(result.stdout).toMatch(/\+5\.0 s {2}request llama3\.3:70b: 40 GiB text model, loads in 20 s/);
    expect(result.stdout).toMatch(/unload llama3\.3:70b \[oversize\]/);
    expect(result.stdout).toContain('  lockup             no');
  });

  it('prints JSON with --json, and runs without the guard with --no-guard', async () => {
    const guarded = await runCliProcess(['simulate', '--json', path.join(SCENARIOS, 'vision-49.9gb-on-64gb.yaml')], sandbox.env);
    const parsed = JSON.parse(guarded.stdout) as { guard: boolean; summary: { lockup: boolean; modelsUnloaded: Array<{ model: string }> } };
    expect(parsed.guard).toBe(true);
    expect(parsed.summary.lockup).toBe(false);
    expect(parsed.summary.modelsUnloaded.map((m) => m.model)).toEqual(['qwen2.5vl:72b']);
    const bare = await runCliProcess(['simulate', '--json', '--no-guard', path.join(SCENARIOS, 'vision-49.9gb-on-64gb.yaml')], sandbox.env);
    expect((JSON.parse(bare.stdout) as { summary: { lockup: boolean } }).summary.lockup).toBe(true);
  });

  it('applies the user config under the scenario overrides', async () => {
    const config = path.join(sandbox.home, 'config.yaml');
    await writeFile(config, 'guard:\n  dryRun: true\n');
    const result = await runCliProcess(['simulate', '--json', '--config', config, path.join(SCENARIOS, '70b-on-48gb.yaml')], sandbox.env);
    const parsed = JSON.parse(result.stdout) as { timeline: Array<{ event: string }>; summary: { lockup: boolean } };
    expect(parsed.timeline.map((e) => e.event)).toContain('would-unload');
    expect(parsed.summary.lockup).toBe(true); // a dry run unloads nothing
  });

  it('rejects a bad scenario with 78, naming the file, line and key', async () => {
    const file = path.join(sandbox.home, 'bad.yaml');
    await writeFile(file, 'name: bad\ndurationS: 10\nmachine:\n  ramGiB: 0\ntimeline:\n  - atS: 1\n    request: { model: x }\n');
    const result = await runCliProcess(['simulate', file], sandbox.env);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`${file}:4: machine.ramGiB: must be above 0`);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: timeline\\.0`));
  });

  it('rejects a scenario whose config overrides are invalid', async () => {
    const file = path.join(sandbox.home, 'bad-config.yaml');
    await writeFile(file, 'name: x\ndurationS: 10\nmachine: { ramGiB: 16 }\nconfig:\n  guard:\n    sustainMS: 5\ntimeline:\n  - atS: 1\n    stop: y\n');
    const result = await runCliProcess(['simulate', file], sandbox.env);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`${file}: config.guard: Unrecognized key: "sustainMS"`);
  });

  it('says so when the scenario file is missing', async () => {
    const result = await runCliProcess(['simulate', '/nonexistent/scenario.yaml'], sandbox.env);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('/nonexistent/scenario.yaml: cannot read');
  });
});
