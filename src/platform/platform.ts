/** The operating systems headroom has a backend for. */
export type PlatformName = 'darwin' | 'linux';

/** The names accepted by `--platform`. */
export const PLATFORM_NAMES: readonly PlatformName[] = ['darwin', 'linux'];

/** Per-user folders a backend picks by default. */
export interface PlatformDirs {
  logDir: string;
  stateDir: string;
}

/** Thrown on an OS headroom has no backend for. */
export class UnsupportedPlatformError extends Error {
  override name = 'UnsupportedPlatformError';
}

/** Maps Node's process.platform to a backend; anything but darwin and linux is unsupported. */
export function detectPlatform(nodePlatform: string): PlatformName {
  if (nodePlatform === 'darwin' || nodePlatform === 'linux') return nodePlatform;
  throw new UnsupportedPlatformError(`headroom has no backend for "${nodePlatform}"; use --platform darwin|linux`);
}
