/** Resolves the folders and files headroom uses from config and platform defaults. */
import path from 'node:path';
import { platformDirs } from '../platform/index.js';
import type { PlatformName } from '../platform/platform.js';
import type { Config } from './schema.js';

/** Every path the daemon and CLI touch, absolute. */
export interface RuntimePaths {
  stateDir: string;
  logDir: string;
  /** The daemon's state, rewritten atomically every tick. */
  stateFile: string;
  /** The control socket; a live listener means a daemon runs. */
  socketFile: string;
  logFile: string;
  procRoot: string;
  /** Where the Linux process table is read: `linux.processRoot`, else procRoot. */
  processRoot: string;
}

/** Expands a leading `~/` to the home folder. */
export function expandHome(value: string, home: string): string {
  return value === '~' ? home : value.startsWith('~/') ? path.join(home, value.slice(2)) : value;
}

/** Config paths where set, platform defaults where null. */
export function runtimePaths(config: Config, platform: PlatformName, home: string, env: NodeJS.ProcessEnv): RuntimePaths {
  const defaults = platformDirs(platform, home, env);
  const stateDir = config.daemon.stateDir ? expandHome(config.daemon.stateDir, home) : defaults.stateDir;
  const logDir = config.log.dir ? expandHome(config.log.dir, home) : defaults.logDir;
  return {
    stateDir,
    logDir,
    stateFile: path.join(stateDir, 'state.json'),
    socketFile: path.join(stateDir, 'headroom.sock'),
    logFile: path.join(logDir, 'headroom.log'),
    procRoot: expandHome(config.linux.procRoot, home),
    processRoot: expandHome(config.linux.processRoot ?? config.linux.procRoot, home),
  };
}

/** The config as it takes effect: platform-default folders written out instead of null. */
export function effectiveConfig(config: Config, paths: RuntimePaths): Config {
  return {
    ...config,
    daemon: { ...config.daemon, stateDir: paths.stateDir },
    log: { ...config.log, dir: paths.logDir },
    linux: { ...config.linux, procRoot: paths.procRoot, processRoot: paths.processRoot },
  };
}
