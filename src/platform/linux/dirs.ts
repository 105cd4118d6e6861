/** Linux folders, per the XDG base-directory spec. */
import path from 'node:path';
import type { PlatformDirs } from '../platform.js';

/** Logs and state both in `$XDG_STATE_HOME/headroom` (`~/.local/state/headroom` when unset or relative). */
export function linuxDirs(home: string, env: NodeJS.ProcessEnv): PlatformDirs {
  const stateHome = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  const dir = path.join(stateHome, 'headroom');
  return { logDir: dir, stateDir: dir };
}
