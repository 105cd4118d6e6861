import { describe, expect, it } from 'vitest';
import { alive, BEFORE_BOOT, COLIMA_STOPPED, facts, lima, NOW, pidFile, ping, pingTimedOut, PROFILE } from '../../test/helpers/colima-facts.js';
import { diagnose, startDelayMs, type DiagnoseSettings } from './diagnose.js';
import { newEpisode, type ColimaFacts, type Episode } from './types.js';

const SETTINGS: DiagnoseSettings = { start: 'wasRunning', manual: false, startAttempts: 3, startBackoffMs: 30_000, recheckMs: 10_000, startingGraceMs: 120_000, allow: { deleteVm: false, deleteData: false, killProcesses: false } };
const SINCE_BOOT = NOW - 600_000;
const HA_SOCK = `${PROFILE.instanceDir}/ha.sock`;

/** Docker down with these facts; the episode has read a Broken twice unless said. */
function down(overrides: Partial<ColimaFacts>): ColimaFacts {
  return facts({ ping: ping(false), colima: COLIMA_STOPPED, lima: lima('Stopped'), ...overrides });
}
const rechecked = (more: Partial<Episode> = {}): Episode => ({ ...newEpisode(), rechecked: true, ...more });
const kinds = (d: ReturnType<typeof diagnose>): string[] => d.actions.map((a) => (a.kind === 'remove-file' ? `remove ${a.file.split('/').pop()}` : a.kind === 'start' ? `start ${a.attempt}` : a.kind));

describe('diagnose: nothing to do', () => {
  it('is inactive without colima, without the profile, and for a containerd runtime', () => {
    expect(diagnose(facts({ installed: { colima: false, limactl: false, docker: true } }), newEpisode(), SETTINGS)).toMatchObject({ verdict: 'inactive', summary: 'colima is not installed (not found on PATH): nothing to recover', actions: [] });
    expect(diagnose(facts({ profileExists: false, ping: ping(false) }), newEpisode(), SETTINGS)).toMatchObject({ verdict: 'inactive', actions: [] });
    const containerd = facts({ ping: ping(false), colima: { ...facts().colima!, runtime: 'containerd', dockerSocket: null } });
    expect(diagnose(containerd, newEpisode(), SETTINGS)).toMatchObject({ verdict: 'inactive', summary: 'Colima profile "default" runs containerd, not Docker: nothing to watch' });
  });

  it('healthy: Docker answers, so nothing is done, even with leftovers lying around', () => {
    const d = diagnose(facts({ pidFiles: [pidFile('usernet', 9, BEFORE_BOOT, { state: 'dead' })], sockets: [{ scope: 'instance', network: null, file: HA_SOCK, state: 'refused', modifiedAt: BEFORE_BOOT }] }), newEpisode(), SETTINGS);
    expect(d).toMatchObject({ verdict: 'healthy', actions: [], summary: `Docker answers on ${PROFILE.dockerSocket}` });
  });

  it('says when Docker Desktop is the active context, and when the context points elsewhere', () => {
    const desktop = diagnose(facts({ context: { name: 'desktop-linux', endpoint: 'unix:///Users/u/.docker/run/docker.sock', source: 'config.json', error: null }, desktop: { active: true, ping: ping(false, '/Users/u/.docker/run/docker.sock') } }), newEpisode(), SETTINGS);
    expect(desktop.findings.map((f) => f.text)).toEqual(['Docker Desktop is the active context (unix:///Users/u/.docker/run/docker.sock), not answering (connect ECONNREFUSED): headroom does not recover Docker Desktop']);
    const elsewhere = diagnose(facts({ context: { name: 'default', endpoint: 'unix:///var/run/docker.sock', source: 'default', error: null } }), newEpisode(), SETTINGS);
    expect(elsewhere.findings[0]?.text).toBe(`the active docker context (default) points at unix:///var/run/docker.sock, not at Colima's ${PROFILE.dockerSocket}`);
  });

  it('leaves a cleanly stopped Colima stopped (docker.start: wasRunning), and says why under never', () => {
    expect(diagnose(down({}), newEpisode(), SETTINGS)).toMatchObject({ verdict: 'leave', actions: [], summary: 'Colima is stopped, with no sign it was left running: headroom leaves it stopped' });
    expect(diagnose(down({}), newEpisode(), { ...SETTINGS, start: 'never' })).toMatchObject({ verdict: 'leave', summary: 'docker.start is never: headroom does not start Colima (run "headroom docker recover")' });
  });

  it("a live user-v2 helper (another profile's) is no sign that this profile was left running", () => {
    const helper = down({ pidFiles: [pidFile('usernet', 700, SINCE_BOOT, alive('limactl', SINCE_BOOT))] });
    expect(diagnose(helper, newEpisode(), SETTINGS)).toMatchObject({ verdict: 'leave', actions: [] });
  });

  it('starts a stopped Colima under docker.start: always, and when asked (headroom docker recover)', () => {
    expect(kinds(diagnose(down({}), newEpisode(), { ...SETTINGS, start: 'always' }))).toEqual(['start 1']);
    expect(kinds(diagnose(down({}), newEpisode(), { ...SETTINGS, start: 'never', manual: true }))).toEqual(['start 1']);
  });
});

describe('diagnose: the failure modes after a power cut', () => {
  it('disk in use: removes the stale PID files, unlocks our own lock, then starts', () => {
    const d = diagnose(
      down({
        pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, alive('mds_stores', NOW - 1000)), pidFile('driver', 612, BEFORE_BOOT, alive('mds_stores', NOW - 1000))],
        diskLocks: [{ disk: 'colima', file: `${PROFILE.diskDir}/in_use_by`, target: PROFILE.instanceDir, owner: 'colima' }],
        haLogErrors: ['failed to run attach disk "colima", in use by instance "colima"'],
      }),
      newEpisode(),
      SETTINGS,
    );
    expect(d.verdict).toBe('act');
    expect(kinds(d)).toEqual(['remove ha.pid', 'remove vz.pid', 'disk-unlock', 'start 1']);
    expect(d.actions.map((a) => a.tier)).toEqual(['safe', 'safe', 'safe', 'start']);
    expect(d.actions[0]?.reason).toBe(`_lima/colima/ha.pid is stale: written ${new Date(BEFORE_BOOT).toISOString()}, before this boot (${new Date(NOW - 3_600_000).toISOString()})`);
    expect(d.actions[2]?.reason).toBe('disk "colima" is locked by colima, which is not running (a lock left by a crash)');
    expect(d.summary).toContain('the data disk is locked "in use"');
    expect(d.evidence.leftRunning).toBe(true);
  });

  it("never unlocks another instance's lock on our disk", () => {
    const d = diagnose(down({ diskLocks: [{ disk: 'colima', file: `${PROFILE.diskDir}/in_use_by`, target: '/Users/u/.colima/_lima/colima-data', owner: 'colima-data' }] }), newEpisode(), SETTINGS);
    expect(d).toMatchObject({ verdict: 'blocked', actions: [] });
    expect(d.summary).toBe('the data disk "colima" is locked by instance "colima-data": headroom does not unlock another instance\'s disk');
  });

  it('ha.sock refused: reads a Broken twice, then removes the dead pid file and the refusing socket, and starts', () => {
    const broken = down({
      lima: lima('Broken', [`failed to get Info from "${HA_SOCK}": Get "http://lima-hostagent/v1/info": dial unix ${HA_SOCK}: connect: connection refused`]),
      pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, { state: 'dead' })],
      sockets: [{ scope: 'instance', network: null, file: HA_SOCK, state: 'refused', modifiedAt: SINCE_BOOT }],
    });
    const first = diagnose(broken, newEpisode(), SETTINGS);
    expect(first).toMatchObject({ verdict: 'recheck', actions: [], recheckAfterMs: 10_000 });
    const second = diagnose(broken, rechecked(), SETTINGS);
    expect(kinds(second)).toEqual(['remove ha.pid', 'remove ha.sock', 'start 1']);
    expect(second.summary).toBe("colima is Broken; the host agent's ha.sock refuses connections: its PID file outlived the host agent");
  });

  it('vz driver running but host agent not: the dead ha.pid goes, your orphaned driver is force-stopped, then start', () => {
    const d = diagnose(
      down({
        lima: lima('Broken', ['vz driver is running but host agent is not']),
        pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, { state: 'dead' }), pidFile('driver', 640, SINCE_BOOT, alive('limactl', SINCE_BOOT - 1000))],
      }),
      rechecked(),
      SETTINGS,
    );
    expect(kinds(d)).toEqual(['remove ha.pid', 'force-stop', 'start 1']);
    expect(d.actions[1]?.reason).toBe('colima is Broken with Docker dead, and every PID file is stale or names your own Lima/Colima process, and its host agent does not answer');
  });

  it('a false Running after a reboot (PID files of the last boot, pids reused): removes them, stops nothing, starts', () => {
    const d = diagnose(
      down({
        lima: lima('Running'),
        colima: { ...COLIMA_STOPPED, message: 'error retrieving current runtime: empty value' },
        pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, alive('WindowServer', NOW - 3_500_000, 88)), pidFile('driver', 612, BEFORE_BOOT, alive('WindowServer', NOW - 3_500_000, 88))],
      }),
      rechecked(),
      SETTINGS,
    );
    expect(kinds(d)).toEqual(['remove ha.pid', 'remove vz.pid', 'start 1']);
    expect(d.findings.map((f) => f.text)).toContain('colima cannot read its runtime (a false Running after a reboot)');
    expect(d.findings.map((f) => f.text)).toContain('colima says Running but Docker is dead (a false Running)');
  });

  it('a false Running whose host agent answers (Docker died inside the VM): a graceful colima stop, then start', () => {
    const d = diagnose(
      down({
        lima: lima('Running'),
        colima: { ...facts().colima!, running: true },
        pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), pidFile('driver', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT))],
        sockets: [{ scope: 'instance', network: null, file: HA_SOCK, state: 'accepts', modifiedAt: SINCE_BOOT }],
      }),
      rechecked(),
      SETTINGS,
    );
    expect(kinds(d)).toEqual(['stop', 'start 1']);
    // A graceful stop that did not end it is followed by a forced one.
    expect(kinds(diagnose(down({ lima: lima('Running'), pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT))], sockets: [{ scope: 'instance', network: null, file: HA_SOCK, state: 'accepts', modifiedAt: SINCE_BOOT }] }), rechecked({ done: ['stop'], startAttempts: 1 }), SETTINGS))).toEqual(['force-stop', 'start 2']);
  });

  it('a stale user-v2 helper: its pid file and refusing sockets go; a live helper keeps its sockets', () => {
    const netDir = `${PROFILE.networksDir}/user-v2`;
    const socket = { scope: 'network' as const, network: 'user-v2', file: `${netDir}/user-v2_qemu.sock`, state: 'refused' as const, modifiedAt: BEFORE_BOOT };
    const haPid = pidFile('hostagent', 612, BEFORE_BOOT, { state: 'dead' });
    const stale = diagnose(down({ pidFiles: [haPid, pidFile('usernet', 700, BEFORE_BOOT, { state: 'dead' })], sockets: [socket], haLogErrors: ['error calling fd_connect: fd_connect: dial unix user-v2_qemu.sock: connect: connection refused'] }), rechecked(), SETTINGS);
    expect(kinds(stale)).toEqual(['remove ha.pid', 'remove usernet_user-v2.pid', 'remove user-v2_qemu.sock', 'start 1']);
    const live = diagnose(down({ pidFiles: [haPid, pidFile('usernet', 700, SINCE_BOOT, alive('limactl', SINCE_BOOT))], sockets: [socket] }), rechecked(), SETTINGS);
    expect(kinds(live)).toEqual(['remove ha.pid', 'start 1']);
  });
});

describe('diagnose: a slow Docker is not a dead one', () => {
  // Running, your host agent and driver live (past the start grace), ha.sock answering: only /_ping differs.
  const live = (dockerSock: 'accepts' | 'refused' | 'timeout', overrides: Partial<ColimaFacts> = {}): ColimaFacts =>
    facts({
      lima: lima('Running'),
      pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), pidFile('driver', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT))],
      sockets: [
        { scope: 'instance', network: null, file: HA_SOCK, state: 'accepts', modifiedAt: SINCE_BOOT },
        { scope: 'profile', network: null, file: PROFILE.dockerSocket, state: dockerSock, modifiedAt: SINCE_BOOT },
      ],
      ...overrides,
    });

  it('a /_ping timeout while docker.sock accepts (a swapping VM): waits, on the first read and after a second one, and stops nothing', () => {
    for (const episode of [newEpisode(), rechecked()]) {
      const d = diagnose(live('accepts', { ping: pingTimedOut() }), episode, SETTINGS);
      expect(d).toMatchObject({ verdict: 'wait', actions: [] });
      expect(d.summary).toBe(`Docker is slow, not down: ${PROFILE.dockerSocket} accepts connections but /_ping got no answer in time (GET /_ping: no answer within 3000 ms): headroom stops nothing and looks again at the next check`);
    }
    // A probe of docker.sock that timed out too is a listener, busy: still no stop.
    expect(diagnose(live('timeout', { ping: pingTimedOut() }), rechecked(), SETTINGS).verdict).toBe('wait');
  });

  it('a refused /_ping, or a timeout while docker.sock refuses, is Docker dead: stop, then start', () => {
    expect(kinds(diagnose(live('refused', { ping: ping(false) }), rechecked(), SETTINGS))).toEqual(['stop', 'start 1']);
    expect(kinds(diagnose(live('refused', { ping: pingTimedOut() }), rechecked(), SETTINGS))).toEqual(['stop', 'start 1']);
  });

  it('headroom docker recover (you asked) recovers a slow Docker as if down, and says so', () => {
    const d = diagnose(live('accepts', { ping: pingTimedOut() }), rechecked(), { ...SETTINGS, manual: true });
    expect(kinds(d)).toEqual(['stop', 'start 1']);
    expect(d.findings.map((f) => f.text)).toContain(`Docker is slow, not down: ${PROFILE.dockerSocket} accepts connections but /_ping got no answer in time (GET /_ping: no answer within 3000 ms): you asked (headroom docker recover), so it is recovered as if down`);
  });
});

describe('diagnose: never touching what is not proven', () => {
  it('a host agent of yours that started moments ago (a colima start under way): waits, stops nothing', () => {
    const young = down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, NOW - 20_000, alive('limactl', NOW - 21_000))] });
    expect(diagnose(young, rechecked(), SETTINGS)).toMatchObject({ verdict: 'wait', actions: [], summary: 'colima is starting (its host agent, pid 612, started 20 s ago): headroom waits for it and stops nothing' });
  });


  const recycledAndLive = down({
    lima: lima('Broken', ['host agent is running but driver is not']),
    pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), pidFile('driver', 613, SINCE_BOOT, alive('Safari', SINCE_BOOT - 10_000))],
  });

  it('a reused pid: its file is removed, but no colima stop runs in this recovery (its SIGKILL could reach it)', () => {
    const d = diagnose(recycledAndLive, rechecked(), SETTINGS);
    expect(kinds(d)).toEqual(['remove vz.pid']);
    expect(d.summary).toBe('a PID file named a pid that another program now uses: headroom runs no colima stop in this recovery, so that no signal can reach it');
    expect(d.evidence.recycled).toBe(true);
    // Next pass, the file is gone, but the episode remembers: still no stop.
    const next = diagnose(down({ lima: lima('Broken'), pidFiles: [recycledAndLive.pidFiles[0]!] }), rechecked({ recycledSeen: true, done: d.actions.map((a) => a.key) }), SETTINGS);
    expect(next).toMatchObject({ verdict: 'blocked', actions: [] });
  });

  it("a pid whose owner cannot be read, or another user's process: nothing is stopped", () => {
    const unknown = diagnose(down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, { state: 'unknown', error: 'ps: timed out' })] }), rechecked(), SETTINGS);
    expect(unknown).toMatchObject({ verdict: 'blocked', actions: [] });
    expect(unknown.summary).toBe('not every PID file is proven stale or yours (ha.pid: pid 612: ps: timed out): headroom stops and starts nothing');
    const foreign = diagnose(down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT, 0))] }), rechecked(), SETTINGS);
    expect(foreign).toMatchObject({ verdict: 'blocked', actions: [] });
  });

  it('no start either while a PID file is not proven (colima start runs pkill -F daemon.pid on a "running" daemon)', () => {
    const d = diagnose(down({ pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, { state: 'dead' }), pidFile('colima-daemon', 700, SINCE_BOOT, { state: 'unknown', error: 'ps: timed out' })] }), rechecked(), { ...SETTINGS, start: 'always' });
    expect(kinds(d)).toEqual(['remove ha.pid']);
    expect(d.summary).toBe('not every PID file is proven stale or yours (daemon.pid: pid 700: ps: timed out): headroom stops and starts nothing');
    // A daemon.pid naming another program is stale: removed first, then the start.
    const recycledDaemon = diagnose(down({ pidFiles: [pidFile('colima-daemon', 700, SINCE_BOOT, alive('Slack', SINCE_BOOT - 1000))] }), rechecked(), { ...SETTINGS, start: 'always' });
    expect(kinds(recycledDaemon)).toEqual(['remove daemon.pid', 'start 1']);
  });

  it('after colima stop --force, processes left running are killed only with docker.allow.killProcesses', () => {
    const left = down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT))] });
    const episode = rechecked({ done: ['force-stop'] });
    expect(diagnose(left, episode, SETTINGS)).toMatchObject({ verdict: 'blocked', summary: 'colima stop --force left Lima processes running (612): set docker.allow.killProcesses to let headroom end them' });
    const allowed = diagnose(left, episode, { ...SETTINGS, allow: { ...SETTINGS.allow, killProcesses: true } });
    expect(allowed.actions).toEqual([expect.objectContaining({ kind: 'kill', tier: 'destructive', pid: 612, name: 'limactl' }), expect.objectContaining({ kind: 'start', attempt: 1 })]);
    expect(diagnose(left, rechecked({ done: ['force-stop', 'kill:612'] }), { ...SETTINGS, allow: { ...SETTINGS.allow, killProcesses: true } })).toMatchObject({ verdict: 'blocked', actions: [] });
  });

  it('plans no kill of a process whose start time cannot be read (nothing would tell it from a reused pid)', () => {
    const left = down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, { state: 'alive', name: 'limactl', uid: 501, startedAt: null })] });
    const d = diagnose(left, rechecked({ done: ['force-stop'] }), { ...SETTINGS, allow: { ...SETTINGS.allow, killProcesses: true } });
    expect(d).toMatchObject({ verdict: 'blocked', actions: [] });
    expect(d.summary).toBe('colima stop --force left your limactl (pid 612) running, and its start time cannot be read: headroom cannot prove the pid still names it when signalling, so it sends nothing');
  });

  it("docker.allow.killProcesses ends only this instance's host agent and driver, never the user-v2 helper every profile shares", () => {
    const left = down({
      lima: lima('Broken'),
      pidFiles: [pidFile('hostagent', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), pidFile('driver', 612, SINCE_BOOT, alive('limactl', SINCE_BOOT)), pidFile('usernet', 700, SINCE_BOOT, alive('limactl', SINCE_BOOT))],
    });
    const episode = rechecked({ done: ['force-stop'] });
    expect(diagnose(left, episode, SETTINGS).summary).toBe('colima stop --force left Lima processes running (612): set docker.allow.killProcesses to let headroom end them');
    const allowed = diagnose(left, episode, { ...SETTINGS, allow: { ...SETTINGS.allow, killProcesses: true } });
    expect(allowed.actions.filter((a) => a.kind === 'kill').map((a) => a.kind === 'kill' && a.pid)).toEqual([612]);
  });
});

describe('diagnose: bounded starts', () => {
  const stopped = down({ pidFiles: [], lima: lima('Stopped') });
  const failed = (startAttempts: number, done: string[] = []): Episode => rechecked({ startAttempts, leftRunning: true, done, lastStart: { mode: 'disk-in-use', message: 'in use by instance "colima"' } });

  it('backs off exponentially between attempts', () => {
    expect([1, 2, 3, 4].map((n) => startDelayMs(n, 30_000))).toEqual([0, 30_000, 60_000, 120_000]);
    const second = diagnose(stopped, failed(1), SETTINGS);
    expect(second.actions).toEqual([expect.objectContaining({ kind: 'start', attempt: 2, delayMs: 30_000 })]);
    expect(second.actions[0]?.reason).toBe('start 2 of 3 (last: the data disk is locked "in use" by an instance (a stale lock after a crash))');
  });

  it('gives up after startAttempts, and says until when', () => {
    expect(diagnose(stopped, failed(3), SETTINGS)).toMatchObject({
      verdict: 'gave-up',
      actions: [],
      summary: 'colima start failed 3 times (last: the data disk is locked "in use" by an instance (a stale lock after a crash)): headroom stops trying until Docker answers again, the next boot, or "headroom docker recover"',
    });
  });

  it('with docker.allow.deleteVm: deletes the VM (keeping its data unless deleteData), then one more start, then gives up', () => {
    const allow = { ...SETTINGS, allow: { deleteVm: true, deleteData: false, killProcesses: false } };
    expect(diagnose(stopped, failed(3), allow).actions).toEqual([expect.objectContaining({ kind: 'delete-vm', tier: 'destructive', data: false })]);
    expect(diagnose(stopped, failed(3), { ...allow, allow: { ...allow.allow, deleteData: true } }).actions[0]).toMatchObject({ data: true });
    expect(diagnose(stopped, failed(3, ['delete-vm']), allow).actions).toEqual([expect.objectContaining({ kind: 'start', attempt: 4, delayMs: 0 })]);
    expect(diagnose(stopped, failed(4, ['delete-vm']), allow).verdict).toBe('gave-up');
  });

  it('does not plan again what the episode has done', () => {
    const crashed = down({ pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, { state: 'dead' })] });
    const first = diagnose(crashed, rechecked(), SETTINGS);
    expect(kinds(first)).toEqual(['remove ha.pid', 'start 1']);
    expect(kinds(diagnose(crashed, rechecked({ done: first.actions.map((a) => a.key), startAttempts: 1 }), SETTINGS))).toEqual(['start 2']);
  });

  it('skips the second read when recheckMs is 0', () => {
    expect(diagnose(down({ lima: lima('Broken'), pidFiles: [pidFile('hostagent', 612, BEFORE_BOOT, { state: 'dead' })] }), newEpisode(), { ...SETTINGS, recheckMs: 0 }).verdict).toBe('act');
  });
});
