/** macOS folders: logs where Console.app looks, state under Application Support. */
import path from 'node:path';
import type { PlatformDirs } from '../platform.js';

/** `~/Library/Logs/headroom` and `~/Library/Application Support/headroom`. */
export function darwinDirs(home: string): PlatformDirs {
  return {
    logDir: path.join(home, 'Library', 'Logs', 'headroom'),
    stateDir: path.join(home, 'Library', 'Application Support', 'headroom'),
  };
}
