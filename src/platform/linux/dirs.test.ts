import { describe, expect, it } from 'vitest';
import { linuxDirs } from './dirs.js';

describe('linuxDirs', () => {
  it('keeps logs and state in $XDG_STATE_HOME/headroom when it is an absolute path', () => {
    expect(linuxDirs('/home/u', { XDG_STATE_HOME: '/var/lib/u-state' })).toEqual({ logDir: '/var/lib/u-state/headroom', stateDir: '/var/lib/u-state/headroom' });
  });

  it('falls back to ~/.local/state/headroom when XDG_STATE_HOME is unset, empty or relative (the spec says to ignore a relative one)', () => {
    for (const env of [{}, { XDG_STATE_HOME: '' }, { XDG_STATE_HOME: 'state' }]) {
      expect(linuxDirs('/home/u', env)).toEqual({ logDir: '/home/u/.local/state/headroom', stateDir: '/home/u/.local/state/headroom' });
    }
  });
});
