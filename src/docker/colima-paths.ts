/**
 * Where a Colima profile keeps its state (colima config/files.go, config/profile.go): the home is
 * `$COLIMA_HOME` when that folder exists, else `~/.colima` when it exists, else
 * `$XDG_CONFIG_HOME/colima` when the variable is set, else `~/.config/colima` when it exists,
 * else `~/.colima` on macOS and `~/.config/colima` elsewhere. Profile `default` is the Lima
 * instance `colima`, profile P is `colima-P`; Lima's home is `<home>/_lima`. Pure, but for the
 * existence check passed in.
 */
import path from 'node:path';

/** A profile's names and files. */
export interface ColimaProfile {
  /** As colima names it: `default`, or P. */
  name: string;
  /** The Lima instance: `colima`, or `colima-P`. */
  instance: string;
  /** COLIMA_HOME, as resolved. */
  colimaHome: string;
  /** `<home>/<profile>`: colima.yaml, docker.sock, daemon/. */
  configDir: string;
  /** `<home>/_lima`: the LIMA_HOME colima gives limactl. */
  limaHome: string;
  /** `<limaHome>/<instance>`: ha.pid, ha.sock, vz.pid, ha.stderr.log. */
  instanceDir: string;
  /** The data disk's folder, whose `in_use_by` symlink is the disk lock. */
  diskDir: string;
  /** `<limaHome>/_networks`: the user-v2 helper's pid file and sockets. */
  networksDir: string;
  /** colima's own daemon (`colima daemon start`). */
  daemonPidFile: string;
  /** The host side of the forwarded Docker socket. */
  dockerSocket: string;
  haStderrLog: string;
}

/** The profile colima means by a name (`colima-P` and `P` are the same profile; `colima` is `default`). */
export function profileName(name: string): string {
  if (name === '' || name === 'colima' || name === 'default') return 'default';
  return name.replace(/^colima-/, '');
}

/** COLIMA_HOME as colima resolves it, and why. */
export function resolveColimaHome(env: NodeJS.ProcessEnv, home: string, platform: 'darwin' | 'linux', exists: (dir: string) => boolean): { dir: string; why: string } {
  if (env.COLIMA_HOME && exists(env.COLIMA_HOME)) return { dir: env.COLIMA_HOME, why: 'COLIMA_HOME' };
  const dotColima = path.join(home, '.colima');
  if (exists(dotColima)) return { dir: dotColima, why: '~/.colima exists' };
  if (env.XDG_CONFIG_HOME) return { dir: path.join(env.XDG_CONFIG_HOME, 'colima'), why: 'XDG_CONFIG_HOME is set' };
  const xdgDefault = path.join(home, '.config', 'colima');
  if (exists(xdgDefault)) return { dir: xdgDefault, why: '~/.config/colima exists' };
  return platform === 'darwin' ? { dir: dotColima, why: "colima's default on macOS" } : { dir: xdgDefault, why: "colima's default on Linux" };
}

/** Every file of a profile under a Colima home. */
export function colimaProfile(colimaHome: string, name: string): ColimaProfile {
  const profile = profileName(name);
  const instance = profile === 'default' ? 'colima' : `colima-${profile}`;
  const configDir = path.join(colimaHome, profile);
  const limaHome = path.join(colimaHome, '_lima');
  const instanceDir = path.join(limaHome, instance);
  return {
    name: profile,
    instance,
    colimaHome,
    configDir,
    limaHome,
    instanceDir,
    diskDir: path.join(limaHome, '_disks', instance),
    networksDir: path.join(limaHome, '_networks'),
    daemonPidFile: path.join(configDir, 'daemon', 'daemon.pid'),
    dockerSocket: path.join(configDir, 'docker.sock'),
    haStderrLog: path.join(instanceDir, 'ha.stderr.log'),
  };
}
