import { describe, expect, it } from 'vitest';
import { colimaProfile, profileName, resolveColimaHome } from './colima-paths.js';

describe('profileName', () => {
  it('names the default profile however it is written, and strips colima-', () => {
    expect(['', 'default', 'colima'].map(profileName)).toEqual(['default', 'default', 'default']);
    expect(profileName('colima-data')).toBe('data');
    expect(profileName('data')).toBe('data');
  });
});

describe('colimaProfile', () => {
  it('lays out the default profile as colima does (instance colima, LIMA_HOME _lima)', () => {
    expect(colimaProfile('/Users/u/.colima', 'default')).toEqual({
      name: 'default',
      instance: 'colima',
      colimaHome: '/Users/u/.colima',
      configDir: '/Users/u/.colima/default',
      limaHome: '/Users/u/.colima/_lima',
      instanceDir: '/Users/u/.colima/_lima/colima',
      diskDir: '/Users/u/.colima/_lima/_disks/colima',
      networksDir: '/Users/u/.colima/_lima/_networks',
      daemonPidFile: '/Users/u/.colima/default/daemon/daemon.pid',
      dockerSocket: '/Users/u/.colima/default/docker.sock',
      haStderrLog: '/Users/u/.colima/_lima/colima/ha.stderr.log',
    });
  });

  it('prefixes other profiles with colima- (the data profile of the captured context list)', () => {
    expect(colimaProfile('/Users/u/.colima', 'data')).toMatchObject({ instance: 'colima-data', dockerSocket: '/Users/u/.colima/data/docker.sock', instanceDir: '/Users/u/.colima/_lima/colima-data' });
  });
});

describe('resolveColimaHome', () => {
  const existing = (...dirs: string[]) => (dir: string): boolean => dirs.includes(dir);

  it('takes COLIMA_HOME when that folder exists, else ~/.colima when it exists', () => {
    expect(resolveColimaHome({ COLIMA_HOME: '/c' }, '/h', 'darwin', existing('/c', '/h/.colima'))).toEqual({ dir: '/c', why: 'COLIMA_HOME' });
    expect(resolveColimaHome({ COLIMA_HOME: '/missing' }, '/h', 'darwin', existing('/h/.colima'))).toEqual({ dir: '/h/.colima', why: '~/.colima exists' });
  });

  it('then XDG_CONFIG_HOME, then an existing ~/.config/colima, then the platform default', () => {
    expect(resolveColimaHome({ XDG_CONFIG_HOME: '/x' }, '/h', 'darwin', existing())).toEqual({ dir: '/x/colima', why: 'XDG_CONFIG_HOME is set' });
    expect(resolveColimaHome({}, '/h', 'darwin', existing('/h/.config/colima')).dir).toBe('/h/.config/colima');
    expect(resolveColimaHome({}, '/h', 'darwin', existing()).dir).toBe('/h/.colima');
    expect(resolveColimaHome({}, '/h', 'linux', existing()).dir).toBe('/h/.config/colima');
  });
});
