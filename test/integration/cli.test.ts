import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import type { Command } from 'commander';
import { makeSandbox, runCliProcess, type Sandbox } from '../helpers/cli-process.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await makeSandbox();
});
afterAll(async () => {
  await sandbox.cleanup();
});

/** Every command path of the real program, e.g. ['config', 'check']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

describe('headroom --help', () => {
  const program = buildProgram({ env: {}, home: '/', nodePlatform: 'linux', isTTY: false }, { stdout: () => undefined, stderr: () => undefined }, { exitCode: 0 });
  const paths = [[], ...commandPaths(program)].filter((p) => p[0] !== 'help');

  it('covers run, status, config check and config show', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['', 'run', 'status', 'config', 'config check', 'config show']));
  });

  it.each(paths.map((p) => [p.join(' ') || '(top level)', p]))('works on %s: exit 0 and usage on stdout', async (_name, commandPath) => {
    const result = await runCliProcess([...commandPath, '--help'], sandbox.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: headroom${commandPath.length ? ` ${commandPath.join(' ')}` : ''}`));
  });
});

describe('exit codes', () => {
  it('--version exits 0 with the package version', async () => {
    const result = await runCliProcess(['--version'], sandbox.env);
    expect(result).toMatchObject({ exitCode: 0, stdout: '0.1.0' });
  });

  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['status', '--bogus'], /unknown option '--bogus'/],
    ['a bad --platform', ['status', '--platform', 'windows'], /Allowed choices are darwin, linux/],
    ['an extra argument', ['status', 'now'], /too many arguments/],
    ['no command', [], /Usage: headroom/],
  ])('%s is a usage error: 64', async (_name, args, message) => {
    const result = await runCliProcess(args, sandbox.env);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});

describe('config check and config show', () => {
  it('config check passes on built-in defaults when there is no file', async () => {
    const result = await runCliProcess(['config', 'check'], sandbox.env);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'no config file: built-in defaults apply' });
  });

  it('config check passes a valid file named by --config', async () => {
    const file = path.join(sandbox.home, 'valid.yaml');
    await writeFile(file, 'daemon:\n  intervalMs: 2000\n');
    const result = await runCliProcess(['config', 'check', '--config', file], sandbox.env);
    expect(result).toMatchObject({ exitCode: 0, stdout: `config OK: ${file}` });
  });

  it('config check exits 78 naming file, line and key for a file named by HEADROOM_CONFIG', async () => {
    const file = path.join(sandbox.home, 'invalid.yaml');
    await writeFile(file, 'daemon:\n  intervalMs: 10\nlog:\n  levle: debug\n');
    const result = await runCliProcess(['config', 'check'], { ...sandbox.env, HEADROOM_CONFIG: file });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`${file}:2: daemon.intervalMs: Too small`);
    expect(result.stderr).toContain(`${file}:4: log.levle: unknown key (did you mean "level"?)`);
  });

  it('config check exits 78 when the named file does not exist', async () => {
    const result = await runCliProcess(['config', 'check', '--config', '/nonexistent/headroom.yaml'], sandbox.env);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('/nonexistent/headroom.yaml: file not found');
  });

  it('the default file under ~/.config is found', async () => {
    const dir = path.join(sandbox.home, '.config', 'headroom');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.yaml'), 'log:\n  level: warn\n');
    try {
      const result = await runCliProcess(['config', 'show', '--json'], sandbox.env);
      expect(result.exitCode).toBe(0);
      expect((JSON.parse(result.stdout) as { log: { level: string } }).log.level).toBe('warn');
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('config show prints the effective YAML with platform folders resolved', async () => {
    const file = path.join(sandbox.home, 'show.yaml');
    await writeFile(file, 'daemon:\n  intervalMs: 2500\n');
    const linux = await runCliProcess(['config', 'show', '--config', file, '--platform', 'linux'], sandbox.env);
    expect(linux.exitCode).toBe(0);
    expect(linux.stdout).toContain(`# effective config for platform linux; source: ${file}`);
    expect(linux.stdout).toContain('intervalMs: 2500');
    expect(linux.stdout).toContain(`stateDir: ${sandbox.linuxStateDir}`);
    const darwin = await runCliProcess(['config', 'show', '--json', '--platform', 'darwin'], sandbox.env);
    expect(JSON.parse(darwin.stdout)).toMatchObject({
      daemon: { intervalMs: 1000, stateDir: sandbox.darwinStateDir },
      log: { dir: path.join(sandbox.home, 'Library', 'Logs', 'headroom') },
    });
  });

  it('run refuses an invalid config with 78 before starting', async () => {
    const file = path.join(sandbox.home, 'bad-run.yaml');
    await writeFile(file, 'daemon: 5\n');
    const result = await runCliProcess(['run', '--config', file], sandbox.env);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`${file}:1: daemon: Invalid input: expected object, received number`);
  });
});
