import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../test/helpers/fixtures.js';
import { commandFailure } from '../ports/command-runner.js';
import { baseChildEnv, ChildProcessRunner } from './child-process-runner.js';

const BIN = fixturePath('bin');
const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, HEADROOM_TEST_SECRET: 's3cret' };

describe('ChildProcessRunner', () => {
  it('resolves the executable from PATH and passes the argv exactly, with no shell', async () => {
    const runner = new ChildProcessRunner(env);
    const args = ['a b', '$HOME', '*', "it's", ''];
    const result = await runner.run('print-args', args, { timeoutMs: 5000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(args.map((arg) => `${arg}\n`).join(''));
    expect(commandFailure(result)).toBeNull();
    expect(runner.spawnCount).toBe(1);
  });

  it('gives the child only PATH, HOME and the C locale, plus what the call adds', async () => {
    const result = await new ChildProcessRunner(env).run('print-env', [], { timeoutMs: 5000, env: { OLLAMA_HOST: '127.0.0.1:11434' } });
    const names = result.stdout.split('\n').filter(Boolean).map((line) => line.split('=')[0]).filter((name) => name !== 'PWD' && name !== 'SHLVL' && name !== '_');
    expect(names.sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'OLLAMA_HOST', 'PATH']);
    expect(result.stdout).not.toContain('s3cret');
  });

  it('baseChildEnv keeps nothing but PATH and HOME from the parent', () => {
    expect(baseChildEnv({ PATH: '/bin', HOME: '/h', AWS_SECRET_ACCESS_KEY: 'x', OLLAMA_HOST: 'y' })).toEqual({
      PATH: '/bin',
      HOME: '/h',
      LANG: 'C',
      LC_ALL: 'C',
    });
  });

  it('reports a non-zero exit with the first stderr line', async () => {
    const result = await new ChildProcessRunner(env).run('fail', ['x'], { timeoutMs: 5000 });
    expect(result.exitCode).toBe(3);
    expect(commandFailure(result)).toBe('fail x: exited 3: first line of the failure');
  });

  it('reports a missing executable without throwing', async () => {
    const result = await new ChildProcessRunner(env).run('headroom-no-such-binary', [], { timeoutMs: 5000 });
    expect(result.spawnError).toBe('not found on PATH');
    expect(commandFailure(result)).toBe('headroom-no-such-binary: not found on PATH');
  });

  it('kills the whole process group on timeout, even a child that ignores SIGTERM', async () => {
    const result = await new ChildProcessRunner(env).run('hang-with-grandchild', [], { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(commandFailure(result)).toMatch(/^hang-with-grandchild: timed out after \d+ ms$/);
    // The grandchild died too: otherwise it would still hold stdout and the run would not have returned.
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('stops a command when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = new ChildProcessRunner(env).run('hang-with-grandchild', [], { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const result = await pending;
    expect(result.canceled).toBe(true);
    expect(commandFailure(result)).toBe('hang-with-grandchild: canceled');
  });

  it('streams stdout line by line and reports the exit', async () => {
    const lines: string[] = [];
    const runner = new ChildProcessRunner(env);
    const stream = runner.streamLines('lines-then-exit', [], { onLine: (line) => lines.push(line) });
    expect(stream.pid).toBeGreaterThan(0);
    const exit = await stream.exited;
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(exit.exitCode).toBe(0);
  });

  it('holds a polled stream\'s lines until poll(), then hands them over, and the rest at the exit', async () => {
    const lines: string[] = [];
    const before = await readdir(os.tmpdir());
    const runner = new ChildProcessRunner(env);
    const stream = runner.streamLines('sh', ['-c', 'printf "one\\ntwo\\nthr"; sleep 0.3; printf "ee\\nfour"'], { onLine: (line) => lines.push(line), polled: true });
    // The FIFO's name is gone once both ends are open: nothing is left in the temp folder.
    expect((await readdir(os.tmpdir())).filter((name) => name.startsWith('headroom-fifo-') && !before.includes(name))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(lines).toEqual([]);
    stream.poll();
    expect(lines).toEqual(['one', 'two']);
    stream.poll();
    expect(lines).toEqual(['one', 'two']);
    const exit = await stream.exited;
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
    expect(exit.exitCode).toBe(0);
    // mkfifo, then the child.
    expect(runner.spawnCount).toBe(2);
  });

  it('falls back to a watched pipe, and says why, when it cannot make a FIFO', async () => {
    const reasons: string[] = [];
    const lines: string[] = [];
    // No mkfifo on this PATH: only the test's own scripts.
    const stream = new ChildProcessRunner({ PATH: BIN }, (reason) => reasons.push(reason)).streamLines('lines-then-exit', [], { onLine: (line) => lines.push(line), polled: true });
    await stream.exited;
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(reasons).toEqual([expect.stringMatching(/^mkfifo: /) as string]);
  });

  it('stop() ends a stream', async () => {
    const stream = new ChildProcessRunner(env).streamLines('sleep', ['600'], { onLine: () => undefined });
    stream.stop();
    stream.stop();
    const exit = await stream.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(exit.canceled).toBe(true);
  });

  it('uses the HOME of the parent environment it was given', async () => {
    const result = await new ChildProcessRunner({ PATH: env.PATH, HOME: os.tmpdir() }).run('print-env', [], { timeoutMs: 5000 });
    expect(result.stdout).toContain(`HOME=${os.tmpdir()}`);
  });
});

describe('ChildProcessRunner when the process is out of file descriptors', () => {
  it('returns a spawn error instead of crashing (EMFILE)', async () => {
    const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/adapters/child-process-runner.js');
    const script = `
      import { openSync } from 'node:fs';
      const { ChildProcessRunner } = await import(${JSON.stringify(built)});
      const held = [];
      try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
      const runner = new ChildProcessRunner(process.env);
      const run = await runner.run('true', [], { timeoutMs: 2000 });
      const stream = runner.streamLines('true', [], { onLine: () => {} });
      const exit = await stream.exited;
      console.log(JSON.stringify({ run: run.spawnError, stream: exit.spawnError }));
    `;
    const result = await new ChildProcessRunner(env).run('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" --input-type=module -e "$0"`, script], { timeoutMs: 20_000 });
    expect(result.exitCode).toBe(0);
    const reported = JSON.parse(result.stdout) as { run: string; stream: string };
    expect(reported.run).toMatch(/EMFILE/);
    expect(reported.stream).toMatch(/EMFILE/);
  });
});
