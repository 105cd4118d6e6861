import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDockerSocket } from '../../test/helpers/fake-docker-socket.js';
import { makeFakeColimaHome, type FakeColimaHome } from '../../test/helpers/fake-colima-home.js';
import { FakeRunner, type FakeAnswer } from '../../test/helpers/fake-runner.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import { InstantClock } from '../../test/helpers/instant-clock.js';
import type { PidOwner } from '../ports/pid-lookup.js';
import { gatherFacts, type GatherDeps } from './gather.js';

const NOW = Date.now();
const BEFORE_BOOT = NOW - 86_400_000;
let fake: FakeColimaHome;
let docker: FakeDockerSocket | null = null;

beforeEach(() => {
  fake = makeFakeColimaHome();
});
afterEach(async () => {
  await docker?.close();
  docker = null;
  fake.cleanup();
});

function deps(answer: (file: string, args: readonly string[]) => FakeAnswer, owners: Record<number, PidOwner> = {}, overrides: Partial<GatherDeps> = {}): GatherDeps & { runner: FakeRunner } {
  return {
    profile: fake.profile,
    homeWhy: '~/.colima exists',
    installed: { colima: true, limactl: true, docker: true },
    runner: new FakeRunner(answer),
    pids: { lookup: (pid) => Promise.resolve(owners[pid] ?? { state: 'dead' }) },
    ownUid: 501,
    env: { colima: { COLIMA_HOME: fake.profile.colimaHome }, lima: { LIMA_HOME: fake.profile.limaHome } },
    processEnv: {},
    home: fake.home,
    commandTimeoutMs: 2000,
    pingTimeoutMs: 500,
    clock: new InstantClock(NOW),
    ...overrides,
  } as GatherDeps & { runner: FakeRunner };
}

describe('gatherFacts', () => {
  it('healthy: pings the profile socket and runs nothing', async () => {
    docker = await new FakeDockerSocket(fake.profile.dockerSocket).listen();
    const d = deps(() => ({ exitCode: 99 }));
    const facts = await gatherFacts(d, NOW - 3_600_000);
    expect(facts.ping).toMatchObject({ ok: true, error: null, socket: fake.profile.dockerSocket });
    expect(facts.colima).toBeNull();
    expect(facts.lima).toBeNull();
    expect(d.runner.calls).toEqual([]);
    expect(facts.context).toEqual({ name: 'default', endpoint: 'unix:///var/run/docker.sock', source: 'default', error: null });
    // The docker.sock itself is one of the probed socket files, and answers.
    expect(facts.sockets).toEqual([expect.objectContaining({ scope: 'profile', file: fake.profile.dockerSocket, state: 'accepts' })]);
  });

  it('after a power cut: reads PID files (with mtimes and owners), refused sockets, the disk lock and the ha.stderr.log tail, then asks colima and limactl with their homes', async () => {
    fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    fake.pid('_lima/colima/vz.pid', 612, BEFORE_BOOT);
    fake.pid('_lima/_networks/user-v2/usernet_user-v2.pid', 'garbage', BEFORE_BOOT);
    fake.pid('default/daemon/daemon.pid', 700);
    fake.deadSocket('_lima/colima/ha.sock', BEFORE_BOOT);
    fake.deadSocket('default/docker.sock', BEFORE_BOOT);
    fake.deadSocket('_lima/_networks/user-v2/user-v2_qemu.sock', BEFORE_BOOT);
    fake.write('_lima/_disks/colima/datadisk', '');
    fake.lock('colima', 'colima');
    fake.write('_lima/_disks/other/datadisk', '');
    fake.lock('other', 'someone-else');
    fake.write('_lima/colima/ha.stderr.log', `{"level":"info","msg":"Starting the instance"}\n${readFixture('colima', 'lima-ha-stderr-disk-in-use.json')}`);
    const d = deps(
      (file) =>
        file === 'colima'
          ? { exitCode: 1, stderr: readFixture('colima', 'colima-status-runtime-empty.txt') }
          : { exitCode: 0, stdout: `{"name":"colima","status":"Broken","dir":"${fake.profile.instanceDir}","vmType":"vz","hostAgentPID":612,"driverPID":612,"errors":["vz driver is running but host agent is not"]}\n` },
      { 612: { state: 'alive', name: 'Safari', uid: 501, startedAt: NOW - 1000 }, 700: { state: 'alive', name: 'colima', uid: 501, startedAt: NOW - 5000 } },
    );
    const facts = await gatherFacts(d, NOW - 3_600_000);
    expect(facts.pidFiles.map((p) => [p.kind, p.file.slice(fake.profile.colimaHome.length + 1), p.pid, p.owner?.state, Math.round(p.modifiedAt / 1000)])).toEqual([
      ['hostagent', '_lima/colima/ha.pid', 612, 'alive', Math.round(BEFORE_BOOT / 1000)],
      ['driver', '_lima/colima/vz.pid', 612, 'alive', Math.round(BEFORE_BOOT / 1000)],
      ['usernet', '_lima/_networks/user-v2/usernet_user-v2.pid', null, undefined, Math.round(BEFORE_BOOT / 1000)],
      ['colima-daemon', 'default/daemon/daemon.pid', 700, 'alive', expect.any(Number) as unknown],
    ]);
    expect(facts.sockets.map((s) => [s.scope, s.network, s.file.split('/').pop(), s.state])).toEqual([
      ['instance', null, 'ha.sock', 'refused'],
      ['profile', null, 'docker.sock', 'refused'],
      ['network', 'user-v2', 'user-v2_qemu.sock', 'refused'],
    ]);
    expect(facts.diskLocks).toEqual([{ disk: 'colima', file: fake.at('_lima/_disks/colima/in_use_by'), target: fake.profile.instanceDir, owner: 'colima' }]);
    expect(facts.haLogErrors).toEqual(['failed to run attach disk "testdisk", in use by instance "testvm"']);
    expect(facts.ping).toMatchObject({ ok: false, error: 'GET /_ping: ECONNREFUSED' });
    expect(facts.colima).toMatchObject({ running: false, message: 'error retrieving current runtime: empty value' });
    expect(facts.lima?.instance).toMatchObject({ status: 'Broken', errors: ['vz driver is running but host agent is not'] });
    expect(d.runner.calls.map((c) => [c.file, ...c.args, c.options.env])).toEqual([
      ['colima', 'status', '--profile', 'default', '--json', { COLIMA_HOME: fake.profile.colimaHome }],
      ['limactl', 'list', '--json', 'colima', { LIMA_HOME: fake.profile.limaHome }],
    ]);
  });

  it('falls back to the text status of a colima without --json, and reads an unknown Lima instance as absent', async () => {
    const d = deps((file, args) => {
      if (file === 'colima') return args.includes('--json') ? { exitCode: 1, stderr: 'Error: unknown flag: --json\n' } : { exitCode: 1, stderr: readFixture('colima', 'colima-status-not-running.txt') };
      return { exitCode: 1, stderr: 'time="2026-11-21T12:00:00Z" level=warning msg="No instance matching colima found."\n' };
    });
    const facts = await gatherFacts(d, null);
    expect(d.runner.calls.map((c) => c.args.join(' '))).toEqual(['status --profile default --json', 'status --profile default', 'list --json colima']);
    expect(facts.colima).toMatchObject({ running: false, message: 'colima is not running', form: 'text' });
    expect(facts.lima).toEqual({ instance: null, error: null });
  });

  it('says what failed when colima or limactl cannot run', async () => {
    const facts = await gatherFacts(deps(() => ({ timedOut: true, signal: 'SIGTERM' })), null);
    expect(facts.colima?.message).toMatch(/^colima status --profile default --json: timed out/);
    expect(facts.lima?.error).toMatch(/^limactl list --json colima: timed out/);
  });

  it('reads nothing without colima: no files, no lookups, no commands', async () => {
    fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    let lookups = 0;
    const d = deps(() => ({ exitCode: 99 }), {}, { installed: { colima: false, limactl: true, docker: true }, pids: { lookup: () => ((lookups += 1), Promise.resolve({ state: 'dead' })) } });
    const facts = await gatherFacts(d, null);
    expect([facts.pidFiles, facts.sockets, d.runner.calls, lookups]).toEqual([[], [], [], 0]);
  });

  it('reads nothing of a profile that does not exist', async () => {
    const d = deps(() => ({ exitCode: 99 }), {}, { profile: { ...fake.profile, configDir: fake.at('nope'), instanceDir: fake.at('_lima/colima-nope') } });
    const facts = await gatherFacts(d, null);
    expect(facts.profileExists).toBe(false);
    expect(d.runner.calls).toEqual([]);
  });

  it('pings Docker Desktop when it is the active context', async () => {
    fake.write('../.docker/config.json', '{"currentContext":"desktop-linux"}');
    const { contextMetaFile } = await import('./docker-context.js');
    const meta = contextMetaFile(`${fake.home}/.docker`, 'desktop-linux');
    fake.write(`../${meta.slice(fake.home.length + 1)}`, `{"Endpoints":{"docker":{"Host":"unix://${fake.home}/.docker/run/docker.sock"}}}`);
    docker = await new FakeDockerSocket(`${fake.home}/.docker/run/docker.sock`).listen();
    const facts = await gatherFacts(deps(() => ({ exitCode: 1 })), null);
    expect(facts.context).toMatchObject({ name: 'desktop-linux', source: 'config.json' });
    expect(facts.desktop).toEqual({ active: true, ping: expect.objectContaining({ ok: true }) as unknown });
  });
});
