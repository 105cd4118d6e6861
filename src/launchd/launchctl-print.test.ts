import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { parseLaunchctlPrint } from './launchctl-print.js';

describe('parseLaunchctlPrint (real launchctl print captures)', () => {
  it('reads a running agent that never exited', () => {
    expect(parseLaunchctlPrint(readFixture('darwin', 'launchctl-print-running.txt'))).toEqual({
      state: 'running',
      pid: 3246,
      runs: 1,
      lastExitCode: null,
      lastSignal: null,
      path: '/Users/tester/Library/LaunchAgents/com.mattstack.deck.mattari.plist',
      program: '/Users/tester/.bun/bin/bun',
    });
  });

  it('reads the signal that ended the last run of an agent respawned 103 times', () => {
    expect(parseLaunchctlPrint(readFixture('darwin', 'launchctl-print-running-keepalive-respawned.txt'))).toMatchObject({
      state: 'running',
      pid: 17594,
      runs: 103,
      lastExitCode: null,
      lastSignal: { name: 'Terminated', number: 15 },
    });
  });

  it('reads a stopped agent and its last exit code, ignoring nested blocks', () => {
    expect(parseLaunchctlPrint(readFixture('darwin', 'launchctl-print-not-running-exit1.txt'))).toMatchObject({
      state: 'not running',
      pid: null,
      runs: 2,
      lastExitCode: 1,
      program: '/bin/bash',
    });
  });

  it('reads "78: EX_CONFIG" as 78 (the form the man page gives; no capture has it)', () => {
    expect(parseLaunchctlPrint('gui/501/x = {\n\tstate = not running\n\tlast exit code = 78: EX_CONFIG\n}\n')?.lastExitCode).toBe(78);
  });

  it('finds no service in the "Could not find service" answer', () => {
    expect(parseLaunchctlPrint(readFixture('darwin', 'launchctl-print-missing.stderr.txt'))).toBeNull();
  });
});
