import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { FakeRunner, type FakeAnswer } from '../../../test/helpers/fake-runner.js';
import { DarwinServerProbe, parseLaunchctlList, parseLsofPids } from './serving.js';

describe('parseLsofPids', () => {
  it('reads the p<pid> lines of lsof -Fp (a capture: lsof prints the same field output on macOS and Linux)', () => {
    expect(parseLsofPids(readFixture('linux', 'lsof-listen-18602-Fp.txt'))).toEqual([24261]);
  });

  it('returns no pid for empty output, and one per process however many sockets it has', () => {
    expect(parseLsofPids('')).toEqual([]);
    // Built here: two listening sockets (IPv4, IPv6) of one process, as `-Fp` prints them.
    expect(parseLsofPids('p812\np812\np900\n')).toEqual([812, 900]);
  });
});

describe('parseLaunchctlList', () => {
  const captured = readFixture('darwin', 'launchctl-list-grep.txt');

  it('reads a label that is loaded but not running as null (PID "-"), from a real capture', () => {
    expect(parseLaunchctlList(captured, 'com.ace777.superviseur')).toBeNull();
  });

  it('reads an absent label as undefined', () => {
    expect(parseLaunchctlList(captured, 'homebrew.mxcl.ollama')).toBeUndefined();
  });

  it('reads the pid of a running label', () => {
    // No capture shows a running row; the format is the same with a number in the PID column.
    expect(parseLaunchctlList(`${captured}812\t0\thomebrew.mxcl.ollama\n`, 'homebrew.mxcl.ollama')).toBe(812);
  });
});

describe('DarwinServerProbe', () => {
  it('asks lsof, ps eww and launchctl with exact argv', async () => {
    const answers: Record<string, FakeAnswer> = {
      lsof: { stdout: readFixture('linux', 'lsof-listen-18602-Fp.txt') },
      ps: { stdout: readFixture('linux', 'ps-eww-pm2-child.txt') },
      launchctl: { stdout: '812\t0\thomebrew.mxcl.ollama\n' },
    };
    const runner = new FakeRunner((file) => answers[file] ?? { exitCode: 127 });
    const probe = new DarwinServerProbe(runner, 2000);
    expect(await probe.portListeners(18602)).toEqual([24261]);
    expect(await probe.environment(24261)).toMatchObject({ OLLAMA_KEEP_ALIVE: '5m' });
    expect(await probe.launchdServicePid('homebrew.mxcl.ollama')).toBe(812);
    expect(runner.calls.map((call) => [call.file, ...call.args])).toEqual([
      ['lsof', '-nP', '-iTCP:18602', '-sTCP:LISTEN', '-Fp'],
      ['ps', 'eww', '-o', 'command=', '-p', '24261'],
      ['launchctl', 'list'],
    ]);
  });

  it('says "cannot tell" when lsof is missing or hangs, and nothing listens when it exits 1 silently', async () => {
    expect(await new DarwinServerProbe(new FakeRunner(() => ({ spawnError: 'spawn lsof ENOENT' })), 2000).portListeners(11434)).toBeNull();
    expect(await new DarwinServerProbe(new FakeRunner(() => ({ timedOut: true, signal: 'SIGTERM' })), 2000).portListeners(11434)).toBeNull();
    expect(await new DarwinServerProbe(new FakeRunner(() => ({ exitCode: 1 })), 2000).portListeners(11434)).toEqual([]);
  });

  it('says unknown for an environment ps cannot show', async () => {
    expect(await new DarwinServerProbe(new FakeRunner(() => ({ exitCode: 1 })), 2000).environment(1)).toBeNull();
  });
});
