/**
 * The composition root: the only module that wires real adapters (child processes, pino, node:fs, the
 * system clock) to the platform backends and the daemon. CLI commands call in here.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ChildProcessRunner } from './adapters/child-process-runner.js';
import { createLogger, type LoggerHandle } from './adapters/pino-logger.js';
import { copyTruncateIfOver } from './adapters/rotating-file.js';
import { systemClock } from './adapters/system-clock.js';
import { loadConfig, locateConfig } from './config/load.js';
import { expandHome, runtimePaths, type RuntimePaths } from './config/paths.js';
import type { Config } from './config/schema.js';
import type { MemorySnapshot } from './core/memory.js';
import { Daemon } from './daemon/daemon.js';
import { ProcTextReader } from './adapters/proc-text-reader.js';
import { InstanceLock } from './daemon/instance-lock.js';
import { removeStaleTempFiles, type DaemonState } from './daemon/state-file.js';
import { DEFAULT_READ_BUDGET_MS, Guard } from './guard/guard.js';
import { guardRules, stillPacing } from './guard/rules.js';
import { OllamaHttpClient } from './ollama/client.js';
import { isLocalAddress, parseOllamaHost, resolveOllamaUrl, serverListenHost } from './ollama/host.js';
import { ollamaChildEnv } from './ollama/safe-env.js';
import { OllamaServer, PM2_APP_NAME, type ServerStatus, type StopMarker } from './ollama/server.js';
import { EXTRA_BINARY_DIRS, findBinary } from './ollama/serving.js';
import { Pm2Manager } from './adapters/pm2/pm2-manager.js';
import type { Notifier } from './ports/notifier.js';
import type { ProcessTable } from './ports/processes.js';
import { OllamaWatcher } from './ollama/watcher.js';
import type { MemorySensor } from './core/memory.js';
import type { CommandRunner } from './ports/command-runner.js';
import type { BootIdentity, BootSensor } from './ports/boot.js';
import type { OllamaReading } from './guard/types.js';
import { silentLogger, type Logger } from './ports/logger.js';
import {
  createBootSensor,
  createMemorySensor,
  createNotifier,
  createPidLookup,
  createCrashReports,
  createPrecursorLog,
  createProcessInspector,
  createProcessTable,
  createServerProbe,
  createWindowServerSensor,
} from './platform/index.js';
import type { ProcessInspector } from './ports/processes.js';
import { fixedWindowServer, WindowServerWatch, type WindowServerFollower } from './windowserver/watch.js';
import { IdentityFile } from './windowserver/identity-file.js';
import { HeaviestProcesses } from './processes/heaviest.js';
import { ProcessGuard } from './processes/guard.js';
import { guardedRules } from './processes/rules.js';
import type { ProtectedPid } from './processes/protect.js';
import { previewProcesses, type ProcessPreview } from './processes/preview.js';
import { RunRecordFiles, startFacts, type StartFacts } from './daemon/previous-run.js';
import { installShutdownSignals } from './daemon/shutdown-signals.js';
import { colimaProfile, resolveColimaHome, type ColimaProfile } from './docker/colima-paths.js';
import { ActionExecutor } from './docker/executor.js';
import { gatherFacts } from './docker/gather.js';
import { GaveUpFile } from './docker/gave-up-file.js';
import { StartCountFile } from './docker/start-count-file.js';
import { recover, type RecoveryDeps, type RecoveryReport } from './docker/recovery.js';
import { DockerService } from './docker/service.js';
import { ServiceChecker, serviceSpecs } from './docker/services.js';
import { pingDocker } from './docker/sockets.js';
import type { ColimaFacts, PingResult } from './docker/types.js';
import type { DiagnoseSettings } from './docker/diagnose.js';
import { nodeSignaller } from './adapters/node-signaller.js';
import { detectPlatform, type PlatformName } from './platform/platform.js';
import { HEADROOM_VERSION } from './version.js';
import { GiB, MiB } from './core/units.js';
import { NodeCronSchedule } from './adapters/node-cron-schedule.js';
import { ProbeHistoryFile } from './probe/history-file.js';
import { RunLockFile, type LockResult } from './probe/run-lock.js';
import { ProbeRunner, type ProbeSettings } from './probe/runner.js';
import { MISSED_AFTER_MS, ProbeService, runAndRecord } from './probe/service.js';
import type { ProbeRun } from './probe/types.js';
import { LaunchAgent, type AgentFiles } from './launchd/agent.js';
import { installedConfigFile, renderAgentPlist, stableNodePath, type AgentSpec } from './launchd/plist.js';
import { defaultConfig } from './config/schema.js';
import { ConfigError } from './config/load.js';
import {
  checkAgent,
  checkConfig,
  checkLogFolder,
  checkNode,
  checkNotifications,
  checkOllama,
  checkPm2,
  checkServer,
  checkTool,
  type CheckResult,
} from './doctor/checks.js';

/** The process's surroundings, passed in so commands never read globals directly. */
export interface Surroundings {
  env: NodeJS.ProcessEnv;
  home: string;
  nodePlatform: string;
  isTTY: boolean;
}

/** The global CLI options every command takes. */
export interface GlobalOptions {
  config?: string | undefined;
  platform?: PlatformName | undefined;
}

/** A loaded config with its platform and paths resolved. */
export interface Setup {
  config: Config;
  /** The file the config came from; null for built-in defaults. */
  configFile: string | null;
  platform: PlatformName;
  paths: RuntimePaths;
}

/** Loads the config and resolves the platform; throws ConfigError or UnsupportedPlatformError. */
export async function loadSetup(options: GlobalOptions, surroundings: Surroundings): Promise<Setup> {
  const platform = options.platform ?? detectPlatform(surroundings.nodePlatform);
  const { config, file } = await loadConfig(locateConfig(options.config, surroundings.env, surroundings.home));
  return { config, configFile: file, platform, paths: runtimePaths(config, platform, surroundings.home, surroundings.env) };
}

/**
 * Reads procfs synchronously: its files are generated in memory and never wait on a disk, and a
 * sync read measured 0.014 ms of CPU against 0.19 ms for fs.promises.readFile (docs/memory.md).
 */
function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Takes one memory sample without a daemon (one-shot commands: no long-lived children). */
export async function sampleOnce(setup: Setup, surroundings: Surroundings): Promise<MemorySnapshot> {
  const runner = new ChildProcessRunner(surroundings.env);
  const sensor = createMemorySensor(
    setup.platform,
    { config: setup.config, paths: setup.paths, runner, clock: systemClock, readText, logger: silentLogger },
    'oneshot',
  );
  try {
    return await sensor.sample();
  } finally {
    await sensor.close();
  }
}

/** The URL headroom talks to Ollama on (docs/config.md, `ollama.url`). */
export function ollamaUrl(setup: Setup, surroundings: Surroundings): string {
  return resolveOllamaUrl(setup.config.ollama.url, surroundings.env, setup.config.ollama.env.OLLAMA_HOST);
}

/** Reads Ollama once without a daemon (for `headroom status`). */
export async function readOllamaOnce(setup: Setup, surroundings: Surroundings): Promise<{ url: string; reading: OllamaReading }> {
  const url = ollamaUrl(setup, surroundings);
  const api = new OllamaHttpClient({ baseUrl: url, timeoutMs: setup.config.ollama.timeoutMs });
  const watcher = new OllamaWatcher({ api, clock: systemClock, logger: silentLogger, pollIntervalMs: setup.config.ollama.pollIntervalMs, processes: null });
  return { url, reading: await watcher.read(true) };
}

/** Options of `headroom run`. */
export interface RunOptions {
  /** --dry-run: log "would unload" and send nothing. */
  dryRun?: boolean;
}

/** The guard and its Ollama watcher, wired to real adapters; null when `guard.enabled` is false. */
function createGuard(
  setup: Setup,
  deps: { url: string; runner: CommandRunner; sensor: MemorySensor; logger: Logger; dryRun: boolean; notifier: Notifier | null; processes: ProcessTable; inspector: ProcessInspector; stopping: AbortSignal },
): { guard: Guard; watcher: OllamaWatcher } | null {
  const { config } = setup;
  if (!config.guard.enabled) return null;
  const api = new OllamaHttpClient({ baseUrl: deps.url, timeoutMs: config.ollama.timeoutMs });
  const watcher = new OllamaWatcher({ api, clock: systemClock, logger: deps.logger, pollIntervalMs: config.ollama.pollIntervalMs, still: stillPacing(config), processes: deps.processes });
  const guard = new Guard({
    watcher,
    api,
    notifier: deps.notifier,
    clock: systemClock,
    logger: deps.logger,
    rules: guardRules(config, deps.dryRun),
    resample: (signal) => deps.sensor.sample(signal),
    unloadTimeoutMs: config.ollama.unloadTimeoutMs,
    unloadPollMs: UNLOAD_POLL_MS,
    inspector: deps.inspector,
    signaller: nodeSignaller,
    stopping: deps.stopping,
    readBudgetMs: DEFAULT_READ_BUDGET_MS,
  });
  return { guard, watcher };
}

/** Poll pacing while waiting for an unloaded model to leave /api/ps. */
const UNLOAD_POLL_MS = 250;

/** True for an executable regular file. */
function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `headroom ollama stop`'s marker file, in the state folder. */
function stopMarkerFile(paths: RuntimePaths): StopMarker {
  const file = path.join(paths.stateDir, 'ollama.stopped');
  return {
    isSet: () => existsSync(file),
    set: () => writeFileSync(file, `${new Date().toISOString()}\n`, { mode: 0o600 }),
    clear: () => rmSync(file, { force: true }),
  };
}

/** headroom's own PM2_HOME: short, because pm2's sockets live there and a socket path may have 104 bytes. */
export function pm2Home(paths: RuntimePaths): string {
  return path.join(paths.stateDir, 'pm2');
}

/** headroom's Ollama server: pm2 in its own PM2_HOME, the safe environment, the platform's probes. */
export function createOllamaServer(
  setup: Setup,
  surroundings: Surroundings,
  deps: { runner: CommandRunner; logger: Logger; notifier: Notifier | null; processes: ProcessTable; dryRun: boolean },
): OllamaServer {
  const { config, paths } = setup;
  const settings = config.ollama;
  const url = ollamaUrl(setup, surroundings);
  const address = parseOllamaHost(url);
  const listenHost = serverListenHost(url, settings.env.OLLAMA_HOST);
  const home = (file: string): string => expandHome(file, surroundings.home);
  const childEnv = ollamaChildEnv(settings.env, listenHost, { PATH: surroundings.env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin', HOME: surroundings.home }, home);
  const searchDirs = [...(surroundings.env.PATH ?? '').split(path.delimiter), ...EXTRA_BINARY_DIRS[setup.platform]];
  return new OllamaServer({
    manage: settings.manage,
    unmanagedWhy: isLocalAddress(address) ? null : `ollama.url names another machine (${url})`,
    takeover: settings.takeover,
    keepRunning: settings.keepRunning,
    findBinary: () => (settings.binary ? (isExecutableFile(home(settings.binary)) ? home(settings.binary) : null) : findBinary(searchDirs, isExecutableFile)),
    port: address.port,
    spec: (binary) => ({
      name: PM2_APP_NAME,
      script: binary,
      args: ['serve'],
      cwd: paths.stateDir,
      env: childEnv,
      outFile: path.join(paths.logDir, 'ollama.out.log'),
      errFile: path.join(paths.logDir, 'ollama.err.log'),
      minUptimeMs: settings.restart.minUptimeMs,
      maxRestarts: settings.restart.maxRestarts,
      backoffMs: settings.restart.backoffMs,
      killTimeoutMs: settings.stopTimeoutMs,
    }),
    envSettings: settings.env,
    startTimeoutMs: settings.startTimeoutMs,
    health: settings.health,
    manager: new Pm2Manager({ runner: deps.runner, pm2Home: pm2Home(paths), nodePath: process.execPath, timeoutMs: Math.max(PM2_TIMEOUT_MS, settings.stopTimeoutMs + 10_000) }),
    probe: createServerProbe(setup.platform, deps.runner, paths.procRoot, config.daemon.commandTimeoutMs),
    processes: deps.processes,
    signaller: nodeSignaller,
    runner: deps.runner,
    api: new OllamaHttpClient({ baseUrl: url, timeoutMs: settings.timeoutMs }),
    clock: systemClock,
    logger: deps.logger,
    notifier: deps.notifier,
    stopMarker: stopMarkerFile(paths),
    dryRun: deps.dryRun,
  });
}

/** Longest wait for one pm2 operation; starting pm2's daemon took about 0.3 s here. */
const PM2_TIMEOUT_MS = 30_000;

/** A one-shot command's log: headroom's folders (0700, created when missing) and its log file, appended to, never rotated. */
async function openCommandLog(setup: Setup): Promise<LoggerHandle> {
  process.umask(0o077);
  await mkdir(setup.paths.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(setup.paths.logDir, { recursive: true, mode: 0o700 });
  return createLogger({ level: setup.config.log.level, file: setup.paths.logFile, stdout: 'off', isTTY: false });
}

/**
 * Runs `use` with a one-shot Ollama server (the `headroom ollama` commands). With `log`, its
 * lines go to the log file and the folders pm2 writes into are made; without (status), nothing
 * is written.
 */
export async function withOllamaServer<T>(setup: Setup, surroundings: Surroundings, options: { dryRun: boolean; log: boolean }, use: (server: OllamaServer) => Promise<T>): Promise<T> {
  let handle: LoggerHandle | null = null;
  if (options.log) {
    handle = await openCommandLog(setup);
  }
  const runner = new ChildProcessRunner(surroundings.env);
  const processes = createProcessTable(setup.platform, runner, setup.paths.processRoot, setup.config.daemon.commandTimeoutMs);
  const notifier = setup.config.notify.enabled ? createNotifier(setup.platform, runner) : null;
  const logger = handle ? handle.logger.child({ command: 'ollama' }) : silentLogger;
  const server = createOllamaServer(setup, surroundings, { runner, logger, notifier, processes, dryRun: options.dryRun });
  try {
    return await use(server);
  } finally {
    handle?.flush();
  }
}

/** Looks at the Ollama server once, writing nothing (for `headroom status`). */
export function inspectServerOnce(setup: Setup, surroundings: Surroundings): Promise<ServerStatus> {
  return withOllamaServer(setup, surroundings, { dryRun: true, log: false }, (server) => server.inspect());
}

/** The probe settings: the probe section, with the guard's size limits and floor. */
export function probeSettings(config: Config): ProbeSettings {
  const { probe, guard } = config;
  return {
    probes: probe.probes,
    model: probe.model,
    timeoutMs: probe.timeoutMs,
    minAnswerChars: probe.minAnswerChars,
    keepAlive: probe.keepAlive ?? config.ollama.env.OLLAMA_KEEP_ALIVE,
    contextLength: probe.contextLength,
    limits: { maxModelFraction: { ...guard.maxModelFraction }, allowLargeModels: [...guard.allowLargeModels] },
    floor: { floorMinBytes: guard.floorMinGiB * GiB, floorPercent: guard.floorPercent },
  };
}

/** probes.json (the kept runs) and probe.lock, in the state folder. */
export function probeFiles(paths: RuntimePaths): { history: string; lock: string } {
  return { history: path.join(paths.stateDir, 'probes.json'), lock: path.join(paths.stateDir, 'probe.lock') };
}

/** The probe runner, its history and its lock, on real adapters. */
function probeParts(setup: Setup, surroundings: Surroundings, deps: { sample: (signal?: AbortSignal) => Promise<MemorySnapshot>; logger: Logger }) {
  const files = probeFiles(setup.paths);
  const api = new OllamaHttpClient({ baseUrl: ollamaUrl(setup, surroundings), timeoutMs: setup.config.ollama.timeoutMs });
  return {
    runner: new ProbeRunner({ api, sample: deps.sample, clock: systemClock, settings: probeSettings(setup.config), logger: deps.logger }),
    history: new ProbeHistoryFile(files.history, setup.config.probe.keepRuns),
    // No run lasts longer than every probe timing out, plus the model choice: an older lock is stale.
    lock: new RunLockFile(files.lock, process.pid, setup.config.probe.timeoutMs * setup.config.probe.probes.length + 60_000),
  };
}

/** `headroom probe`: one run now, under the lock, kept in probes.json and logged to the log file. */
export async function probeOnce(setup: Setup, surroundings: Surroundings, options: { model?: string | undefined; dryRun: boolean }): Promise<ProbeRun> {
  const handle = await openCommandLog(setup);
  const logger = handle.logger.child({ command: 'probe' });
  const runner = new ChildProcessRunner(surroundings.env);
  const sensor = createMemorySensor(setup.platform, { config: setup.config, paths: setup.paths, runner, clock: systemClock, readText, logger }, 'oneshot');
  try {
    const parts = probeParts(setup, surroundings, { sample: (signal) => sensor.sample(signal), logger });
    return await runAndRecord({ ...parts, clock: systemClock, logger }, 'cli', { model: options.model, dryRun: options.dryRun });
  } finally {
    await sensor.close();
    handle.flush();
  }
}

/** The kept probe runs, oldest first; [] when none or unreadable (for `headroom status`). */
export function readProbeRuns(setup: Setup): ProbeRun[] {
  return new ProbeHistoryFile(probeFiles(setup.paths).history, setup.config.probe.keepRuns).load({ moveAside: false }).runs;
}

/** node:fs for the LaunchAgent: the plist is 0644 (launchd refuses one others may write; it holds no secret). */
const agentFiles: AgentFiles = {
  read: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  write: (file, text) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { mode: 0o644 });
  },
  remove: (file) => rmSync(file, { force: true }),
  mkdir: (dir) => mkdirSync(dir, { recursive: true, mode: 0o700 }),
};

/** The plist's inputs: this node, this install's entry script, the config file unless it is the default one. */
export function agentSpec(setup: Setup, surroundings: Surroundings): AgentSpec {
  const launchdDefault = locateConfig(undefined, {}, surroundings.home).file;
  const deadlineMs = shutdownDeadlineMs(setup.config);
  return {
    label: setup.config.launchd.label,
    nodePath: stableNodePath(process.execPath, existsSync),
    entryScript: fileURLToPath(new URL('./cli/main.js', import.meta.url)),
    configFile: setup.configFile !== null && setup.configFile !== launchdDefault ? setup.configFile : null,
    logDir: setup.paths.logDir,
    stateDir: setup.paths.stateDir,
    // launchd's SIGKILL must come after headroom's own shutdown deadline.
    exitTimeoutS: Math.ceil(deadlineMs / 1000) + 2,
  };
}

/** ~/Library/LaunchAgents/<label>.plist */
export function agentPlistFile(setup: Setup, surroundings: Surroundings): string {
  return path.join(surroundings.home, 'Library', 'LaunchAgents', `${setup.config.launchd.label}.plist`);
}

/** headroom's LaunchAgent, on launchctl through the command runner. */
export function createLaunchAgent(setup: Setup, surroundings: Surroundings, options: { dryRun: boolean }): LaunchAgent {
  return new LaunchAgent({
    label: setup.config.launchd.label,
    plistFile: agentPlistFile(setup, surroundings),
    plistText: renderAgentPlist(agentSpec(setup, surroundings)),
    folders: [setup.paths.logDir, setup.paths.stateDir],
    runner: new ChildProcessRunner(surroundings.env),
    files: agentFiles,
    clock: systemClock,
    commandTimeoutMs: LAUNCHCTL_TIMEOUT_MS,
    bootoutWaitMs: BOOTOUT_WAIT_MS,
    dryRun: options.dryRun,
  });
}

/** True when `dir`, or the nearest folder above it that exists, can be written. */
function writableOrCreatable(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(current)) {
      try {
        accessSync(current, constants.W_OK);
        return statSync(current).isDirectory();
      } catch {
        return false;
      }
    }
    if (path.dirname(current) === current) return false;
  }
}

/**
 * The options doctor checks with: when no config is named (--config, HEADROOM_CONFIG), the one
 * the installed LaunchAgent runs with, so that doctor looks at what the agent really uses.
 */
async function doctorOptions(options: GlobalOptions, surroundings: Surroundings): Promise<GlobalOptions> {
  if (options.config !== undefined || surroundings.env.HEADROOM_CONFIG) return options;
  const platform = options.platform ?? detectPlatform(surroundings.nodePlatform);
  if (platform !== 'darwin') return options;
  const defaults = await loadSetup(options, surroundings).catch(() => null);
  const text = defaults ? agentFiles.read(agentPlistFile(defaults, surroundings)) : null;
  const file = text === null ? null : installedConfigFile(text);
  return file ? { ...options, config: file } : options;
}

/** `headroom doctor`: every check, on the config if it loads, else on the defaults. */
export async function runDoctor(options: GlobalOptions, surroundings: Surroundings): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(process.version)];
  let setup: Setup;
  try {
    setup = await loadSetup(await doctorOptions(options, surroundings), surroundings);
    results.push(checkConfig(setup.configFile, null));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    results.push(checkConfig(null, error.message));
    const platform = options.platform ?? detectPlatform(surroundings.nodePlatform);
    const config = defaultConfig();
    setup = { config, configFile: null, platform, paths: runtimePaths(config, platform, surroundings.home, surroundings.env) };
  }
  const onPath = (name: string): string | null => findBinary((surroundings.env.PATH ?? '').split(path.delimiter), isExecutableFile, name);

  const plistFile = agentPlistFile(setup, surroundings);
  const expectedText = renderAgentPlist(agentSpec(setup, surroundings));
  if (setup.platform === 'darwin') {
    const agent = createLaunchAgent(setup, surroundings, { dryRun: true });
    const status = await agent.status().catch((error: unknown) => ({ loaded: false, problem: (error as Error).message, installed: false }));
    results.push(checkAgent({ platform: 'darwin', plistFile, installedText: agentFiles.read(plistFile), expectedText, loaded: status.problem ? null : status.loaded, problem: status.problem }));
  } else {
    results.push(checkAgent({ platform: setup.platform, plistFile, installedText: null, expectedText, loaded: null, problem: null }));
  }
  results.push(checkLogFolder(setup.paths.logDir, writableOrCreatable(setup.paths.logDir)));

  const url = ollamaUrl(setup, surroundings);
  const api = new OllamaHttpClient({ baseUrl: url, timeoutMs: setup.config.ollama.timeoutMs });
  const version = await api.version().then(
    (value) => ({ value, error: null }),
    (error: unknown) => ({ value: null, error: (error as Error).message }),
  );
  results.push(checkOllama(url, version.value, version.error));
  const server = await inspectServerOnce(setup, surroundings);
  results.push(checkServer(server));
  results.push(checkPm2(server.managed, setup.config.ollama.manage));
  results.push(checkNotifications(setup.platform, onPath('osascript'), onPath('notify-send')));
  results.push(checkTool('colima', onPath('colima')));
  results.push(checkTool('docker', onPath('docker')));
  return results;
}

/** One launchctl call; bootstrap and bootout answer in well under a second. */
const LAUNCHCTL_TIMEOUT_MS = 10_000;
/** How long a booted-out agent may take to leave: launchd SIGTERMs it and waits up to its ExitTimeOut. */
const BOOTOUT_WAIT_MS = 15_000;

/** How often the daemon looks at the size of the log files other processes write. */
const FOREIGN_LOG_CHECK_MS = 60_000;

/** Log files other processes write beside headroom.log: Ollama's (pm2) and the LaunchAgent's (launchd). */
const FOREIGN_LOG_FILES = ['ollama.out.log', 'ollama.err.log', 'launchd.out.log', 'launchd.err.log'];

/** Rotates the log files pm2 and launchd write past log.maxSizeMiB; never throws. */
export function rotateForeignLogs(setup: Setup, logger: Logger): void {
  for (const name of FOREIGN_LOG_FILES) {
    const file = path.join(setup.paths.logDir, name);
    try {
      if (copyTruncateIfOver(file, setup.config.log.maxSizeMiB * MiB, setup.config.log.keepFiles)) logger.info({ component: 'daemon', file }, 'rotated a log file another process writes');
    } catch (error) {
      logger.warn({ component: 'daemon', file, err: (error as Error).message }, 'could not rotate a log file another process writes');
    }
  }
}

/** Reads the boot, compares it with the run before and records this one; logs what it found. Never throws. */
async function recordStart(files: RunRecordFiles, boot: BootSensor, startedAt: number, logger: Logger, stop: AbortSignal, cancel: AbortSignal): Promise<StartFacts | null> {
  const identity = await boot.read(cancel);
  if (identity.errors) logger.warn({ component: 'daemon', errors: identity.errors }, 'could not read which boot this is');
  try {
    const facts = files.begin(process.pid, startedAt, identity);
    // begin() clears the marker: a signal that came while the boot was read must set it again.
    if (stop.aborted) files.markCleanStop(Date.now());
    const fields = { component: 'daemon', boot: identity, previous: facts.previous, rebooted: facts.rebooted, uncleanStop: facts.uncleanStop };
    if (facts.uncleanStop) logger.warn(fields, facts.rebooted ? 'the previous run did not stop cleanly, and the machine rebooted since: a power cut, a panic or a forced restart' : 'the previous run did not stop cleanly (killed or crashed)');
    else logger.info(fields, facts.previous === null ? 'first run recorded' : facts.rebooted ? 'the machine rebooted since the previous run' : 'previous run stopped cleanly');
    return facts;
  } catch (error) {
    logger.error({ component: 'daemon', err: error, file: files.recordFile }, 'could not record this run');
    return null;
  }
}

/** The WindowServer watch on macOS; a fixed status on Linux (not applicable) or when it is off. */
function createWindowServerWatch(
  setup: Setup,
  deps: { runner: CommandRunner; inspector: ProcessInspector; start: Promise<StartFacts | null>; logger: Logger; notifier: Notifier | null; signal: AbortSignal; home: string },
): WindowServerFollower {
  const { config, platform, paths } = setup;
  const sensor = createWindowServerSensor(platform, deps.runner, deps.inspector, config.daemon.commandTimeoutMs);
  if (!sensor) return fixedWindowServer('not applicable', 'Linux has no WindowServer');
  if (!config.windowServer.enabled) return fixedWindowServer('unknown', 'not followed (windowServer.enabled is false)');
  return new WindowServerWatch({
    sensor,
    log: config.windowServer.readLog ? createPrecursorLog(platform, deps.runner) : null,
    identity: new IdentityFile(paths.stateDir),
    crashReports: createCrashReports(platform, deps.home),
    start: deps.start,
    clock: systemClock,
    logger: deps.logger,
    notifier: deps.notifier,
    rules: config.windowServer,
    signal: deps.signal,
  });
}

/**
 * The pids protected with their descendants besides those the protected set knows by name:
 * pm2's daemon (from its pid file in headroom's PM2_HOME, read fresh) and whoever serves Ollama.
 */
export function protectedPids(paths: RuntimePaths, server: { readonly current: ServerStatus | null } | null): ProtectedPid[] {
  const pids: ProtectedPid[] = [];
  try {
    const pid = Number(readFileSync(path.join(pm2Home(paths), 'pm2.pid'), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) pids.push({ pid, what: "headroom's pm2 daemon" });
  } catch {
    // No pm2 daemon runs.
  }
  const owner = server?.current?.owner;
  if (owner && 'pid' in owner && owner.kind !== 'foreign') pids.push({ pid: owner.pid, what: 'the Ollama server' });
  if (owner?.kind === 'app' && owner.appPid !== null) pids.push({ pid: owner.appPid, what: 'Ollama.app' });
  return pids;
}

/**
 * `headroom processes`: the heaviest processes now (one `top` and one `ps` on macOS; /proc on
 * Linux) and what the guarded patterns would do with what runs. `daemonPid`: the running
 * daemon, protected with its children like headroom itself.
 */
export async function previewProcessesNow(setup: Setup, surroundings: Surroundings, options: { limit: number; daemonPid: number | null }): Promise<ProcessPreview> {
  const runner = new ChildProcessRunner(surroundings.env);
  const inspector = createProcessInspector(setup.platform, runner, setup.paths.processRoot, setup.config.daemon.commandTimeoutMs);
  const [heaviest, processes] = [await inspector.heaviest(options.limit), await inspector.list()];
  const named = protectedPids(setup.paths, null);
  if (options.daemonPid !== null) named.push({ pid: options.daemonPid, what: 'the headroom daemon' });
  return previewProcesses({ processes, heaviest, rules: guardedRules(setup.config), ownUid: nodeSignaller.ownUid, ownPid: process.pid, protectedPids: named });
}

/** How a daemon run ended. */
export interface DaemonExit {
  exitCode: number;
}

/** Longest time from SIGTERM/SIGINT to exit when no Ollama server has to stop; launchd's exit timeout is 5 s, the goal is 2 s. */
export const SHUTDOWN_DEADLINE_MS = 1800;
/** How long the tick under way at SIGTERM may finish before its commands are canceled. */
export const SHUTDOWN_CANCEL_AFTER_MS = 1000;
/** pm2's part of stopping the server (agent start-up, delete, killDaemon): 0.3 s measured, with room. */
const SERVER_STOP_OVERHEAD_MS = 1500;

/** Longest time from SIGTERM to exit: more when the daemon also stops its Ollama server. */
export function shutdownDeadlineMs(config: Config): number {
  const stopsServer = config.ollama.manage && !config.ollama.keepRunning;
  return stopsServer ? Math.max(SHUTDOWN_DEADLINE_MS, config.ollama.stopTimeoutMs + SERVER_STOP_OVERHEAD_MS) : SHUTDOWN_DEADLINE_MS;
}

/**
 * Runs the daemon in the foreground until SIGTERM or SIGINT. Throws AlreadyRunningError when
 * another daemon holds the socket. At a signal, the server headroom runs is stopped at once,
 * beside the last tick (unless ollama.keepRunning).
 */
export async function runDaemon(setup: Setup, surroundings: Surroundings, options: RunOptions = {}): Promise<DaemonExit> {
  // Signals first: a SIGTERM while starting up must still end in a clean exit 0.
  const stop = new AbortController();
  const cancel = new AbortController();
  let logger: Logger = silentLogger;
  let handle: LoggerHandle | null = null;
  let runRecord: RunRecordFiles | null = null;
  const { paths, config } = setup;
  const removeSignals = installShutdownSignals({
    signals: process,
    stop,
    cancel,
    cancelAfterMs: SHUTDOWN_CANCEL_AFTER_MS,
    deadlineMs: shutdownDeadlineMs(config),
    markCleanStop: () => runRecord?.markCleanStop(Date.now()),
    log: { info: (fields, message) => logger.info(fields, message), warn: (fields, message) => logger.warn(fields, message), error: (fields, message) => logger.error(fields, message) },
    flush: () => handle?.flush(),
    exit: (code) => process.exit(code),
    setTimer: (run, ms) => {
      setTimeout(run, ms).unref();
    },
  });

  process.umask(0o077);
  await mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
  handle = createLogger({
    level: config.log.level,
    file: paths.logFile,
    // Only the daemon rotates: it runs all the time; one-shot commands append.
    rotation: { maxBytes: config.log.maxSizeMiB * MiB, keepFiles: config.log.keepFiles },
    stdout: config.log.stdout,
    isTTY: surroundings.isTTY,
  });
  logger = handle.logger;
  const startedAt = Date.now();
  let lock: InstanceLock;
  // The socket serves the daemon's state live once the loop exists.
  let liveState: () => DaemonState | null = () => null;
  try {
    lock = await InstanceLock.acquire(paths.socketFile, { pid: process.pid, startedAt }, () => liveState());
  } catch (error) {
    removeSignals();
    throw error;
  }
  await chmod(paths.socketFile, 0o600);
  const removed = await removeStaleTempFiles(paths.stateFile);

  const runner = new ChildProcessRunner(surroundings.env, (reason) =>
    logger.warn({ reason }, 'cannot make a FIFO for vm_stat: its rows are watched, one more wake-up a sample'),
  );
  runRecord = new RunRecordFiles(paths.stateDir);
  // In the background: a slow sysctl must not hold up the first sample.
  const start = recordStart(runRecord, createBootSensor(setup.platform, runner, paths.procRoot, readText, config.daemon.commandTimeoutMs), startedAt, logger, stop.signal, cancel.signal);
  // procfs files stay open for the daemon's life: one pread per file per sample (adapters/proc-text-reader.ts).
  const procText = new ProcTextReader();
  const sensor = createMemorySensor(
    setup.platform,
    { config, paths, runner, clock: systemClock, readText: (file) => procText.read(file), logger },
    'stream',
  );
  const dryRun = options.dryRun === true || config.guard.dryRun;
  const url = ollamaUrl(setup, surroundings);
  const notifier = config.notify.enabled ? createNotifier(setup.platform, runner) : null;
  const processes = createProcessTable(setup.platform, runner, paths.processRoot, config.daemon.commandTimeoutMs);
  const inspector = createProcessInspector(setup.platform, runner, paths.processRoot, config.daemon.commandTimeoutMs);
  const guarded = createGuard(setup, { url, runner, sensor, logger, dryRun, notifier, processes, inspector, stopping: stop.signal });
  const server = createOllamaServer(setup, surroundings, { runner, logger, notifier, processes, dryRun });
  const windowServer = createWindowServerWatch(setup, { runner, inspector, start, logger, notifier, signal: cancel.signal, home: surroundings.home });
  const heaviest = new HeaviestProcesses({ inspector, clock: systemClock, logger, top: config.processes.top, sampleIntervalMs: config.processes.sampleIntervalMs, signal: cancel.signal });
  // Part of the guard: it acts at the stage the guard opens once Ollama is freed.
  const processGuard = guarded
    ? new ProcessGuard({
        inspector,
        signaller: nodeSignaller,
        clock: systemClock,
        logger,
        notifier,
        rules: guardedRules(config),
        cooldownMs: config.processes.cooldownMs,
        dryRun,
        protectedPids: () => protectedPids(paths, server),
        knownMemory: (pid) => heaviest.memoryOf(pid),
        stopping: stop.signal,
        signal: cancel.signal,
      })
    : null;
  const probes = new ProbeService({
    ...probeParts(setup, surroundings, { sample: (signal) => sensor.sample(signal), logger }),
    schedule: config.probe.enabled ? new NodeCronSchedule(config.probe.schedule, logger, MISSED_AFTER_MS) : null,
    server: config.ollama.manage ? server : null,
    failuresBeforeRestart: config.probe.failuresBeforeRestart,
    restartServer: config.probe.restartServer,
    notifier,
    clock: systemClock,
    logger,
    dryRun,
  });
  // The daemon's dry run (--dry-run or guard.dryRun) covers Docker too; docker.dryRun only Docker.
  const docker = config.docker.enabled ? createDockerService(setup, surroundings, { runner, logger, notifier, dryRun: dryRun || config.docker.dryRun, start }) : null;
  let serverStopped: Promise<string> | null = null;
  let probesStopped: Promise<void> | null = null;
  let dockerStopped: Promise<void> | null = null;
  stop.signal.addEventListener('abort', () => {
    probesStopped = probes.stop();
    serverStopped = server.shutdown();
    dockerStopped = docker?.stop() ?? null;
  });
  const daemon = new Daemon({
    sensor,
    clock: systemClock,
    logger,
    platform: setup.platform,
    intervalMs: config.daemon.intervalMs,
    fastIntervalMs: config.daemon.fastIntervalMs,
    guard: guarded?.guard ?? null,
    watcher: guarded?.watcher ?? null,
    server,
    probes,
    docker,
    windowServer,
    heaviest,
    processGuard,
    ollamaUrl: url,
    start,
    stateFile: paths.stateFile,
    stateWriteIntervalMs: config.daemon.stateWriteIntervalMs,
    pid: process.pid,
  });
  liveState = () => daemon.current;

  logger.info(
    {
      version: HEADROOM_VERSION,
      platform: setup.platform,
      configFile: setup.configFile,
      intervalMs: config.daemon.intervalMs,
      guard: guarded ? { ollama: url, dryRun, guardedProcesses: config.processes.guarded.length } : 'disabled',
      windowServer: windowServer.status().health === 'not applicable' ? 'not applicable' : config.windowServer.enabled,
      probes: config.probe.enabled ? config.probe.schedule : 'on demand only',
      docker: docker ? { profile: docker.status().profile, watchIntervalMs: config.docker.watchIntervalMs, dryRun: docker.status().dryRun } : 'disabled',
      stateFile: paths.stateFile,
      logFile: paths.logFile,
      staleTempFilesRemoved: removed,
    },
    'headroom started',
  );
  // Ollama's stdout and stderr (pm2) and the LaunchAgent's (launchd) rotate by size, by copy and truncate.
  const foreignLogs = setInterval(() => rotateForeignLogs(setup, logger), FOREIGN_LOG_CHECK_MS);
  foreignLogs.unref();
  if (!stop.signal.aborted) {
    probes.start();
    docker?.start();
    void server.ensure().then(
      (result) => logger.info({ component: 'ollama-server', plan: result.plan.summary, steps: result.steps, ok: result.ok }, 'Ollama server checked at start'),
      (error: unknown) => logger.error({ component: 'ollama-server', err: (error as Error).message }, 'could not check the Ollama server at start'),
    );
  }
  try {
    await daemon.run(stop.signal, cancel.signal);
  } finally {
    clearInterval(foreignLogs);
    cancel.abort();
    await guarded?.guard.settle();
    await Promise.all([windowServer.settle(), heaviest.settle(), processGuard?.settle()]);
    await (probesStopped ?? probes.stop());
    await (dockerStopped ?? docker?.stop());
    await sensor.close();
    procText.close();
    const serverOutcome = await (serverStopped ?? server.shutdown());
    await lock.release();
    removeSignals();
    logger.info({ samples: daemon.current.samples, ollamaServer: serverOutcome }, 'headroom stopped');
    handle.flush();
  }
  return { exitCode: 0 };
}

/** The Docker recovery's files in the state folder: the lock shared by the daemon and the CLI, a profile's give-up record and start count, colima.yaml kept during a delete. */
function dockerFiles(paths: RuntimePaths, profile: string): { lock: string; gaveUp: string; starts: string; backupDir: string } {
  return {
    lock: path.join(paths.stateDir, 'docker-recover.lock'),
    gaveUp: path.join(paths.stateDir, `docker-recovery-${profile}.json`),
    starts: path.join(paths.stateDir, `docker-starts-${profile}.json`),
    backupDir: path.join(paths.stateDir, 'docker'),
  };
}

/** The Docker recovery wired to real adapters, for one profile (docker.profile unless `profileName`). */
export interface DockerParts {
  profile: ColimaProfile;
  /** Why that Colima home. */
  homeWhy: string;
  installed: ColimaFacts['installed'];
  gather: (boot: BootIdentity | null, signal?: AbortSignal) => Promise<ColimaFacts>;
  recovery: (boot: BootIdentity | null) => RecoveryDeps;
  ping: (signal?: AbortSignal) => Promise<PingResult>;
  lock: () => LockResult;
  gaveUp: GaveUpFile;
  /** The colima starts of this boot, across headroom runs. */
  startCount: StartCountFile;
}

/** Builds the Docker recovery: Colima's home and profile, the tools on PATH, the gather, the executor, the services. */
export function dockerParts(setup: Setup, surroundings: Surroundings, deps: { runner: CommandRunner; logger: Logger; dryRun: boolean; profileName?: string | undefined }): DockerParts {
  const { config, paths, platform } = setup;
  const settings = config.docker;
  const home = resolveColimaHome(surroundings.env, surroundings.home, platform, existsSync);
  const profile = colimaProfile(home.dir, deps.profileName ?? settings.profile);
  const pathDirs = (surroundings.env.PATH ?? '').split(path.delimiter);
  const onPath = (name: string): boolean => findBinary(pathDirs, isExecutableFile, name) !== null;
  const installed = { colima: onPath('colima'), limactl: onPath('limactl'), docker: onPath('docker') };
  // colima and limactl get their homes explicitly; nothing else of headroom's environment.
  const env = { colima: { COLIMA_HOME: home.dir }, lima: { LIMA_HOME: profile.limaHome } };
  // PID files name processes: they are looked up in the process table (linux.processRoot).
  const pids = createPidLookup(platform, deps.runner, paths.processRoot, readText, config.daemon.commandTimeoutMs, Date.now);
  const files = dockerFiles(paths, profile.name);
  const gather = (boot: BootIdentity | null, signal?: AbortSignal): Promise<ColimaFacts> =>
    gatherFacts(
      { profile, homeWhy: home.why, installed, runner: deps.runner, pids, ownUid: nodeSignaller.ownUid, env, processEnv: surroundings.env, home: surroundings.home, commandTimeoutMs: settings.commandTimeoutMs, pingTimeoutMs: settings.pingTimeoutMs, clock: systemClock },
      boot?.bootedAt ?? null,
      signal,
    );
  const executor = new ActionExecutor({
    profile,
    runner: deps.runner,
    pids,
    signaller: nodeSignaller,
    clock: systemClock,
    logger: deps.logger,
    env,
    commandTimeoutMs: settings.commandTimeoutMs,
    startTimeoutMs: settings.startTimeoutMs,
    stopTimeoutMs: settings.stopTimeoutMs,
    killGraceMs: DOCKER_KILL_GRACE_MS,
    backupDir: files.backupDir,
    dryRun: deps.dryRun,
  });
  const specs = serviceSpecs(settings.services, surroundings.home);
  const checker = new ServiceChecker({
    runner: deps.runner,
    env: { DOCKER_HOST: `unix://${profile.dockerSocket}`, ...(surroundings.env.DOCKER_CONFIG ? { DOCKER_CONFIG: surroundings.env.DOCKER_CONFIG } : {}) },
    commandTimeoutMs: settings.commandTimeoutMs,
    upTimeoutMs: settings.startTimeoutMs,
    allow: settings.allow,
    logger: deps.logger,
    dryRun: deps.dryRun,
  });
  // The longest a recovery can take: every start and its backoff, the stops, the second read, with room.
  const longestMs = settings.startAttempts * settings.startTimeoutMs + settings.startBackoffMs * 2 ** settings.startAttempts + 3 * settings.stopTimeoutMs + settings.recheckMs + 600_000;
  const lock = new RunLockFile(files.lock, process.pid, longestMs);
  const startCount = new StartCountFile(files.starts);
  return {
    profile,
    homeWhy: home.why,
    installed,
    gather,
    recovery: (boot) => ({
      gather: (signal) => gather(boot, signal),
      executor,
      services: specs.length > 0 ? (signal) => checker.checkAll(specs, signal) : null,
      settings: dockerSettings(config),
      starts: startCount.counter(profile.name, boot, Date.now),
      clock: systemClock,
      logger: deps.logger,
      dryRun: deps.dryRun,
    }),
    ping: (signal) => pingDocker(profile.dockerSocket, settings.pingTimeoutMs, signal),
    lock: () => lock.acquire(),
    gaveUp: new GaveUpFile(files.gaveUp),
    startCount,
  };
}

/** What the Docker diagnosis may do, from config (a host agent younger than a start may take is a start under way). */
export function dockerSettings(config: Config): Omit<DiagnoseSettings, 'manual'> {
  const { start, startAttempts, startBackoffMs, recheckMs, startTimeoutMs, allow } = config.docker;
  return { start, startAttempts, startBackoffMs, recheckMs, startingGraceMs: startTimeoutMs, allow };
}

/** Time between SIGTERM and SIGKILL when docker.allow.killProcesses ends a Lima process. */
const DOCKER_KILL_GRACE_MS = 5000;

/** The Docker watch of the daemon. */
function createDockerService(setup: Setup, surroundings: Surroundings, deps: { runner: CommandRunner; logger: Logger; notifier: Notifier | null; dryRun: boolean; start: Promise<StartFacts | null> }): DockerService {
  const parts = dockerParts(setup, surroundings, deps);
  return new DockerService({
    profile: parts.profile.name,
    installed: parts.installed.colima,
    recover: (trigger, boot, signal) => recover(parts.recovery(boot), trigger, signal),
    ping: (signal) => parts.ping(signal),
    watchIntervalMs: setup.config.docker.watchIntervalMs,
    start: deps.start,
    gaveUp: parts.gaveUp,
    startCount: parts.startCount,
    lock: { acquire: parts.lock },
    notifier: deps.notifier,
    clock: systemClock,
    logger: deps.logger,
    dryRun: deps.dryRun,
  });
}

/** This boot and the run before it, read without writing anything (for the docker commands). */
async function readStartOnce(setup: Setup, runner: CommandRunner): Promise<StartFacts> {
  const boot = await createBootSensor(setup.platform, runner, setup.paths.procRoot, readText, setup.config.daemon.commandTimeoutMs).read();
  return startFacts(new RunRecordFiles(setup.paths.stateDir).readPrevious(), boot);
}

/** What `headroom docker status` shows: the facts, their diagnosis, this boot, and the daemon's view when one runs. */
export interface DockerLook {
  facts: ColimaFacts;
  start: StartFacts;
  gaveUp: ReturnType<GaveUpFile['read']>;
}

/** Reads the profile once (`headroom docker status`): headroom acts on nothing; colima status and limactl list may delete dead PID files. */
export async function lookAtDockerOnce(setup: Setup, surroundings: Surroundings, options: { profile?: string | undefined }): Promise<DockerLook & { parts: DockerParts }> {
  const runner = new ChildProcessRunner(surroundings.env);
  const parts = dockerParts(setup, surroundings, { runner, logger: silentLogger, dryRun: true, profileName: options.profile });
  const start = await readStartOnce(setup, runner);
  return { facts: await parts.gather(start.boot), start, gaveUp: parts.gaveUp.read(), parts };
}

/** `headroom docker recover`: one recovery now, under the lock shared with the daemon, logged to the log file. */
export async function recoverDockerOnce(setup: Setup, surroundings: Surroundings, options: { dryRun: boolean; profile?: string | undefined }): Promise<RecoveryReport | { busyPid: number }> {
  const handle = await openCommandLog(setup);
  const logger = handle.logger.child({ command: 'docker' });
  const runner = new ChildProcessRunner(surroundings.env);
  const dryRun = options.dryRun || setup.config.docker.dryRun;
  const parts = dockerParts(setup, surroundings, { runner, logger, dryRun, profileName: options.profile });
  const lock = parts.lock();
  if (!lock.held) {
    handle.flush();
    return { busyPid: lock.holderPid };
  }
  try {
    const { boot } = await readStartOnce(setup, runner);
    const report = await recover(parts.recovery(boot), 'manual');
    if (!dryRun) {
      if (report.outcome === 'failed') parts.gaveUp.write({ profile: parts.profile.name, bootId: boot.id, bootedAt: boot.bootedAt, at: report.finishedAt, summary: report.summary });
      else parts.gaveUp.clear();
    }
    return report;
  } finally {
    lock.release();
    handle.flush();
  }
}

/** A quick look for `headroom status` without a daemon: colima on PATH, and /_ping. */
export async function dockerLineOnce(setup: Setup, surroundings: Surroundings): Promise<{ profile: string; installed: boolean; ping: PingResult } | null> {
  if (!setup.config.docker.enabled) return null;
  const parts = dockerParts(setup, surroundings, { runner: new ChildProcessRunner(surroundings.env), logger: silentLogger, dryRun: true });
  return { profile: parts.profile.name, installed: parts.installed.colima, ping: await parts.ping() };
}
