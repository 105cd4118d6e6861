import { describe, expect, it } from 'vitest';
import { BEFORE_BOOT, COLIMA_STOPPED, facts, lima, NOW, pidFile, ping, PROFILE } from '../../test/helpers/colima-facts.js';
import { diagnose } from '../docker/diagnose.js';
import type { RecoveryReport } from '../docker/recovery.js';
import { newEpisode } from '../docker/types.js';
import { bootLine, dockerLine, renderDockerStatus, renderRecovery } from './docker-text.js';

const SETTINGS = { start: 'wasRunning' as const, manual: false, startAttempts: 3, startBackoffMs: 30_000, recheckMs: 10_000, startingGraceMs: 600_000, allow: { deleteVm: false, deleteData: false, killProcesses: false } };
const START = { boot: { id: 'B1', bootedAt: NOW - 3_600_000 }, previous: { pid: 1, startedAt: 1, bootId: 'B0', bootedAt: 1, stoppedAt: null }, rebooted: true, uncleanStop: true };

describe('bootLine', () => {
  it('says a reboot and an unclean stop, and nothing without a previous run', () => {
    expect(bootLine(START)).toBe('the machine rebooted since the last headroom run, which did not stop cleanly (a power cut, a panic or a forced restart?)');
    expect(bootLine({ ...START, rebooted: false })).toBe('the last headroom run did not stop cleanly');
    expect(bootLine({ ...START, rebooted: false, uncleanStop: false })).toBeNull();
    expect(bootLine({ ...START, previous: null })).toBeNull();
  });
});

describe('renderDockerStatus', () => {
  it('shows the profile, Docker, the context, the boot, what was found and the numbered plan', () => {
    const down = facts({ ping: ping(false), colima: COLIMA_STOPPED, lima: lima('Stopped'), pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, { state: 'dead' })] });
    const text = renderDockerStatus(down, diagnose(down, { ...newEpisode(), rechecked: true }, SETTINGS), START, null, null, NOW);
    expect(text.split('\n')).toEqual([
      `profile   default (Lima instance colima; Colima home ${PROFILE.colimaHome}: ~/.colima exists)`,
      `docker    does not answer on ${PROFILE.dockerSocket}: connect ECONNREFUSED`,
      `context   colima → unix://${PROFILE.dockerSocket} (from config.json)`,
      'boot      the machine rebooted since the last headroom run, which did not stop cleanly (a power cut, a panic or a forced restart?)',
      'verdict   act: Docker is down',
      `found     error: Docker does not answer on ${PROFILE.dockerSocket}: connect ECONNREFUSED`,
      '          colima status: colima is not running',
      '          Lima says colima is Stopped',
      `          warn: _lima/colima/ha.pid: stale (written ${new Date(BEFORE_BOOT).toISOString()}, before this boot (${new Date(NOW - 3_600_000).toISOString()}))`,
      `plan      1. [safe] remove ${PROFILE.instanceDir}/ha.pid: _lima/colima/ha.pid is stale: written ${new Date(BEFORE_BOOT).toISOString()}, before this boot (${new Date(NOW - 3_600_000).toISOString()})`,
      '          2. [start] run colima start --profile default: Docker is down and Colima was left running: starting it',
      '',
    ]);
  });

  it("adds the daemon's view, or a give-up record without a daemon", () => {
    const healthy = facts();
    const d = diagnose(healthy, newEpisode(), SETTINGS);
    expect(renderDockerStatus(healthy, d, START, { profile: 'default', state: 'gave-up', summary: 'colima start failed 3 times', checkedAt: NOW - 2000, lastHealthyAt: null, lastRecovery: null, dryRun: false }, null, NOW)).toContain('daemon    gave-up: colima start failed 3 times (checked 2.0 s ago)');
    expect(renderDockerStatus(healthy, d, START, null, { schemaVersion: 1, profile: 'default', bootId: 'B1', bootedAt: 1, at: NOW, summary: 'blocked' }, NOW)).toContain(`gave up   ${new Date(NOW).toISOString()}: blocked`);
  });
});

describe('renderRecovery', () => {
  it('lists each action with its outcome and reason, the services, and the outcome', () => {
    const report: RecoveryReport = {
      trigger: 'manual',
      startedAt: 0,
      finishedAt: 1,
      outcome: 'recovered',
      summary: 'Docker answers again after remove-file, start',
      findings: [],
      actions: [
        { kind: 'remove-file', tier: 'safe', reason: 'ha.pid is stale', ok: true, dryRun: false, detail: 'removed /x/ha.pid' },
        { kind: 'start', tier: 'start', reason: 'Docker is down', ok: false, dryRun: false, detail: 'colima start --profile default: exited 1' },
      ],
      startAttempts: 1,
      services: [
        { service: 'chromadb', state: 'started', detail: 'chromadb was exited; docker start brought it back', commands: ['docker start chromadb'] },
        { service: '/s', state: 'failed', detail: 'name conflict', commands: [] },
      ],
    };
    expect(renderRecovery(report)).toBe(
      [
        'done  [safe] removed /x/ha.pid: ha.pid is stale',
        'FAIL  [start] colima start --profile default: exited 1: Docker is down',
        'ok    chromadb: chromadb was exited; docker start brought it back',
        'FAIL  /s: name conflict',
        'recovered: Docker answers again after remove-file, start',
        '',
      ].join('\n'),
    );
  });
});

describe('dockerLine', () => {
  it("uses the daemon's state, else a quick look, else nothing", () => {
    expect(dockerLine({ profile: 'default', state: 'healthy', summary: 'Docker answers on /s', checkedAt: 1, lastHealthyAt: 1, lastRecovery: null, dryRun: false }, null)).toBe('docker    healthy: Docker answers on /s (colima default)');
    expect(dockerLine(null, { profile: 'default', installed: true, ping: ping(false) })).toBe(`docker    does not answer on ${PROFILE.dockerSocket}: connect ECONNREFUSED (colima default)`);
    expect(dockerLine(null, { profile: 'default', installed: false, ping: ping(false) })).toBe('docker    inactive: colima is not installed (not found on PATH)');
    expect(dockerLine(null, null)).toBeNull();
  });
});
