import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { FakeRunner } from '../../test/helpers/fake-runner.js';
import { RecordingNotifier } from '../../test/helpers/recording-notifier.js';
import { defaultConfig } from '../config/schema.js';
import type { Clock } from '../ports/clock.js';
import type { InstalledModel, LoadedModel, ModelDetails, OllamaApi } from '../ports/ollama.js';
import type { AppSpec, ManagerStatus, ProcessManager } from '../ports/process-manager.js';
import type { ProcessInfo, ProcessTable, Signaller } from '../ports/processes.js';
import type { ServerProbe } from '../ports/serving.js';
import { OllamaServer, PM2_APP_NAME, type OllamaServerDeps } from './server.js';
import { findOllamaApp } from './serving.js';

const OWN_UID = 501;
const PORT = 11434;
const BINARY = '/opt/homebrew/bin/ollama';

/** Time that moves only when the code under test sleeps: waits finish at once, in simulated ms. */
class SteppingClock implements Clock {
  time = Date.UTC(2026, 10, 21, 12);
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal?.aborted) this.time += ms;
    return Promise.resolve();
  }
}

/** A little machine: processes, who listens, pm2 and an Ollama API whose answers follow them. */
class World {
  processes: Array<ProcessInfo & { uid: number; env?: Record<string, string> }> = [];
  listener: number | null = null;
  brewPid: number | null | undefined = undefined;
  nextPid = 1000;
  /** pm2's app; the fake pm2 starts a process that listens. */
  app: { pid: number; status: string; env: Record<string, string> } | null = null;
  daemonPid: number | null = null;
  readonly starts: AppSpec[] = [];
  readonly stops: Array<{ name: string; killDaemon: boolean }> = [];
  readonly signals: Array<{ pid: number; signal: string }> = [];
  /** The server answers /api/version unless this says otherwise. */
  apiAnswers = true;
  /** What a SIGTERM does to a pid; by default the process ends and frees the port. */
  onTerm: (pid: number) => void = (pid) => this.end(pid);

  spawn(command: string, options: { uid?: number; ppid?: number; env?: Record<string, string>; listens?: boolean } = {}): number {
    const pid = this.nextPid++;
    this.processes.push({ pid, ppid: options.ppid ?? 1, command, uid: options.uid ?? OWN_UID, ...(options.env ? { env: options.env } : {}) });
    if (options.listens) this.listener = pid;
    return pid;
  }

  end(pid: number): void {
    this.processes = this.processes.filter((p) => p.pid !== pid);
    if (this.listener === pid) this.listener = null;
    if (this.app?.pid === pid) this.app = { ...this.app, status: 'errored' };
  }

  managerStatus(): ManagerStatus {
    return {
      daemon: this.daemonPid ? { pid: this.daemonPid, rssBytes: 56 * 2 ** 20 } : null,
      app: this.app ? { pid: this.app.status === 'online' ? this.app.pid : null, status: this.app.status, restarts: 0, unstableRestarts: 0, startedAt: null, exitCode: null } : null,
    };
  }

  /** The binary crashes at once, every time: pm2 gives up ("errored"). */
  crashes = false;

  readonly manager: ProcessManager = {
    describe: (name) => Promise.resolve(name === PM2_APP_NAME ? this.managerStatus() : { daemon: null, app: null }),
    start: (spec) => {
      this.starts.push(spec);
      this.daemonPid ??= this.spawn('node ~/.pm2/God');
      if (this.app) this.end(this.app.pid);
      if (this.crashes) {
        this.app = { pid: this.nextPid++, status: 'errored', env: spec.env };
        return Promise.resolve(this.managerStatus());
      }
      const pid = this.spawn(`${spec.script} ${spec.args.join(' ')}`, { listens: true, env: spec.env, ppid: this.daemonPid });
      this.app = { pid, status: 'online', env: spec.env };
      return Promise.resolve(this.managerStatus());
    },
    stop: (name, killDaemon) => {
      this.stops.push({ name, killDaemon });
      if (this.app) this.end(this.app.pid);
      this.app = null;
      if (killDaemon && this.daemonPid) {
        this.end(this.daemonPid);
        this.daemonPid = null;
      }
      return Promise.resolve();
    },
  };

  readonly probe: ServerProbe = {
    portListeners: () => Promise.resolve(this.listener === null ? [] : [this.listener]),
    environment: (pid) => Promise.resolve(this.processes.find((p) => p.pid === pid)?.env ?? null),
    ollamaApp: findOllamaApp,
    launchdServicePid: () => Promise.resolve(this.brewPid),
  };

  readonly table: ProcessTable = {
    list: () => Promise.resolve(this.processes.map(({ pid, ppid, command }) => ({ pid, ppid, command }))),
    ownerUid: (pid) => Promise.resolve(this.processes.find((p) => p.pid === pid)?.uid ?? null),
  };

  readonly signaller: Signaller = {
    ownUid: OWN_UID,
    ownPid: 1,
    send: (pid, signal) => {
      this.signals.push({ pid, signal });
      if (signal === 'SIGTERM') this.onTerm(pid);
      return true;
    },
    alive: (pid) => this.processes.some((p) => p.pid === pid),
  };

  readonly api: OllamaApi = {
    version: () => (this.apiAnswers && this.listener !== null ? Promise.resolve('0.32.15') : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:11434'))),
    listLoaded: () => Promise.resolve([] as LoadedModel[]),
    show: () => Promise.reject<ModelDetails>(new Error('not used')),
    installed: () => Promise.resolve([] as InstalledModel[]),
    unload: () => Promise.resolve(),
  };
}

function setup(over: Partial<OllamaServerDeps> = {}, world = new World()) {
  const clock = new SteppingClock();
  const logger = captureLogger();
  const notifier = new RecordingNotifier();
  const runner = new FakeRunner(() => ({ exitCode: 0 }));
  let marker = false;
  const config = defaultConfig().ollama;
  const deps: OllamaServerDeps = {
    manage: true,
    unmanagedWhy: null,
    takeover: false,
    keepRunning: false,
    findBinary: () => BINARY,
    port: PORT,
    spec: (binary) => ({
      name: PM2_APP_NAME,
      script: binary,
      args: ['serve'],
      cwd: '/state',
      env: { PATH: '/usr/bin', HOME: '/Users/tester', OLLAMA_HOST: '127.0.0.1:11434', OLLAMA_MAX_LOADED_MODELS: '1', OLLAMA_KEEP_ALIVE: '5m', OLLAMA_NUM_PARALLEL: '1', OLLAMA_CONTEXT_LENGTH: '32768' },
      outFile: '/logs/ollama.out.log',
      errFile: '/logs/ollama.err.log',
      minUptimeMs: 5000,
      maxRestarts: 10,
      backoffMs: 1000,
      killTimeoutMs: 3000,
    }),
    envSettings: config.env,
    startTimeoutMs: 30_000,
    health: { intervalMs: 10_000, failures: 3, restartBudget: 3, restartWindowMs: 600_000 },
    manager: world.manager,
    probe: world.probe,
    processes: world.table,
    signaller: world.signaller,
    runner,
    api: world.api,
    clock,
    logger,
    notifier,
    stopMarker: { isSet: () => marker, set: () => void (marker = true), clear: () => void (marker = false) },
    dryRun: false,
    ...over,
  };
  return { server: new OllamaServer(deps), deps, world, clock, logger, notifier, runner, marker: () => marker };
}

/** Runs health checks `count` times, one interval apart. */
async function checks(server: OllamaServer, clock: SteppingClock, count: number, intervalMs = 10_000): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    server.tick();
    await server.settle();
    clock.time += intervalMs;
  }
}

describe('OllamaServer.ensure', () => {
  it('starts ollama serve under pm2 when nobody serves, and reports when /api/version answered', async () => {
    const { server, world } = setup();
    const result = await server.ensure();
    expect(result.ok).toBe(true);
    expect(world.starts).toHaveLength(1);
    expect(world.starts[0]).toMatchObject({ name: 'headroom-ollama', script: BINARY, args: ['serve'] });
    expect(result.readyAfterMs).toBe(0);
    expect(server.current).toMatchObject({ owner: { kind: 'headroom' }, env: { verdict: 'safe' } });
  });

  it('adopts its own server and starts no second one', async () => {
    const { server, world } = setup();
    await server.ensure();
    const pid = world.app!.pid;
    const again = await server.ensure();
    expect(again.steps).toEqual([`adopted headroom's server (pid ${pid})`]);
    expect(world.starts).toHaveLength(1);
  });

  it('applies a changed environment with delete + start', async () => {
    const world = new World();
    const first = setup({}, world);
    await first.server.ensure();
    expect(first.server.current?.owner.kind).toBe('headroom');
    const spec = first.deps.spec;
    const changed = setup({ spec: (binary) => ({ ...spec(binary), env: { ...spec(binary).env, OLLAMA_KEEP_ALIVE: '10m' } }) }, world);
    const result = await changed.server.ensure();
    expect(result.plan.summary).toMatch(/OLLAMA_KEEP_ALIVE: 5m -> 10m/);
    expect(world.starts).toHaveLength(2);
    expect(world.app!.env.OLLAMA_KEEP_ALIVE).toBe('10m');
  });

  it('in a dry run says what it would do and does nothing', async () => {
    const { server, world } = setup({ dryRun: true });
    const result = await server.ensure();
    expect(result.steps).toEqual(['would start ollama serve under pm2 with the safe environment']);
    expect(world.starts).toEqual([]);
  });

  it('fails, and says so, when the started server never answers', async () => {
    const { server, world } = setup();
    world.apiAnswers = false;
    const result = await server.ensure();
    expect(result.ok).toBe(false);
    expect(result.steps).toEqual([`started ${BINARY} serve under pm2, but /api/version did not answer within 30000 ms; see /logs/ollama.err.log`]);
  });

  it('fails within a second or so, not at the start timeout, when pm2 gives up on a crash loop', async () => {
    const { server, world, clock } = setup();
    world.crashes = true;
    const before = clock.now();
    const result = await server.ensure();
    expect(result.ok).toBe(false);
    expect(result.steps).toEqual([`${BINARY} serve exited 1 times in a row (last exit code unknown) and pm2 gave up; see /logs/ollama.err.log`]);
    expect(clock.now() - before).toBeLessThanOrEqual(1100);
  });

  it('with no binary starts nothing, warns once, and looks for one at most once a minute', async () => {
    const { server, world, logger, clock } = setup({ findBinary: () => null });
    for (let i = 0; i < 5; i += 1) {
      await server.ensure();
      clock.time += 10_000;
    }
    expect(world.starts).toEqual([]);
    expect(logger.entries.filter((e) => e.level === 'warn' && /no ollama executable/.test(e.message))).toHaveLength(1);
    expect(server.current).toMatchObject({ binary: null, plan: expect.stringMatching(/no ollama executable found/) as unknown });
  });
});

describe('binary lookups', () => {
  it('happen once while found, and again only after a minute while missing', async () => {
    let found: string | null = null;
    let lookups = 0;
    const { server, clock } = setup({
      findBinary: () => {
        lookups += 1;
        return found;
      },
    });
    for (let i = 0; i < 6; i += 1) {
      await server.inspect();
      clock.time += 10_000;
    }
    expect(lookups).toBe(1);
    found = BINARY;
    clock.time += 60_000;
    await server.inspect();
    await server.inspect();
    expect(lookups).toBe(2);
    expect(server.current?.binary).toBe(BINARY);
  });
});

describe('foreign servers', () => {
  it('without takeover: leaves a hand-run server alone, warns once, and judges its environment', async () => {
    const { server, world, logger } = setup();
    world.spawn('ollama serve', { listens: true, env: { OLLAMA_KEEP_ALIVE: '-1' } });
    await server.ensure();
    await server.ensure();
    expect(world.signals).toEqual([]);
    expect(world.starts).toEqual([]);
    expect(logger.entries.filter((e) => e.level === 'warn' && /not by headroom/.test(e.message))).toHaveLength(1);
    expect(server.current).toMatchObject({ owner: { kind: 'manual' }, env: { verdict: 'unsafe' } });
  });

  it('says "unknown" for the environment of another user\'s server, and never signals it, even with takeover', async () => {
    const { server, world } = setup({ takeover: true });
    world.spawn('/usr/local/bin/ollama serve', { listens: true, uid: 0 });
    const result = await server.ensure();
    expect(server.current?.env).toEqual({ verdict: 'unknown', why: expect.stringMatching(/belongs to another user/) as unknown });
    expect(result.ok).toBe(false);
    expect(world.signals).toEqual([]);
    expect(world.starts).toEqual([]);
  });

  it('with takeover: SIGTERMs a hand-run server of the same user, waits for the port, then starts its own', async () => {
    const { server, world } = setup({ takeover: true });
    const pid = world.spawn('ollama serve', { listens: true });
    const result = await server.ensure();
    expect(world.signals).toEqual([{ pid, signal: 'SIGTERM' }]);
    expect(result.steps).toEqual([`stopped the hand-run ollama serve (SIGTERM to pid ${pid})`, 'port 11434 is free', expect.stringMatching(/^started/) as unknown]);
    expect(server.current?.owner.kind).toBe('headroom');
  });

  it('with takeover: stops the brew service with `brew services stop ollama`, not a signal', async () => {
    const world = new World();
    const pid = world.spawn('/opt/homebrew/opt/ollama/bin/ollama serve', { listens: true });
    world.brewPid = pid;
    // brew's output is not captured here; only its argv and exit status matter.
    const brew = new FakeRunner(() => {
      world.end(pid);
      return { exitCode: 0 };
    });
    const { server } = setup({ takeover: true, runner: brew }, world);
    await server.ensure();
    expect(brew.calls.map((c) => [c.file, ...c.args])).toEqual([['brew', 'services', 'stop', 'ollama']]);
    expect(world.signals).toEqual([]);
    expect(server.current?.owner.kind).toBe('headroom');
  });

  it('with takeover: SIGTERMs Ollama.app itself (quitting only hides it), and its server goes with it', async () => {
    const world = new World();
    const appPid = world.spawn('/Applications/Ollama.app/Contents/MacOS/Ollama');
    const serverPid = world.spawn('/Applications/Ollama.app/Contents/Resources/ollama serve', { listens: true, ppid: appPid });
    world.onTerm = (pid) => {
      world.end(pid);
      if (pid === appPid) world.end(serverPid);
    };
    const { server } = setup({ takeover: true }, world);
    const result = await server.ensure();
    expect(world.signals).toEqual([{ pid: appPid, signal: 'SIGTERM' }]);
    expect(result.ok).toBe(true);
    expect(server.current?.owner.kind).toBe('headroom');
  });

  it('starts nothing beside a server that answers on the port while no process is seen listening (another user\'s)', async () => {
    const { server, world } = setup({ takeover: true });
    const answering: OllamaApi = { ...world.api, version: () => Promise.resolve('0.32.15') };
    const blind = setup({ takeover: true, api: answering }, world).server;
    const result = await blind.ensure();
    expect(result.steps).toEqual([]);
    expect(blind.current?.owner).toMatchObject({ kind: 'unknown' });
    expect(world.starts).toEqual([]);
    expect((await server.ensure()).ok).toBe(true);
  });

  it('gives up, and starts nothing, when the port stays taken after the foreign server was stopped', async () => {
    const world = new World();
    const pid = world.spawn('ollama serve', { listens: true });
    world.onTerm = (p) => {
      world.processes = world.processes.filter((x) => x.pid !== p);
    };
    const { server } = setup({ takeover: true }, world);
    const result = await server.ensure();
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toBe('port 11434 is still taken after 15000 ms');
    expect(world.starts).toEqual([]);
    expect(world.signals).toEqual([{ pid, signal: 'SIGTERM' }]);
  });

  it('starts nothing when the freed port is taken again (Ollama.app restarts its server 1 s after it exits)', async () => {
    const world = new World();
    const pid = world.spawn('ollama serve', { listens: true });
    // The port is seen free once, then a new server holds it.
    let restarted = false;
    const listeners = world.probe.portListeners.bind(world.probe);
    world.probe.portListeners = async (port) => {
      const seen = await listeners(port);
      if (world.signals.length > 0 && !restarted && seen?.length === 0) {
        restarted = true;
        world.spawn('/Applications/Ollama.app/Contents/Resources/ollama serve', { listens: true });
      }
      return seen;
    };
    const { server } = setup({ takeover: true }, world);
    const result = await server.ensure();
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toMatch(/^port 11434 was taken again \(pid \d+\) 1500 ms after it was freed$/);
    expect(world.starts).toEqual([]);
    expect(world.signals).toEqual([{ pid, signal: 'SIGTERM' }]);
  });

  it('re-checks a pid right before SIGTERM: one reused by another program is never signalled', async () => {
    const world = new World();
    const pid = world.spawn('ollama serve', { listens: true });
    const { server } = setup({ takeover: true }, world);
    // Between the look and the signal the server exits and its pid is reused.
    const list = world.table.list.bind(world.table);
    let lists = 0;
    world.table.list = async () => {
      lists += 1;
      if (lists === 2) {
        world.end(pid);
        world.processes.push({ pid, ppid: 1, command: '/usr/bin/vim notes.txt', uid: OWN_UID });
        world.listener = pid;
      }
      return list();
    };
    const result = await server.ensure();
    expect(world.signals).toEqual([]);
    expect(result.steps).toEqual([`pid ${pid} is no longer the hand-run ollama serve (/usr/bin/vim notes.txt): headroom does not signal it`]);
    expect(world.starts).toEqual([]);
  });

  it('`start --takeover` hands a foreign server over once, though the config says no', async () => {
    const { server, world } = setup();
    world.spawn('ollama serve', { listens: true });
    expect((await server.start()).steps).toEqual([]);
    expect((await server.start({ takeover: true })).ok).toBe(true);
    expect(server.current?.owner.kind).toBe('headroom');
  });

  it('refuses to restart a server it does not run', async () => {
    const { server, world } = setup();
    world.spawn('ollama serve', { listens: true });
    await expect(server.restart()).rejects.toThrow(/served by a hand-run ollama serve .* not by headroom/);
  });
});

describe('stop and start', () => {
  it('stop deletes the app, stops pm2, and keeps headroom from starting one until start', async () => {
    const { server, world, marker } = setup();
    await server.ensure();
    const steps = await server.stop();
    expect(world.stops).toEqual([{ name: 'headroom-ollama', killDaemon: true }]);
    expect(steps).toEqual(["deleted pm2 app headroom-ollama and stopped pm2's daemon", 'headroom starts no server until "headroom ollama start"']);
    expect(marker()).toBe(true);
    await server.ensure();
    expect(world.starts).toHaveLength(1);
    await server.start();
    expect(marker()).toBe(false);
    expect(world.starts).toHaveLength(2);
  });

  it('stop in a dry run changes nothing', async () => {
    const world = new World();
    await setup({}, world).server.ensure();
    const { server, marker } = setup({ dryRun: true }, world);
    expect(await server.stop()).toEqual(["would delete pm2 app headroom-ollama and stop pm2's daemon", 'would keep headroom from starting a server until "headroom ollama start"']);
    expect(world.stops).toEqual([]);
    expect(marker()).toBe(false);
  });
});

describe('shutdown', () => {
  it('stops the server and pm2 unless keepRunning', async () => {
    const world = new World();
    const { server } = setup({}, world);
    await server.ensure();
    expect(await server.shutdown()).toBe("stopped the server and pm2's daemon");
    expect(world.stops).toEqual([{ name: 'headroom-ollama', killDaemon: true }]);
    expect(world.app).toBeNull();

    const kept = new World();
    const keeping = setup({ keepRunning: true }, kept);
    await keeping.server.ensure();
    expect(await keeping.server.shutdown()).toMatch(/keepRunning is true/);
    expect(kept.stops).toEqual([]);
  });

  it('cuts short a start that is waiting for /api/version, then stops', async () => {
    const world = new World();
    world.apiAnswers = false;
    const realClock = { now: () => Date.now(), sleep: (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => { const t = setTimeout(resolve, ms); signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }); }) };
    const { server } = setup({ clock: realClock }, world);
    const starting = server.ensure();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = Date.now();
    await server.shutdown();
    expect(Date.now() - before).toBeLessThan(5000);
    const result = await starting;
    expect(result.ok).toBe(false);
    expect(world.stops).toHaveLength(1);
  });

  it('does nothing in a dry run, or when headroom manages nothing', async () => {
    const world = new World();
    await setup({}, world).server.ensure();
    expect(await setup({ dryRun: true }, world).server.shutdown()).toBe('dry run: would stop the server');
    expect(await setup({ manage: false }, world).server.shutdown()).toMatch(/manage is false/);
    expect(world.stops).toEqual([]);
  });
});

describe('health checks', () => {
  it('restart a server that stops answering after 3 failures in a row, and not before', async () => {
    const { server, world, clock } = setup();
    await server.ensure();
    world.apiAnswers = false;
    await checks(server, clock, 2);
    expect(world.starts).toHaveLength(1);
    expect(server.current?.health.consecutiveFailures).toBe(2);
    world.apiAnswers = true;
    await checks(server, clock, 1);
    expect(server.current?.health.consecutiveFailures).toBe(0);
    world.apiAnswers = false;
    await checks(server, clock, 3);
    expect(world.starts).toHaveLength(2);
    expect(server.current?.health.restartsInWindow).toBe(1);
  });

  it('run no more often than the interval', async () => {
    const { server, world, clock } = setup();
    await server.ensure();
    world.apiAnswers = false;
    for (let i = 0; i < 20; i += 1) {
      server.tick();
      await server.settle();
      clock.time += 1000;
    }
    // 20 s of ticks every second at a 10 s interval: 2 checks, no restart yet.
    expect(server.current?.health.consecutiveFailures).toBe(2);
    expect(world.starts).toHaveLength(1);
  });

  it('stop restarting once the budget is spent, notify once, say so, and reset when it answers', async () => {
    const { server, world, clock, notifier, logger } = setup();
    await server.ensure();
    world.apiAnswers = false;
    await checks(server, clock, 3 * 3);
    expect(world.starts).toHaveLength(4);
    await checks(server, clock, 3 * 2);
    expect(world.starts).toHaveLength(4);
    expect(notifier.sent).toEqual([{ title: 'headroom: Ollama keeps failing', message: expect.stringMatching(/restarted 3 times in 10 min: headroom stops restarting it/) as unknown }]);
    expect(server.current?.health).toMatchObject({ budgetSpent: true, restartsInWindow: 3 });
    expect(logger.entries.filter((e) => e.level === 'error' && /stops restarting/.test(e.message))).toHaveLength(1);
    world.apiAnswers = true;
    await checks(server, clock, 1);
    expect(server.current?.health.budgetSpent).toBe(false);
  });

  it('allow restarts again once old ones leave the window', async () => {
    const { server, world, clock } = setup();
    await server.ensure();
    world.apiAnswers = false;
    await checks(server, clock, 3 * 4);
    expect(world.starts).toHaveLength(4);
    clock.time += 600_000;
    await checks(server, clock, 3);
    expect(world.starts).toHaveLength(5);
  });

  it('start a server when headroom\'s has died and nobody serves, but not after "headroom ollama stop"', async () => {
    const { server, world, clock } = setup();
    await server.ensure();
    world.end(world.app!.pid);
    await checks(server, clock, 3);
    expect(world.starts).toHaveLength(2);
    await server.stop();
    await checks(server, clock, 6);
    expect(world.starts).toHaveLength(2);
  });

  it('never restart a foreign server', async () => {
    const { server, world, clock } = setup({ takeover: false });
    world.spawn('ollama serve', { listens: true });
    world.apiAnswers = false;
    await checks(server, clock, 9);
    expect(world.starts).toEqual([]);
    expect(world.signals).toEqual([]);
  });

  it('in a dry run, only say what they would do', async () => {
    const world = new World();
    await setup({}, world).server.ensure();
    const { server, clock, logger } = setup({ dryRun: true }, world);
    world.apiAnswers = false;
    await checks(server, clock, 3);
    expect(world.starts).toHaveLength(1);
    expect(logger.entries.some((e) => /restarting Ollama: it stopped answering/.test(e.message))).toBe(true);
  });
});
