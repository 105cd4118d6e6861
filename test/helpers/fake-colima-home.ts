/**
 * A fake Colima home in a temporary folder, laid out as colima and Lima lay it out
 * (docs/colima-pm2.md A1): `<home>/.colima/default` (colima.yaml, docker.sock, daemon/daemon.pid),
 * `_lima/colima` (ha.pid, vz.pid, ha.sock, ha.stderr.log), `_lima/_disks/colima/in_use_by`,
 * `_lima/_networks/user-v2`. Files get chosen mtimes (fs.utimes), e.g. before the boot.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { colimaProfile, type ColimaProfile } from '../../src/docker/colima-paths.js';
import { makeDeadSocket } from './fake-docker-socket.js';

/** The fake home. */
export interface FakeColimaHome {
  /** The user's HOME (holds .colima). */
  home: string;
  profile: ColimaProfile;
  /** Writes a file (path under the Colima home) with an mtime (ms), by default now. */
  write(relative: string, text: string, modifiedAt?: number): string;
  /** A PID file. */
  pid(relative: string, pid: number | string, modifiedAt?: number): string;
  /** A refused socket file (its listener was killed). */
  deadSocket(relative: string, modifiedAt?: number): string;
  /** The disk lock of `disk`, naming `owner`'s instance folder. */
  lock(disk: string, owner: string): string;
  exists(relative: string): boolean;
  /** An absolute path under the Colima home. */
  at(relative: string): string;
  cleanup(): void;
}

/** Creates the fake home with the default profile's folders and colima.yaml. */
export function makeFakeColimaHome(profileName = 'default'): FakeColimaHome {
  // /tmp keeps socket paths short (a unix socket path has at most 104 bytes on macOS, 108 on Linux).
  const home = mkdtempSync(path.join(existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'hr-col-'));
  const colimaHome = path.join(home, '.colima');
  const profile = colimaProfile(colimaHome, profileName);
  const at = (relative: string): string => path.join(colimaHome, relative);
  const stamp = (file: string, modifiedAt?: number): void => {
    if (modifiedAt !== undefined) utimesSync(file, modifiedAt / 1000, modifiedAt / 1000);
  };
  const write = (relative: string, text: string, modifiedAt?: number): string => {
    const file = at(relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    stamp(file, modifiedAt);
    return file;
  };
  mkdirSync(profile.instanceDir, { recursive: true });
  write(path.join(profile.name, 'colima.yaml'), 'cpu: 4\nmemory: 8\ndisk: 100\n');
  return {
    home,
    profile,
    write,
    pid: (relative, pid, modifiedAt) => write(relative, `${pid}\n`, modifiedAt),
    deadSocket: (relative, modifiedAt) => {
      const file = at(relative);
      makeDeadSocket(file);
      if (!lstatSync(file).isSocket()) throw new Error(`no socket at ${file}`);
      stamp(file, modifiedAt);
      return file;
    },
    lock: (disk, owner) => {
      const file = at(path.join('_lima', '_disks', disk, 'in_use_by'));
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(at(path.join('_lima', owner)), file);
      return file;
    },
    exists: (relative) => {
      try {
        lstatSync(at(relative));
        return true;
      } catch {
        return false;
      }
    },
    at,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
