import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, locateConfig, parseConfigText } from './load.js';
import { defaultConfig } from './schema.js';

function issuesOf(text: string) {
  try {
    parseConfigText(text, 'config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigText', () => {
  it('fills every default for an empty file', () => {
    expect(parseConfigText('', 'c.yaml')).toEqual(defaultConfig());
    expect(parseConfigText('# only a comment\n', 'c.yaml')).toEqual(defaultConfig());
  });

  it('merges given keys over defaults', () => {
    const config = parseConfigText('daemon:\n  intervalMs: 500\nlinux:\n  pressure:\n    warnSomeAvg10: 20\n', 'c.yaml');
    expect(config.daemon.intervalMs).toBe(500);
    expect(config.daemon.commandTimeoutMs).toBe(2000);
    expect(config.linux.pressure.warnSomeAvg10).toBe(20);
    expect(config.linux.pressure.criticalFullAvg10).toBe(10);
  });

  it('names an unknown key with its path, line and a suggestion', () => {
    expect(issuesOf('daemon:\n  intervalMs: 500\n  intervalMS: 700\n')).toEqual([
      { path: 'daemon.intervalMS', line: 3, message: 'unknown key (did you mean "intervalMs"?); known keys here: intervalMs, fastIntervalMs, commandTimeoutMs, stateWriteIntervalMs, stateDir' },
    ]);
  });

  it('names a bad probe schedule with its field, line and node-cron\'s reason', () => {
    expect(issuesOf('probe:\n  schedule: "61 * * * *"\n')).toEqual([
      {
        path: 'probe.schedule',
        line: 2,
        message: 'not a cron expression: minute: 61 is a invalid expression for minute (5 fields: minute hour day-of-month month day-of-week, e.g. "*/30 * * * *")',
      },
    ]);
  });

  it('names a repeated probe name and an empty expectation by their index', () => {
    const issues = issuesOf('probe:\n  probes:\n    - {name: a, prompt: p, expect: x}\n    - {name: a, prompt: q, expect: ""}\n');
    expect(issues.map((issue) => issue.path).sort()).toEqual(['probe.probes.1.expect', 'probe.probes.1.name']);
  });

  it('checks the docker section: one of container or compose per service, files only with compose, deleteData only with deleteVm', () => {
    const issues = issuesOf('docker:\n  services:\n    - {container: chromadb, compose: ~/s}\n    - {files: [a.yaml]}\n    - {compose: rel/dir}\n  allow:\n    deleteData: true\n');
    expect(issues.map((issue) => [issue.path, issue.line, issue.message]).sort()).toEqual([
      ['docker.allow.deleteData', 7, 'needs deleteVm: the data is deleted with the VM'],
      ['docker.services.0', 3, 'give either container (a name) or compose (a project folder), not both and not neither'],
      ['docker.services.1', 4, 'give either container (a name) or compose (a project folder), not both and not neither'],
      ['docker.services.1.files', 4, 'files belong to a compose project: add compose (its folder)'],
      ['docker.services.2.compose', 5, 'must be an absolute path or start with ~/'],
    ]);
    expect(issuesOf('docker:\n  profile: "my profile"\n  start: sometimes\n').map((issue) => issue.path)).toEqual(['docker.profile', 'docker.start']);
    expect(parseConfigText('docker:\n  services:\n    - container: chromadb\n    - {compose: ~/stack, files: [compose.yaml]}\n', 'x.yaml').docker.services).toEqual([{ container: 'chromadb' }, { compose: '~/stack', files: ['compose.yaml'] }]);
  });

  it('names a guarded pattern that does not compile, or matches everything, by its index and line', () => {
    const issues = issuesOf('processes:\n  guarded:\n    - pattern: "mlx_lm\\\\.lora"\n      action: term\n    - pattern: "(unclosed"\n    - pattern: ".*"\n      stage: loud\n');
    expect(issues).toEqual([
      { path: 'processes.guarded.1.pattern', line: 5, message: expect.stringMatching(/^not a regular expression: .*Unterminated group/) as string },
      { path: 'processes.guarded.2.pattern', line: 6, message: expect.stringMatching(/^matches an empty command line/) as string },
      { path: 'processes.guarded.2.stage', line: 7, message: expect.stringMatching(/"warn"\|"critical"/) as string },
    ]);
  });

  it('fills a guarded process\'s defaults: stage critical, action notify, a 10 s grace', () => {
    const config = parseConfigText('processes:\n  guarded:\n    - pattern: "mlx_lm\\\\.lora"\n', 'c.yaml');
    expect(config.processes.guarded).toEqual([{ pattern: 'mlx_lm\\.lora', stage: 'critical', action: 'notify', graceMs: 10_000 }]);
  });

  it('names an unknown top-level key', () => {
    const [issue] = issuesOf('log:\n  level: info\nbogus: 1\n');
    expect(issue).toMatchObject({ path: 'bogus', line: 3 });
  });

  it('names a wrong type with path and line', () => {
    expect(issuesOf('daemon:\n  intervalMs: "fast"\n')).toEqual([
      { path: 'daemon.intervalMs', line: 2, message: 'Invalid input: expected number, received string' },
    ]);
  });

  it('names an out-of-range value', () => {
    const [issue] = issuesOf('daemon:\n\n  intervalMs: 5\n');
    expect(issue).toMatchObject({ path: 'daemon.intervalMs', line: 3 });
    expect(issue?.message).toMatch(/>=100/);
  });

  it('names a bad enum value', () => {
    const [issue] = issuesOf('log:\n  level: loud\n');
    expect(issue).toMatchObject({ path: 'log.level', line: 2 });
    expect(issue?.message).toMatch(/"info"/);
  });

  it('rejects a relative path', () => {
    const [issue] = issuesOf('daemon:\n  stateDir: state\n');
    expect(issue).toMatchObject({ path: 'daemon.stateDir', line: 2, message: 'must be an absolute path or start with ~/' });
  });

  it('checks that critical does not exceed warn', () => {
    const [issue] = issuesOf('linux:\n  pressure:\n    criticalAvailablePercent: 20\n');
    expect(issue).toMatchObject({ path: 'linux.pressure.criticalAvailablePercent', line: 3, message: 'must not exceed warnAvailablePercent (10)' });
  });

  it('checks that ollama.stillPollIntervalMs is not shorter than ollama.pollIntervalMs', () => {
    const [issue] = issuesOf('ollama:\n  pollIntervalMs: 5000\n  stillPollIntervalMs: 3000\n');
    expect(issue).toMatchObject({ path: 'ollama.stillPollIntervalMs', line: 3, message: expect.stringMatching(/^is shorter than ollama\.pollIntervalMs \(5000\)/) as string });
    expect(parseConfigText('ollama:\n  pollIntervalMs: 5000\n  stillPollIntervalMs: 5000\n', 'config.yaml').ollama.stillPollIntervalMs).toBe(5000);
  });

  it('reports every problem at once', () => {
    expect(issuesOf('daemon:\n  intervalMs: 1\n  commandTimeoutMs: -5\nextra: true\n').map((issue) => issue.path)).toEqual([
      'daemon.intervalMs',
      'daemon.commandTimeoutMs',
      'extra',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const [issue] = issuesOf('daemon:\n  intervalMs: [1, 2\n');
    expect(issue?.message).toMatch(/^invalid YAML/);
    expect(issue?.line).toBeGreaterThanOrEqual(2);
  });

  it('rejects a duplicate key', () => {
    const [issue] = issuesOf('daemon:\n  intervalMs: 500\n  intervalMs: 600\n');
    expect(issue?.message).toMatch(/invalid YAML: .*unique/i);
  });

  it('rejects a document that is not a mapping', () => {
    const [issue] = issuesOf('- a\n- b\n');
    expect(issue).toMatchObject({ path: '', line: 1 });
  });

  it('formats the error with file, line and path', () => {
    expect(() => parseConfigText('daemon:\n  intervalMs: x\n', '/etc/h.yaml')).toThrow(
      '/etc/h.yaml:2: daemon.intervalMs: Invalid input: expected number, received string',
    );
  });
});

describe('locateConfig and loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prefers --config, then HEADROOM_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(locateConfig('/a.yaml', { HEADROOM_CONFIG: '/b.yaml' }, '/home/u')).toEqual({ file: '/a.yaml', required: true });
    expect(locateConfig(undefined, { HEADROOM_CONFIG: '/b.yaml' }, '/home/u')).toEqual({ file: '/b.yaml', required: true });
    expect(locateConfig(undefined, { XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toEqual({ file: '/xdg/headroom/config.yaml', required: false });
    expect(locateConfig(undefined, {}, '/home/u')).toEqual({ file: '/home/u/.config/headroom/config.yaml', required: false });
  });

  it('uses built-in defaults when the default file is absent', async () => {
    expect(await loadConfig({ file: path.join(dir, 'none.yaml'), required: false })).toEqual({ config: defaultConfig(), file: null });
  });

  it('fails when a named file is absent', async () => {
    await expect(loadConfig({ file: path.join(dir, 'none.yaml'), required: true })).rejects.toThrow(/none.yaml: file not found/);
  });

  it('loads a file and says which', async () => {
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, 'log:\n  level: debug\n');
    const loaded = await loadConfig({ file, required: true });
    expect(loaded.file).toBe(file);
    expect(loaded.config.log.level).toBe('debug');
  });
});
