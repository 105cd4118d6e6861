/**
 * The only place that branches on the operating system: it hands out the backend's sensors and
 * folders for a platform name.
 */
import path from 'node:path';
import { MiB } from '../core/units.js';
import type { MemorySensor } from '../core/memory.js';
import type { Clock } from '../ports/clock.js';
import type { CommandRunner } from '../ports/command-runner.js';
import type { Logger } from '../ports/logger.js';
import type { Config } from '../config/schema.js';
import type { RuntimePaths } from '../config/paths.js';
import type { Notifier } from '../ports/notifier.js';
import type { ProcessInspector, ProcessTable } from '../ports/processes.js';
import type { CrashReports, PrecursorLog, WindowServerSensor } from '../ports/windowserver.js';
import type { ServerProbe } from '../ports/serving.js';
import type { BootSensor } from '../ports/boot.js';
import type { PidLookup } from '../ports/pid-lookup.js';
import { DarwinPidLookup } from './darwin/pid-lookup.js';
import { LinuxPidLookup } from './linux/pid-lookup.js';
import { DarwinBootSensor } from './darwin/boot.js';
import { LinuxBootSensor } from './linux/boot.js';
import { DarwinProcessTable } from './darwin/processes.js';
import { DarwinServerProbe } from './darwin/serving.js';
import { LinuxServerProbe } from './linux/serving.js';
import { LinuxProcessInspector, LinuxProcessTable } from './linux/processes.js';
import { DarwinProcessInspector } from './darwin/process-inspector.js';
import { DarwinWindowServerSensor } from './darwin/windowserver.js';
import { LogShowPrecursors } from './darwin/unified-log.js';
import { DiagnosticReportsFolders } from './darwin/crash-reports.js';
import { darwinDirs } from './darwin/dirs.js';
import { DarwinMemorySensor } from './darwin/memory-sensor.js';
import { OsascriptNotifier } from './darwin/notify.js';
import { linuxDirs } from './linux/dirs.js';
import { LinuxMemorySensor, type ReadText } from './linux/memory-sensor.js';
import { NotifySendNotifier } from './linux/notify.js';
import type { PlatformDirs, PlatformName } from './platform.js';

/** What a backend is built from; the composition root supplies the real adapters. */
export interface BackendDeps {
  config: Config;
  paths: RuntimePaths;
  runner: CommandRunner;
  clock: Clock;
  readText: ReadText;
  logger: Logger;
}

/** The memory sensor of a platform; `stream` keeps long-lived children (daemon), `oneshot` does not (CLI). */
export function createMemorySensor(platform: PlatformName, deps: BackendDeps, mode: 'stream' | 'oneshot'): MemorySensor {
  if (platform === 'darwin') {
    return new DarwinMemorySensor({
      runner: deps.runner,
      clock: deps.clock,
      mode,
      intervalMs: deps.config.daemon.intervalMs,
      commandTimeoutMs: deps.config.daemon.commandTimeoutMs,
      reuse: { maxAgeMs: deps.config.darwin.sysctlMaxAgeMs, withinBytes: deps.config.darwin.stillWithinMiB * MiB },
      logger: deps.logger,
    });
  }
  return new LinuxMemorySensor({
    procRoot: deps.paths.procRoot,
    readText: deps.readText,
    clock: deps.clock,
    thresholds: deps.config.linux.pressure,
  });
}

/** The platform's default per-user folders. */
export function platformDirs(platform: PlatformName, home: string, env: NodeJS.ProcessEnv): PlatformDirs {
  return platform === 'darwin' ? darwinDirs(home) : linuxDirs(home, env);
}

/** Longest wait for a notification command (osascript, notify-send). */
const NOTIFY_TIMEOUT_MS = 10_000;

/** The platform's desktop notifier: osascript on macOS, notify-send (or the log only) on Linux. */
export function createNotifier(platform: PlatformName, runner: CommandRunner): Notifier {
  return platform === 'darwin' ? new OsascriptNotifier(runner, NOTIFY_TIMEOUT_MS) : new NotifySendNotifier(runner, NOTIFY_TIMEOUT_MS);
}

/** The platform's process table: `ps` on macOS, /proc on Linux. */
export function createProcessTable(platform: PlatformName, runner: CommandRunner, procRoot: string, commandTimeoutMs: number): ProcessTable {
  return platform === 'darwin' ? new DarwinProcessTable(runner, commandTimeoutMs) : new LinuxProcessTable(procRoot);
}

/** Who serves a port, and with which environment: lsof, ps and launchctl on macOS; /proc on Linux. */
export function createServerProbe(platform: PlatformName, runner: CommandRunner, procRoot: string, commandTimeoutMs: number): ServerProbe {
  return platform === 'darwin' ? new DarwinServerProbe(runner, commandTimeoutMs) : new LinuxServerProbe(procRoot);
}

/** Which boot this is: one sysctl call on macOS, procfs on Linux. */
export function createBootSensor(platform: PlatformName, runner: CommandRunner, procRoot: string, readText: ReadText, commandTimeoutMs: number): BootSensor {
  return platform === 'darwin' ? new DarwinBootSensor(runner, commandTimeoutMs) : new LinuxBootSensor(procRoot, readText);
}

/** Who a pid names now (for PID files): one `ps -p` on macOS, procfs on Linux. */
export function createPidLookup(platform: PlatformName, runner: CommandRunner, procRoot: string, readText: ReadText, commandTimeoutMs: number, now: () => number): PidLookup {
  return platform === 'darwin' ? new DarwinPidLookup(runner, commandTimeoutMs, now) : new LinuxPidLookup(procRoot, readText);
}

/** The process table in detail (owners, starts, memory): `ps` and `top` on macOS, /proc under `processRoot` on Linux. */
export function createProcessInspector(platform: PlatformName, runner: CommandRunner, processRoot: string, commandTimeoutMs: number): ProcessInspector {
  return platform === 'darwin' ? new DarwinProcessInspector(runner, commandTimeoutMs) : new LinuxProcessInspector(processRoot);
}

/** WindowServer (`pgrep`, `ps`) on macOS; null on Linux, which has none. */
export function createWindowServerSensor(platform: PlatformName, runner: CommandRunner, inspector: ProcessInspector, commandTimeoutMs: number): WindowServerSensor | null {
  return platform === 'darwin' ? new DarwinWindowServerSensor(runner, inspector, commandTimeoutMs) : null;
}

/** WindowServer's crash reports (the system's and the user's DiagnosticReports) on macOS; null on Linux. */
export function createCrashReports(platform: PlatformName, home: string): CrashReports | null {
  return platform === 'darwin' ? new DiagnosticReportsFolders(['/Library/Logs/DiagnosticReports', path.join(home, 'Library', 'Logs', 'DiagnosticReports')]) : null;
}

/** Longest wait for one `log show`: it scans the log store, which takes seconds on a busy Mac. */
const LOG_SHOW_TIMEOUT_MS = 30_000;

/** The unified log's freeze precursors (`log show`) on macOS; null on Linux. */
export function createPrecursorLog(platform: PlatformName, runner: CommandRunner): PrecursorLog | null {
  return platform === 'darwin' ? new LogShowPrecursors(runner, LOG_SHOW_TIMEOUT_MS) : null;
}
