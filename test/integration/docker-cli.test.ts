/**
 * `headroom docker status|recover` and the daemon's Docker watch, spawned, against fake `colima`,
 * `limactl`, `docker` and `ps` executables (test/helpers/fake-colima-bin.ts) replaying the captured
 * outputs, a fake Colima home whose files have chosen mtimes, and a fake Docker socket answering
 * /_ping once the fake `colima start` has run. The darwin backend runs with a fake `sysctl` for
 * the boot; the recycled-pid case runs on Linux with real processes, which must survive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedAddress, readJson, readLiveState, runCliProcess, startCliProcess, waitFor } from '../helpers/cli-process.js';
import { addFakeBootSysctl, makeFakeColimaBin, type FakeCase, type FakeColimaBin } from '../helpers/fake-colima-bin.js';
import { makeFakeColimaHome, type FakeColimaHome } from '../helpers/fake-colima-home.js';
import { FakeDockerSocket } from '../helpers/fake-docker-socket.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';
import { fixturePath } from '../helpers/fixtures.js';

const NOW = Date.now();
const BOOTED_AT = NOW - 3_600_000;
// Whole seconds: the fake sysctl reports the boot to the second, and mtimes print as they were set.
const BEFORE_BOOT = Math.floor((BOOTED_AT - 86_400_000) / 1000) * 1000;
const UUID = '6C9A6C2E-0E6B-4E1D-9C0B-2B1E3A4F5D6E';

let fake: FakeColimaHome;
let bin: FakeColimaBin;
let docker: FakeDockerSocket;
let env: Record<string, string>;
let config: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  fake = makeFakeColimaHome();
  bin = makeFakeColimaBin();
  addFakeBootSysctl(bin.dir, UUID, BOOTED_AT);
  docker = await new FakeDockerSocket(fake.profile.dockerSocket, () => existsSync(bin.dockerUpMarker)).listen();
  env = { HOME: fake.home, PATH: `${bin.dir}:${process.env.PATH ?? ''}`, OLLAMA_HOST: await closedAddress() };
  config = path.join(fake.home, 'config.yaml');
  writeConfig('');
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await docker.close();
  bin.cleanup();
  fake.cleanup();
});

function writeConfig(dockerExtra: string, platformExtra = ''): void {
  writeFileSync(config, `ollama:\n  manage: false\nnotify:\n  enabled: false\n${platformExtra}docker:\n  recheckMs: 0\n  startBackoffMs: 10\n  pingTimeoutMs: 1000\n${dockerExtra}`);
}
const cli = (args: string[], platform = 'darwin') => runCliProcess([...args, '--platform', platform, '--config', config], env);
const joined = async (tool: Parameters<FakeColimaBin['calls']>[0]) => (await bin.calls(tool)).map((argv) => argv.join(' '));

/** colima and limactl after a power cut: not running; Lima reads the instance in `limaStatus`; starts fail while the disk lock is there. */
function scriptCrashed(limaStatus = 'Stopped', errors: string[] = [], start: Partial<FakeCase> = {}): void {
  bin.script('colima', [
    { args: 'status --profile default --json', exitCode: 1, effect: `cat ${JSON.stringify(fixturePath('colima', 'colima-status-not-running-nontty.txt'))} >&2` },
    {
      args: 'start --profile default',
      // colima gets COLIMA_HOME from headroom; a start fails while the stale lock is there (captured output).
      effect: `[ "$COLIMA_HOME" = ${JSON.stringify(fake.profile.colimaHome)} ] || exit 3; if [ -L "$COLIMA_HOME/_lima/_disks/colima/in_use_by" ]; then cat ${JSON.stringify(fixturePath('colima', 'colima-start-disk-in-use.txt'))} >&2; exit 1; fi; touch "$HERE/docker.up"`,
      ...start,
    },
  ]);
  bin.script('limactl', [
    { args: 'list --json colima', stdout: `${JSON.stringify({ name: 'colima', status: limaStatus, dir: fake.profile.instanceDir, vmType: 'vz', errors })}\n` },
    // limactl gets LIMA_HOME from headroom.
    { args: 'disk unlock colima', effect: 'rm -f "$LIMA_HOME/_disks/colima/in_use_by"', stderr: 'time="2026-12-02T01:00:00Z" level=info msg="Unlocked disk `colima`"\n' },
  ]);
}

describe('headroom docker (darwin backend, fakes)', () => {
  it('healthy: status and recover exit 0 and run no colima, limactl or docker', async () => {
    writeFileSync(bin.dockerUpMarker, '');
    scriptCrashed();
    const status = await cli(['docker', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^docker {4}answers on .*docker\.sock \(\d+ ms\)$/m);
    expect(status.stdout).toContain('verdict   healthy: Docker answers on');
    const recover = await cli(['docker', 'recover']);
    expect(recover.exitCode).toBe(0);
    expect(recover.stdout).toMatch(/^healthy: Docker answers on /m);
    expect([...(await joined('colima')), ...(await joined('limactl')), ...(await joined('docker'))]).toEqual([]);
  });

  it('disk in use after a power cut: recover removes the stale PID files, unlocks, starts once, exit 0', async () => {
    const haPid = fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    const vzPid = fake.pid('_lima/colima/vz.pid', 612, BEFORE_BOOT);
    fake.write('_lima/_disks/colima/datadisk', '');
    fake.lock('colima', 'colima');
    fake.write('_lima/colima/ha.stderr.log', '{"level":"fatal","msg":"failed to run attach disk \\"colima\\", in use by instance \\"colima\\""}\n');
    scriptCrashed();
    const status = await cli(['docker', 'status']);
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain('plan      1. [safe] remove');
    const result = await cli(['docker', 'recover']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(await joined('colima')).toEqual(['status --profile default --json', 'status --profile default --json', 'start --profile default']);
    expect(await joined('limactl')).toEqual(['list --json colima', 'list --json colima', 'disk unlock colima']);
    expect(await joined('ps')).toEqual(['-o uid=,etime=,comm= -p 612', '-o uid=,etime=,comm= -p 612', '-o uid=,etime=,comm= -p 612', '-o uid=,etime=,comm= -p 612']);
    expect(await joined('sysctl')).toEqual(['kern.bootsessionuuid kern.boottime', 'kern.bootsessionuuid kern.boottime']);
    expect(existsSync(haPid) || existsSync(vzPid) || fake.exists('_lima/_disks/colima/in_use_by')).toBe(false);
    expect(result.stdout).toContain(`done  [safe] removed ${haPid}: _lima/colima/ha.pid is stale: written`);
    expect(result.stdout).toContain('done  [safe] disk "colima" unlocked: disk "colima" is locked by colima, which is not running (a lock left by a crash)');
    expect(result.stdout).toMatch(/^recovered: Docker answers again after remove-file, remove-file, disk-unlock, start$/m);
  });

  it('vz driver running but host agent not: your orphaned limactl is force-stopped (guarded), then Colima starts', async () => {
    writeConfig('  startTimeoutMs: 60000\n');
    fake.pid('_lima/colima/ha.pid', 612, Date.now() - 600_000);
    fake.pid('_lima/colima/vz.pid', 640, Date.now() - 600_000);
    // ps shows pid 640 as your limactl, started 30 s before it wrote the file, so however slowly the
    // CLI runs it cannot look started after the file (a reused pid). No capture of this ps form: built here.
    bin.processes([{ pid: 640, uid: process.getuid!(), etime: '10:30', comm: '/opt/homebrew/Cellar/lima/2.1.2/bin/limactl' }]);
    scriptCrashed('Broken', ['vz driver is running but host agent is not']);
    bin.script('colima', [
      { args: 'status --profile default --json', exitCode: 1, effect: `cat ${JSON.stringify(fixturePath('colima', 'colima-status-not-running.txt'))} >&2` },
      // As limactl stop --force: the instance's pid and sock files go.
      { args: 'stop --force --profile default', effect: 'rm -f "$COLIMA_HOME/_lima/colima/"*.pid "$COLIMA_HOME/_lima/colima/"*.sock' },
      { args: 'start --profile default', effect: 'touch "$HERE/docker.up"' },
    ]);
    const result = await cli(['docker', 'recover']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(await joined('colima')).toEqual(['status --profile default --json', 'stop --force --profile default', 'start --profile default']);
    expect(result.stdout).toContain('done  [guarded] colima stop --force --profile default: done: colima is Broken with Docker dead, and every PID file is stale or names your own Lima/Colima process, and its host agent does not answer');
    expect(result.stdout).toMatch(/^recovered: /m);
  });

  it('--dry-run: says the plan, exit 0, and changes nothing (files, lock, argv)', async () => {
    const haPid = fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    fake.write('_lima/_disks/colima/datadisk', '');
    const lock = fake.lock('colima', 'colima');
    scriptCrashed();
    const result = await cli(['docker', 'recover', '--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      `plan  [safe] would remove ${haPid}: _lima/colima/ha.pid is stale: written ${new Date(BEFORE_BOOT).toISOString()}, before this boot (${new Date(Math.floor(BOOTED_AT / 1000) * 1000).toISOString()})`,
      'plan  [safe] would run limactl disk unlock colima: disk "colima" is locked by colima, which is not running (a lock left by a crash)',
      'plan  [start] would run colima start --profile default: Docker is down and Colima was left running: starting it',
    ]);
    expect(Math.round(lstatSync(haPid).mtimeMs / 1000)).toBe(Math.round(BEFORE_BOOT / 1000));
    expect(lstatSync(lock).isSymbolicLink()).toBe(true);
    expect(await joined('colima')).toEqual(['status --profile default --json']);
    expect(await joined('limactl')).toEqual(['list --json colima']);
    expect(existsSync(path.join(fake.home, 'Library', 'Application Support', 'headroom', 'docker-recovery-default.json'))).toBe(false);
  });

  it('start keeps failing: exactly startAttempts starts, exit 1, and the give-up is kept for this boot', async () => {
    writeConfig('  startAttempts: 2\n');
    fake.pid('_lima/colima/ha.pid', 612, BEFORE_BOOT);
    scriptCrashed('Stopped', [], { effect: `cat ${JSON.stringify(fixturePath('colima', 'colima-start-vz-driver-running.txt'))} >&2; exit 1` });
    const result = await cli(['docker', 'recover']);
    expect(result.exitCode).toBe(1);
    expect((await joined('colima')).filter((a) => a.startsWith('start'))).toEqual(['start --profile default', 'start --profile default']);
    expect(result.stdout).toMatch(/^failed: colima start failed 2 times \(last: Lima sees the VM driver running but not the host agent/m);
    const record = await readJson<{ bootId: string; summary: string }>(path.join(fake.home, 'Library', 'Application Support', 'headroom', 'docker-recovery-default.json'));
    expect(record).toMatchObject({ bootId: UUID });
    const status = await cli(['docker', 'status']);
    expect(status.stdout).toMatch(/^gave up {3}.*colima start failed 2 times/m);
    // The plan shown is the daemon's: this boot's starts are used up (docker-starts-default.json).
    expect(status.stdout).toMatch(/^verdict {3}gave-up: colima start ran 2 times in this boot without Docker answering \(2 of them before this run of headroom\)/m);
  });

  it('a name conflict of a compose service is reported with its remedy, exit 1, and nothing is removed', async () => {
    writeFileSync(bin.dockerUpMarker, '');
    const stack = path.join(fake.home, 'stack');
    // Written with a trailing slash, as a shell completes a folder: the project is found all the same.
    writeConfig(`  services:\n    - compose: ${stack}/\n`);
    const host = `unix://${fake.profile.dockerSocket}`;
    const checkHost = `[ "$DOCKER_HOST" = ${JSON.stringify(host)} ] || exit 3`;
    bin.script('docker', [
      { args: 'compose ls --all --format json', effect: checkHost, stdout: JSON.stringify([{ Name: 'stack', Status: 'exited(1)', ConfigFiles: `${stack}/compose.yaml` }]) },
      { args: `compose -p stack --project-directory ${stack} -f ${stack}/compose.yaml up -d --no-recreate`, effect: `${checkHost}; cat ${JSON.stringify(fixturePath('docker', 'compose-name-conflict.txt'))} >&2; exit 1` },
      // No capture of docker inspect: the container is built here with the fields headroom reads.
      { args: 'inspect --type container a4ce9cd6b16ad279966e85a3b9777e6071050a3391f301faec9b3b5eff8e0ecc', stdout: JSON.stringify([{ Id: 'a4ce9cd6b16a', Name: '/chromadb', State: { Status: 'exited', Running: false }, Config: { Labels: { 'com.docker.compose.project': 'chroma-old' } } }]) },
    ]);
    const result = await cli(['docker', 'recover']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`FAIL  ${stack}: project stack is exited(1); compose up did not bring it back: container chromadb (a4ce9cd6b16a) already holds that name: remove it (docker rm a4ce9cd6b16a) or set docker.allow.removeContainers`);
    expect((await joined('docker')).some((a) => a.startsWith('rm '))).toBe(false);
  });

  it('exit 64 for a bad --profile, 78 for a bad docker config, and --profile looks at another profile', async () => {
    expect((await cli(['docker', 'status', '--profile', 'no good'])).exitCode).toBe(64);
    writeConfig('  start: sometimes\n');
    const bad = await cli(['docker', 'status']);
    expect(bad.exitCode).toBe(78);
    expect(bad.stderr).toContain('docker.start');
    writeConfig('');
    const other = await cli(['docker', 'status', '--profile', 'data']);
    expect(other.exitCode).toBe(0);
    expect(other.stdout).toContain('verdict   inactive: no Colima profile "data"');
  });

  it('without colima on PATH: inactive, exit 0, nothing run', async () => {
    env.PATH = '/usr/bin:/bin';
    const status = await cli(['docker', 'status']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain('verdict   inactive: colima is not installed (not found on PATH): nothing to recover');
    const recover = await cli(['docker', 'recover']);
    expect(recover).toMatchObject({ exitCode: 0, stdout: 'inactive: colima is not installed (not found on PATH): nothing to recover' });
  });
});

describe('headroom docker with another Colima profile (docker.profile: work)', () => {
  it('recovers that profile: instance colima-work, its own socket and disk, --profile work on every colima call', async () => {
    const work = makeFakeColimaHome('work');
    const workDocker = await new FakeDockerSocket(work.profile.dockerSocket, () => existsSync(bin.dockerUpMarker)).listen();
    try {
      const workEnv = { ...env, HOME: work.home };
      const workConfig = path.join(work.home, 'config.yaml');
      writeFileSync(workConfig, `ollama:\n  manage: false\nnotify:\n  enabled: false\ndocker:\n  profile: work\n  recheckMs: 0\n  startBackoffMs: 10\n  pingTimeoutMs: 1000\n`);
      const haPid = work.pid('_lima/colima-work/ha.pid', 612, BEFORE_BOOT);
      work.write('_lima/_disks/colima-work/datadisk', '');
      work.lock('colima-work', 'colima-work');
      bin.script('colima', [
        // Not a capture: the default profile's captured line with the name Colima shows for another profile.
        { args: 'status --profile work --json', exitCode: 1, stderr: 'time="2026-07-02T00:57:35+05:30" level=fatal msg="colima [profile=work] is not running"\n' },
        { args: 'start --profile work', effect: `[ "$COLIMA_HOME" = ${JSON.stringify(work.profile.colimaHome)} ] || exit 3; [ -L "$COLIMA_HOME/_lima/_disks/colima-work/in_use_by" ] && exit 1; touch "$HERE/docker.up"` },
      ]);
      bin.script('limactl', [
        { args: 'list --json colima-work', stdout: `${JSON.stringify({ name: 'colima-work', status: 'Stopped', dir: work.profile.instanceDir, vmType: 'vz', errors: [] })}\n` },
        { args: 'disk unlock colima-work', effect: 'rm -f "$LIMA_HOME/_disks/colima-work/in_use_by"' },
      ]);
      const result = await runCliProcess(['docker', 'recover', '--platform', 'darwin', '--config', workConfig], workEnv);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(await joined('colima')).toEqual(['status --profile work --json', 'start --profile work']);
      expect(await joined('limactl')).toEqual(['list --json colima-work', 'disk unlock colima-work']);
      expect(existsSync(haPid) || work.exists('_lima/_disks/colima-work/in_use_by')).toBe(false);
      expect(result.stdout).toContain(`done  [safe] removed ${haPid}: _lima/colima-work/ha.pid is stale`);
      expect(result.stdout).toContain('done  [safe] disk "colima-work" unlocked');
      // Only the work profile's socket answers (it lives under this HOME): "answers again" is its /_ping.
      expect(result.stdout).toMatch(/^recovered: Docker answers again after remove-file, disk-unlock, start$/m);
    } finally {
      await workDocker.close();
      work.cleanup();
    }
  });
});

describe('headroom docker on Linux: a PID recycled by an unrelated process', () => {
  it('nothing is stopped or signalled; the live processes survive; exit 1', async () => {
    // A real process stands in for the reused pid, and one named limactl for your own host agent.
    const limactl = path.join(bin.dir, 'real', 'limactl');
    mkdirSync(path.dirname(limactl));
    symlinkSync('/bin/sleep', limactl);
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    const agent = spawn(limactl, ['60'], { stdio: 'ignore' });
    children.push(stranger, agent);
    fake.pid('_lima/colima/ha.pid', agent.pid!);
    fake.pid('_lima/colima/vz.pid', stranger.pid!);
    // A host agent younger than startTimeoutMs is a start under way (left alone): let it age past 1 s.
    writeConfig('  startTimeoutMs: 1000\n');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    scriptCrashed('Broken', ['host agent is running but driver is not']);
    const result = await cli(['docker', 'recover'], 'linux');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^failed: a PID file named a pid that another program now uses: headroom runs no colima stop in this recovery/m);
    expect(await joined('colima')).toEqual(['status --profile default --json', 'status --profile default --json']);
    expect(stranger.exitCode).toBeNull();
    expect(agent.exitCode).toBeNull();
    expect(() => process.kill(stranger.pid!, 0)).not.toThrow();
    expect(() => process.kill(agent.pid!, 0)).not.toThrow();
    expect(fake.exists('_lima/colima/vz.pid')).toBe(false);
    expect(fake.exists('_lima/colima/ha.pid')).toBe(true);
    const status = await runCliProcess(['status', '--platform', 'linux', '--config', config], env);
    expect(status.stdout).toMatch(/^docker {4}does not answer on .*docker\.sock: GET \/_ping: \w+ \(colima default\)$/m);
  });
});

describe('the daemon watches Docker (Linux backend, fake /proc)', () => {
  let proc: FakeProc;
  beforeEach(async () => {
    proc = await makeFakeProc();
  });
  afterEach(() => proc.cleanup());

  it('recovers at start after a power cut, then again when Docker goes down, and shows it in the state', async () => {
    writeConfig('  watchIntervalMs: 1000\n', `daemon:\n  intervalMs: 200\nlinux:\n  procRoot: ${proc.root}\n`);
    // The fake /proc booted at btime (test/fixtures/linux/proc-stat.txt): a PID file from a month before is stale.
    fake.pid('_lima/colima/ha.pid', 612, Date.UTC(2026, 10, 1));
    scriptCrashed('Running');
    const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], env);
    const stateFile = path.join(fake.home, '.local', 'state', 'headroom', 'state.json');
    try {
      const recovered = await waitFor(async () => {
        const state = await readLiveState(stateFile);
        return state?.docker?.state === 'healthy' ? state : undefined;
      }, 15_000, 'Docker recovered at start');
      expect(recovered.docker?.lastRecovery).toMatchObject({ trigger: 'start', outcome: 'recovered' });
      expect(fake.exists('_lima/colima/ha.pid')).toBe(false);
      rmSync(bin.dockerUpMarker);
      const again = await waitFor(async () => {
        const state = await readLiveState(stateFile);
        return state?.docker?.lastRecovery?.trigger === 'watch' && state.docker.state === 'healthy' ? state : undefined;
      }, 15_000, 'Docker recovered by the watch');
      expect(again.docker?.lastRecovery?.outcome).toBe('recovered');
      expect((await joined('colima')).filter((a) => a.startsWith('start'))).toEqual(['start --profile default', 'start --profile default']);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
    }
  });

  it('a daemon stopped or killed during colima start, and started again (launchd KeepAlive), runs colima start at most docker.startAttempts times in this boot', async () => {
    writeConfig('  startAttempts: 2\n', `daemon:\n  intervalMs: 200\nlinux:\n  procRoot: ${proc.root}\n`);
    const pids = path.join(bin.dir, 'colima-start.pids');
    // Every colima start hangs (a VM that does not come up); it notes its pid, so that the test can end it.
    scriptCrashed('Running', [], { effect: `echo $$ >> ${JSON.stringify(pids)}; exec sleep 30` });
    const stateFile = path.join(fake.home, '.local', 'state', 'headroom', 'state.json');
    const starts = async () => (await joined('colima')).filter((a) => a.startsWith('start')).length;
    try {
      for (const [run, signal] of [[1, 'SIGTERM'], [2, 'SIGKILL']] as const) {
        const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], env);
        await waitFor(async () => (await starts()) === run, 15_000, `colima start ${run}`);
        daemon.kill(signal);
        await daemon;
      }
      const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], env);
      try {
        const state = await waitFor(async () => {
          const read = await readLiveState(stateFile);
          return read?.docker?.state === 'gave-up' ? read : undefined;
        }, 15_000, 'the third daemon gives up');
        expect(state.docker?.summary).toBe('colima start ran 2 times in this boot without Docker answering (2 of them before this run of headroom): headroom stops trying until Docker answers again, the next boot, or "headroom docker recover"');
        expect(await starts()).toBe(2);
      } finally {
        daemon.kill('SIGTERM');
        expect((await daemon).exitCode).toBe(0);
      }
    } finally {
      for (const pid of (existsSync(pids) ? readFileSync(pids, 'utf8') : '').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Ended with its daemon's process group.
        }
      }
    }
  });

  it('looks PID files up in linux.processRoot, not in procRoot (here a fake tree without your processes)', async () => {
    const limactl = path.join(bin.dir, 'real', 'limactl');
    mkdirSync(path.dirname(limactl));
    symlinkSync('/bin/sleep', limactl);
    const agent = spawn(limactl, ['60'], { stdio: 'ignore' });
    children.push(agent);
    fake.pid('_lima/colima/ha.pid', agent.pid!);
    writeConfig('', `linux:\n  procRoot: ${proc.root}\n  processRoot: /proc\n`);
    scriptCrashed('Broken');
    const status = await cli(['docker', 'status', '--json'], 'linux');
    const { facts } = JSON.parse(status.stdout) as { facts: { pidFiles: Array<{ pid: number; owner: unknown }> } };
    expect(facts.pidFiles).toHaveLength(1);
    expect(facts.pidFiles[0]).toMatchObject({ pid: agent.pid, owner: { state: 'alive', name: 'limactl', uid: process.getuid!() } });
  });

  it('guard.dryRun (the same as headroom run --dry-run) makes its Docker recovery a dry run: the plan is in the state, nothing is run or removed', async () => {
    writeConfig('', `daemon:\n  intervalMs: 200\nguard:\n  dryRun: true\nlinux:\n  procRoot: ${proc.root}\n`);
    const haPid = fake.pid('_lima/colima/ha.pid', 612, Date.UTC(2026, 10, 1));
    scriptCrashed('Running');
    const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], env);
    const stateFile = path.join(fake.home, '.local', 'state', 'headroom', 'state.json');
    try {
      const state = await waitFor(async () => {
        const read = await readLiveState(stateFile);
        return read?.docker?.lastRecovery ? read : undefined;
      }, 15_000, 'the Docker check at start');
      expect(state.docker).toMatchObject({ state: 'dry-run', dryRun: true, lastRecovery: { trigger: 'start', outcome: 'dry-run' } });
      expect(state.docker?.lastRecovery?.actions.map((a) => [a.kind, a.dryRun])).toEqual([['remove-file', true], ['start', true]]);
      expect(existsSync(haPid)).toBe(true);
      expect(await joined('colima')).toEqual(['status --profile default --json']);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon).exitCode).toBe(0);
    }
  });
});
