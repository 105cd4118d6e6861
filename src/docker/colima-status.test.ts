import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { noJsonFlag, parseColimaStatus } from './colima-status.js';

describe('parseColimaStatus', () => {
  it('reads the JSON form (colima >= 0.8.1)', () => {
    expect(parseColimaStatus({ exitCode: 0, stdout: readFixture('colima', 'colima-status.json'), stderr: '' })).toEqual({
      running: true,
      driver: 'macOS Virtualization.Framework',
      arch: 'aarch64',
      runtime: 'docker',
      dockerSocket: 'unix:///Users/<user>/.colima/default/docker.sock',
      message: null,
      form: 'json',
    });
  });

  it('reads the text forms on stderr: docker socket (>= 0.8.3), a profile, and the legacy socket line', () => {
    const current = parseColimaStatus({ exitCode: 0, stdout: '', stderr: readFixture('colima', 'colima-status-running.txt') });
    expect(current).toEqual({ running: true, driver: 'macOS Virtualization.Framework', arch: 'aarch64', runtime: 'docker', dockerSocket: 'unix:///Users/<user>/.colima/default/docker.sock', message: null, form: 'text' });
    expect(parseColimaStatus({ exitCode: 0, stdout: '', stderr: readFixture('colima', 'colima-status-running-profile.txt') })).toMatchObject({ running: true, dockerSocket: 'unix:///Users/<user>/.colima/data/docker.sock' });
    expect(parseColimaStatus({ exitCode: 0, stdout: '', stderr: readFixture('colima', 'colima-status-running-legacy.txt') })).toMatchObject({ running: true, dockerSocket: 'unix:///Users/<user>/.colima/default/docker.sock' });
  });

  it('says not running, with the message, in both logrus forms', () => {
    for (const file of ['colima-status-not-running.txt', 'colima-status-not-running-nontty.txt']) {
      expect(parseColimaStatus({ exitCode: 1, stdout: '', stderr: readFixture('colima', file) })).toMatchObject({ running: false, message: 'colima is not running' });
    }
  });

  it('keeps the error of a false Running after a reboot (captured)', () => {
    expect(parseColimaStatus({ exitCode: 1, stdout: '', stderr: readFixture('colima', 'colima-status-runtime-empty.txt') })).toMatchObject({
      running: false,
      message: 'error retrieving current runtime: empty value',
    });
  });

  it('does not call a JSON status running when colima exited 1', () => {
    expect(parseColimaStatus({ exitCode: 1, stdout: readFixture('colima', 'colima-status.json'), stderr: readFixture('colima', 'colima-status-runtime-empty.txt') })).toMatchObject({ running: false, message: 'error retrieving current runtime: empty value' });
  });
});

describe('noJsonFlag', () => {
  it('recognises an older colima without --json (the cobra error is built in the test: no capture)', () => {
    expect(noJsonFlag({ exitCode: 1, stdout: '', stderr: 'Error: unknown flag: --json\n' })).toBe(true);
    expect(noJsonFlag({ exitCode: 1, stdout: '', stderr: readFixture('colima', 'colima-status-not-running.txt') })).toBe(false);
  });
});
