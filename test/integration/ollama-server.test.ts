/**
 * Ollama under real pm2 (7.0.4), managing the fake `ollama` executable
 * (test/fixtures/bin/fake-ollama.cjs), with the Linux backend on this machine's /proc. Every
 * wait is bounded; each test has its own HOME, PM2_HOME and port, and its cleanup kills any pm2
 * daemon or child a failure left behind.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../src/ollama/server.js';
import { readLiveState, waitFor } from '../helpers/cli-process.js';
import { addRecordingFake, readRecordedArgv } from '../helpers/fake-darwin-bin.js';
import { isAlive, makeServerSandbox, SECRET, type ServerSandbox } from '../helpers/server-sandbox.js';

let box: ServerSandbox | null = null;
const strays: number[] = [];

afterEach(async () => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await box?.cleanup();
  box = null;
});

async function sandbox(...args: Parameters<typeof makeServerSandbox>): Promise<ServerSandbox> {
  box = await makeServerSandbox(...args);
  return box;
}

async function statusJson(b: ServerSandbox): Promise<ServerStatus> {
  const result = await b.cli(['ollama', 'status', '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ServerStatus;
}

function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

async function logEvents(b: ServerSandbox): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(b.logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('headroom ollama start|status|restart|stop, under real pm2', () => {
  it('starts the server, then adopts it: one child only', async () => {
    const b = await sandbox();
    const first = await b.cli(['ollama', 'start']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^nobody serves: starting ollama serve under pm2\n {2}started .*\/ollama serve under pm2; \/api\/version answered after \d+ ms$/);
    expect(await b.get('/api/version')).toEqual({ version: '0.32.15' });

    const second = await b.cli(['ollama', 'start']);
    expect(second.exitCode, second.stderr).toBe(0);
    const [only] = await b.fake.starts();
    expect(second.stdout).toBe(`headroom runs the server (pid ${only!.pid})\n  adopted headroom's server (pid ${only!.pid})`);
    expect(await b.fake.starts()).toHaveLength(1);

    const status = await statusJson(b);
    expect(status).toMatchObject({ owner: { kind: 'headroom', pid: only!.pid }, env: { verdict: 'safe' }, binary: b.fake.binary });
    expect(status.managed?.app).toMatchObject({ status: 'online', pid: only!.pid, restarts: 0 });
    expect(status.managed?.daemon?.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    const text = await b.cli(['ollama', 'status']);
    expect(text.stdout).toMatch(/^served by {2}headroom \(pm2, pid \d+\)\nenv {8}safe environment\n/);
  });

  it('gives the child PATH, HOME, the safe OLLAMA_* and pm2\'s own variables: the secret reaches neither it nor pm2\'s daemon', async () => {
    const b = await sandbox();
    expect((await b.cli(['ollama', 'start'])).exitCode).toBe(0);
    const env = (await b.get<Record<string, string>>('/fake/env'))!;
    expect(Object.values(env).join('\n')).not.toContain(SECRET);
    expect(env.HEADROOM_TEST_SECRET).toBeUndefined();
    expect(Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('OLLAMA_')))).toEqual({
      OLLAMA_HOST: `127.0.0.1:${b.port}`,
      OLLAMA_MAX_LOADED_MODELS: '1',
      OLLAMA_KEEP_ALIVE: '5m',
      OLLAMA_NUM_PARALLEL: '1',
      OLLAMA_CONTEXT_LENGTH: '32768',
    });
    expect(env.PATH).toBe(b.env.PATH);
    expect(env.HOME).toBe(b.sandbox.home);
    // The runner's own LANG/LC_ALL stop at pm2's daemon; the child gets only what headroom names.
    expect(env.LANG).toBeUndefined();
    expect(env.PM2_HOME).toBe(b.pm2Home);
    const god = b.godPid()!;
    const godEnv = environOf(god);
    expect(Object.values(godEnv).join('\n')).not.toContain(SECRET);
    expect(Object.keys(godEnv).filter((key) => !/^(PM2_|NODE_CHANNEL|SILENT$)/.test(key)).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH']);
    // Run as a binary (interpreter none): pm2 executes the file itself. As a Node script, pm2 would
    // run node with its ProcessContainerFork.js, and that would be argv[1].
    const { argv } = (await b.get<{ argv: string[] }>('/fake/argv'))!;
    expect(argv.slice(1)).toEqual([b.fake.binary, 'serve']);
    // The child's stdout goes to ollama.out.log beside headroom's log (stderr: the crash test below).
    // pm2's daemon copies it there on its own time: wait for it.
    const listening = `Listening on 127.0.0.1:${b.port} (version 0.32.15)`;
    await waitFor(async () => (await readFile(path.join(b.stateDir, 'ollama.out.log'), 'utf8').catch(() => '')).includes(listening), 10_000, 'the line in ollama.out.log');
  });

  it('has pm2 restart the child after a crash', async () => {
    const b = await sandbox();
    expect((await b.cli(['ollama', 'start'])).exitCode).toBe(0);
    const [first] = await b.fake.starts();
    process.kill(first!.pid, 'SIGKILL');
    const second = await waitFor(async () => (await b.fake.starts())[1], 10_000, 'the restart');
    expect(second.pid).not.toBe(first!.pid);
    await waitFor(() => b.get('/api/version'), 10_000, 'the restarted server');
    const status = await statusJson(b);
    expect(status.owner).toEqual({ kind: 'headroom', pid: second.pid });
    expect(status.managed?.app?.restarts).toBe(1);
  });

  it('backs off through a crash loop, then pm2 gives up: errored, said at once', async () => {
    const b = await sandbox();
    // A backoff well above the fake's start-up time (about 0.1-0.3 s, more on a loaded machine),
    // so that the growth of the delay shows through it.
    await b.writeConfig({ ollama: { restart: { minUptimeMs: 1500, maxRestarts: 3, backoffMs: 400 } } });
    await b.fake.setMode('crash');
    const result = await b.cli(['ollama', 'start']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/serve exited 3 times in a row \(last exit code 1\) and pm2 gave up; see .*ollama\.err\.log/);
    const starts = await b.fake.starts();
    expect(starts).toHaveLength(3);
    // backoffMs 400, then ×1.5: the second gap is longer than the first, and both at least the delay.
    const gaps = [starts[1]!.at - starts[0]!.at, starts[2]!.at - starts[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(400);
    expect(gaps[1]).toBeGreaterThanOrEqual(600);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    const status = await statusJson(b);
    expect(status.managed?.app).toMatchObject({ status: 'errored', restarts: 2, exitCode: 1 });
    expect(status.owner.kind).toBe('none');
    expect(await readFile(path.join(b.stateDir, 'ollama.err.log'), 'utf8')).toContain('fake ollama: crashing on purpose');
  });

  it('applies a changed environment with delete + start, and restart reports when it answered', async () => {
    const b = await sandbox();
    expect((await b.cli(['ollama', 'start'])).exitCode).toBe(0);
    await b.writeConfig({ ollama: { env: { OLLAMA_KEEP_ALIVE: '10m', OLLAMA_FLASH_ATTENTION: true } } });
    const applied = await b.cli(['ollama', 'start']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('runs with another environment (OLLAMA_FLASH_ATTENTION: (unset) -> 1, OLLAMA_KEEP_ALIVE: 5m -> 10m): applying the configured one (pm2 delete + start)');
    expect(await b.fake.starts()).toHaveLength(2);
    expect(await b.get<Record<string, string>>('/fake/env')).toMatchObject({ OLLAMA_KEEP_ALIVE: '10m', OLLAMA_FLASH_ATTENTION: '1' });
    // The safe environment is the configured one: after the change, the running server has it.
    expect((await statusJson(b)).env).toEqual({ verdict: 'safe' });

    const restarted = await b.cli(['ollama', 'restart']);
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/\nready after \d+ ms$/);
    expect(await b.fake.starts()).toHaveLength(3);
  });

  it('stop leaves no pm2 daemon and no child, and starts none until "ollama start"', async () => {
    const b = await sandbox();
    expect((await b.cli(['ollama', 'start'])).exitCode).toBe(0);
    const god = b.godPid()!;
    const [child] = await b.fake.starts();
    const dry = await b.cli(['ollama', 'stop', '--dry-run']);
    expect(dry.stdout).toContain("dry run: would delete pm2 app headroom-ollama and stop pm2's daemon");
    expect(isAlive(god) && isAlive(child!.pid)).toBe(true);
    const stopped = await b.cli(['ollama', 'stop']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe("deleted pm2 app headroom-ollama and stopped pm2's daemon\nheadroom starts no server until \"headroom ollama start\"");
    await waitFor(() => Promise.resolve(!isAlive(god) && !isAlive(child!.pid)), 5000, 'pm2 and the child to exit');
    const status = await statusJson(b);
    expect(status).toMatchObject({ owner: { kind: 'none' }, stoppedByUser: true, managed: { daemon: null, app: null } });

    const daemon = b.daemon();
    try {
      await waitFor(async () => (await readLiveState(path.join(b.stateDir, 'state.json')))?.server?.plan.includes('headroom ollama stop'), 10_000, 'the daemon to look');
      expect(await b.fake.starts()).toHaveLength(1);
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
    }
    expect((await b.cli(['ollama', 'start'])).exitCode).toBe(0);
    expect(await b.fake.starts()).toHaveLength(2);
  });

  it('dry runs change nothing', async () => {
    const b = await sandbox();
    const start = await b.cli(['ollama', 'start', '--dry-run']);
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toBe('dry run: nobody serves: starting ollama serve under pm2\n  would start ollama serve under pm2 with the safe environment');
    const restart = await b.cli(['ollama', 'restart', '--dry-run']);
    expect(restart.stdout).toContain('would start ollama serve under pm2');
    expect(await b.fake.starts()).toEqual([]);
    expect(b.godPid()).toBeNull();
  });
});

describe('the daemon and its Ollama server, under real pm2', () => {
  it('starts the server; killed with SIGKILL and started again it adopts it; SIGTERM leaves nothing behind', async () => {
    const b = await sandbox();
    const stateFile = path.join(b.stateDir, 'state.json');
    const first = b.daemon();
    const online = await waitFor(async () => {
      const state = await readLiveState(stateFile);
      return state?.server?.owner.kind === 'headroom' ? state.server : undefined;
    }, 15_000, 'the daemon to start the server');
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    const god = b.godPid()!;
    const [child] = await b.fake.starts();
    expect(online.owner).toEqual({ kind: 'headroom', pid: child!.pid });
    expect(isAlive(god) && isAlive(child!.pid)).toBe(true);

    const second = b.daemon();
    await waitFor(async () => (await logEvents(b)).some((e) => e.msg === "adopted headroom's server (pid " + String(child!.pid) + ')'), 15_000, 'the adoption');
    expect(await b.fake.starts()).toHaveLength(1);
    const stoppingAt = Date.now();
    second.kill('SIGTERM');
    const exit = await second;
    const exitMs = Date.now() - stoppingAt;
    expect(exit.exitCode).toBe(0);
    // stopTimeoutMs 2000 + 1500 is the daemon's deadline with a server to stop.
    expect(exitMs).toBeLessThan(3500);
    // pm2's daemon answers killDaemon, then exits a moment later.
    await waitFor(() => Promise.resolve(!isAlive(god) && !isAlive(child!.pid)), 3000, 'pm2 and the child to exit');
    expect((await logEvents(b)).at(-1)).toMatchObject({ msg: 'headroom stopped', ollamaServer: "stopped the server and pm2's daemon" });
  });

  it('with ollama.keepRunning leaves the server running after SIGTERM', async () => {
    const b = await sandbox();
    await b.writeConfig({ ollama: { keepRunning: true } });
    const daemon = b.daemon();
    await waitFor(async () => (await readLiveState(path.join(b.stateDir, 'state.json')))?.server?.owner.kind === 'headroom', 15_000, 'the server');
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
    expect(await b.get('/api/version')).toEqual({ version: '0.32.15' });
    expect(b.godPid()).not.toBeNull();
  });

  it('restarts a server that stops answering; when the budget is spent it stops, notifies and says so', async () => {
    const notifyDir = path.join('/tmp', `hr-notify-${process.pid}-${Date.now()}`);
    const { mkdir, rm } = await import('node:fs/promises');
    await mkdir(notifyDir);
    try {
      const notifyLog = await addRecordingFake(notifyDir, 'notify-send');
      const b = await sandbox({ pathPrefix: notifyDir });
      await b.writeConfig({ ollama: { startTimeoutMs: 1500, health: { restartBudget: 1 } } });
      const stateFile = path.join(b.stateDir, 'state.json');
      const daemon = b.daemon();
      try {
        await waitFor(async () => (await readLiveState(stateFile))?.server?.owner.kind === 'headroom', 15_000, 'the server');
        await b.fake.setMode('hang');
        await waitFor(async () => (await b.fake.starts()).length >= 2, 20_000, 'the restart of the hung server');
        const spent = await waitFor(async () => {
          const server = (await readLiveState(stateFile))?.server;
          return server?.health.budgetSpent ? server : undefined;
        }, 20_000, 'the spent budget');
        expect(spent.health.restartsInWindow).toBe(1);
        const notices = await waitFor(async () => {
          const calls = await readRecordedArgv(notifyLog);
          return calls.length > 0 ? calls : undefined;
        }, 5000, 'the notification');
        expect(notices).toEqual([['--app-name=headroom', '--', 'headroom: Ollama keeps failing', expect.stringMatching(/restarted 1 times in 10 min: headroom stops restarting it/) as unknown]]);
        const text = await b.cli(['status']);
        expect(text.stdout).toMatch(/health: failing; restart budget spent \(1 restarts\): headroom no longer restarts it/);
        // No restart after the budget: still two starts a few checks later.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(await b.fake.starts()).toHaveLength(2);
      } finally {
        daemon.kill('SIGTERM');
        await daemon;
      }
    } finally {
      await rm(notifyDir, { recursive: true, force: true });
    }
  });

  it('without an ollama binary says so in status and log, once, and keeps sampling', async () => {
    const b = await sandbox();
    await b.writeConfig({ ollama: { binary: path.join(b.sandbox.home, 'nowhere', 'ollama') } });
    const stateFile = path.join(b.stateDir, 'state.json');
    const daemon = b.daemon();
    try {
      const state = await waitFor(async () => {
        const s = await readLiveState(stateFile);
        // Several health cycles (3 × 300 ms) after the first look.
        return s && s.samples >= 15 && s.server ? s : undefined;
      }, 15_000, 'samples');
      expect(state.server).toMatchObject({ binary: null, plan: expect.stringMatching(/^no ollama executable found/) as unknown });
      const warnings = (await logEvents(b)).filter((e) => typeof e.msg === 'string' && e.msg.startsWith('no ollama executable found'));
      expect(warnings).toHaveLength(1);
      expect(b.godPid()).toBeNull();
      expect((await b.cli(['status'])).stdout).toMatch(/server {4}nobody, environment unknown .*\n {10}no ollama executable found/);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
    }
  });
});

describe('a server headroom did not start (linux, a hand-run ollama serve)', () => {
  function handRun(b: ServerSandbox, env: Record<string, string>): number {
    const child = spawn(b.fake.binary, ['serve'], { env: { PATH: b.env.PATH!, HOME: b.sandbox.home, OLLAMA_HOST: `127.0.0.1:${b.port}`, ...env }, stdio: 'ignore', detached: true });
    child.unref();
    strays.push(child.pid!);
    return child.pid!;
  }

  it('without takeover: left alone, its unsafe environment named, one warning, and the guard still reads it', async () => {
    const b = await sandbox();
    const pid = handRun(b, { OLLAMA_KEEP_ALIVE: '-1' });
    await waitFor(() => b.get('/api/version'), 10_000, 'the hand-run server');
    const stateFile = path.join(b.stateDir, 'state.json');
    const daemon = b.daemon();
    try {
      const state = await waitFor(async () => {
        const s = await readLiveState(stateFile);
        return s?.server && s.ollama?.status === 'ok' && s.samples >= 15 ? s : undefined;
      }, 15_000, 'the daemon to look');
      expect(state.server).toMatchObject({ owner: { kind: 'manual', pid }, env: { verdict: 'unsafe' } });
      expect(state.server?.env).toMatchObject({ differences: expect.arrayContaining(['OLLAMA_KEEP_ALIVE=-1 (safe: 5m)']) as unknown });
      const warnings = (await logEvents(b)).filter((e) => typeof e.msg === 'string' && e.msg.includes('not by headroom'));
      expect(warnings).toHaveLength(1);
      const start = await b.cli(['ollama', 'start']);
      expect(start.exitCode).toBe(1);
      expect(start.stderr).toContain('Set ollama.takeover: true');
      expect(isAlive(pid)).toBe(true);
      expect(await b.fake.starts()).toHaveLength(1);
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
    }
    expect(isAlive(pid)).toBe(true);
  });

  it('with takeover: SIGTERM to it, then headroom\'s own server on the port', async () => {
    const b = await sandbox();
    const pid = handRun(b, {});
    await waitFor(() => b.get('/api/version'), 10_000, 'the hand-run server');
    const result = await b.cli(['ollama', 'start', '--takeover']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^taking over from a hand-run ollama serve \\(pid ${pid}\\)\n {2}stopped the hand-run ollama serve \\(SIGTERM to pid ${pid}\\)\n {2}port ${b.port} is free\n {2}started `));
    expect(isAlive(pid)).toBe(false);
    const status = await statusJson(b);
    expect(status.owner.kind).toBe('headroom');
    expect(status.env).toEqual({ verdict: 'safe' });
  });
});
