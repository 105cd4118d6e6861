import { describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { FakeRunner, type FakeAnswer } from '../../test/helpers/fake-runner.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import { ServiceChecker, serviceSpecs, type ServiceCheckerDeps } from './services.js';

const ENV = { DOCKER_HOST: 'unix:///Users/u/.colima/default/docker.sock' };
const ALLOW_NONE = { removeContainers: false, composeDown: false, forceRecreate: false };

// No capture of `docker inspect` was found: containers are built in the test from the Engine
// API's ContainerInspect fields headroom reads.
function inspectJson(name: string, status: string, labels: Record<string, string> = {}): string {
  return JSON.stringify([{ Id: `${name}-id`, Name: `/${name}`, State: { Status: status, Running: status === 'running' }, Config: { Labels: labels } }]);
}
const composeLs = (status: string) => JSON.stringify([{ Name: 'stack', Status: status, ConfigFiles: '/s/compose.yaml' }]);

function make(answer: (args: readonly string[], call: number) => FakeAnswer, overrides: Partial<ServiceCheckerDeps> = {}) {
  let call = 0;
  const runner = new FakeRunner((_file, args) => answer(args, call++));
  const made = new ServiceChecker({ runner, env: ENV, commandTimeoutMs: 1000, upTimeoutMs: 600_000, allow: ALLOW_NONE, logger: silentLogger, dryRun: false, ...overrides });
  return { checker: made, runner, argv: () => runner.calls.map((c) => c.args.join(' ')) };
}

describe('ServiceChecker: containers by name', () => {
  it('leaves a running container alone', async () => {
    const { checker, argv, runner } = make(() => ({ stdout: inspectJson('chromadb', 'running') }));
    expect(await checker.checkAll([{ container: 'chromadb' }])).toEqual([{ service: 'chromadb', state: 'running', detail: 'chromadb runs', commands: [] }]);
    expect(argv()).toEqual(['inspect --type container chromadb']);
    expect(runner.calls[0]?.options.env).toEqual(ENV);
  });

  it('docker start for an existing container that does not run, then checks again', async () => {
    const { checker, argv } = make((args, call) => ({ stdout: args[0] === 'inspect' ? inspectJson('chromadb', call === 0 ? 'exited' : 'running') : 'chromadb\n' }));
    expect(await checker.checkAll([{ container: 'chromadb' }])).toEqual([{ service: 'chromadb', state: 'started', detail: 'chromadb was exited; docker start brought it back', commands: ['docker start chromadb'] }]);
    expect(argv()).toEqual(['inspect --type container chromadb', 'start chromadb', 'inspect --type container chromadb']);
  });

  it('says missing (it never creates one), failed, or unknown when Docker does not answer (captured text)', async () => {
    expect((await make(() => ({ exitCode: 1, stdout: '[]', stderr: 'Error: No such container: chromadb\n' })).checker.checkAll([{ container: 'chromadb' }]))[0]).toMatchObject({ state: 'missing' });
    const stuck = make((args) => (args[0] === 'inspect' ? { stdout: inspectJson('chromadb', 'exited') } : { exitCode: 1, stderr: 'Error response from daemon: driver failed\n' }));
    expect((await stuck.checker.checkAll([{ container: 'chromadb' }]))[0]).toMatchObject({ state: 'failed', detail: 'chromadb does not run after docker start: docker start chromadb: exited 1: Error response from daemon: driver failed' });
    const down = make(() => ({ exitCode: 1, stderr: readFixture('docker', 'docker-ps-unreachable-colima.txt') }));
    expect((await down.checker.checkAll([{ container: 'chromadb' }]))[0]).toMatchObject({ state: 'unknown', detail: 'Docker does not answer' });
  });
});

describe('ServiceChecker: compose projects', () => {
  const spec = { compose: '/s', files: null };

  it('leaves a running project alone', async () => {
    const { checker, argv } = make(() => ({ stdout: composeLs('running(2)') }));
    expect((await checker.checkAll([spec]))[0]).toMatchObject({ state: 'running', detail: 'project stack runs (running(2))' });
    expect(argv()).toEqual(['compose ls --all --format json']);
  });

  it('compose up -d under the project name on its containers, with its own files, then checks again', async () => {
    const { checker, argv } = make((args, call) => ({ stdout: args[1] === 'ls' ? composeLs(call === 0 ? 'exited(2)' : 'running(2)') : '' }));
    expect((await checker.checkAll([spec]))[0]).toEqual({
      service: '/s',
      state: 'started',
      detail: 'project stack is exited(2); compose up brought it back (running(2))',
      commands: ['docker compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate'],
    });
    expect(argv()).toEqual(['compose ls --all --format json', 'compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate', 'compose ls --all --format json']);
  });

  it('up does not recreate containers (--no-recreate): only docker.allow.forceRecreate may, after a failed up', async () => {
    // compose recreates a container whose config hash changed; a name conflict, a failed up, and down + up all keep --no-recreate.
    const conflict = readFixture('docker', 'compose-name-conflict.txt');
    const ups = { n: 0 };
    const { checker, argv } = make(
      (args) => {
        if (args[1] === 'ls') return { stdout: composeLs(ups.n >= 3 ? 'running(1)' : 'exited(1)') };
        if (args[0] === 'inspect') return { stdout: inspectJson('chromadb', 'exited') };
        if (args.includes('up')) return ++ups.n === 1 ? { exitCode: 1, stderr: conflict } : ups.n === 2 ? { exitCode: 1, stderr: 'Error response from daemon: network abc not found\n' } : {};
        return {};
      },
      { allow: { ...ALLOW_NONE, removeContainers: true } },
    );
    await checker.checkAll([spec]);
    const upCalls = argv().filter((a) => a.includes(' up '));
    expect(upCalls).toEqual(['compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate', 'compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate']);
    expect(argv().some((a) => a.includes('--force-recreate'))).toBe(false);
  });

  it('a compose folder written with a trailing slash (or ~/) finds its project all the same', async () => {
    expect(serviceSpecs([{ compose: '/s/' }, { compose: '~/stack/', files: ['dev.yaml'] }, { container: 'chromadb' }], '/home/u')).toEqual([{ compose: '/s', files: null }, { compose: '/home/u/stack', files: ['dev.yaml'] }, { container: 'chromadb' }]);
    const { checker, argv } = make(() => ({ stdout: composeLs('running(2)') }));
    expect(await checker.checkAll(serviceSpecs([{ compose: '/s/' }], '/home/u'))).toEqual([{ service: '/s', state: 'running', detail: 'project stack runs (running(2))', commands: [] }]);
    expect(argv()).toEqual(['compose ls --all --format json']);
  });

  it('uses the configured files, and no -p for a project Docker does not know', async () => {
    const { checker, argv } = make((args, call) => ({ stdout: args[1] === 'ls' ? (call === 0 ? '[]' : JSON.stringify([{ Name: 's', Status: 'running(1)', ConfigFiles: '/s/dev.yaml' }])) : '' }));
    expect((await checker.checkAll([{ compose: '/s', files: ['dev.yaml'] }]))[0]?.state).toBe('started');
    expect(argv()[1]).toBe('compose --project-directory /s -f /s/dev.yaml up -d --no-recreate');
  });

  it('a name conflict (captured): reported with the remedy, and nothing removed without docker.allow.removeContainers', async () => {
    const conflict = readFixture('docker', 'compose-name-conflict.txt');
    const { checker, argv } = make((args) => (args[1] === 'ls' ? { stdout: composeLs('exited(1)') } : args[0] === 'inspect' ? { stdout: inspectJson('chromadb', 'exited') } : { exitCode: 1, stderr: conflict }));
    const [result] = await checker.checkAll([spec]);
    expect(result?.state).toBe('failed');
    expect(result?.detail).toBe('project stack is exited(1); compose up did not bring it back: container chromadb (a4ce9cd6b16a) already holds that name: remove it (docker rm a4ce9cd6b16a) or set docker.allow.removeContainers');
    expect(argv().some((a) => a.startsWith('rm '))).toBe(false);
  });

  it('with docker.allow.removeContainers: docker rm of the stopped holder, then up again', async () => {
    const conflict = readFixture('docker', 'compose-name-conflict.txt');
    let ups = 0;
    const { checker, argv } = make(
      (args) => {
        if (args[1] === 'ls') return { stdout: composeLs(ups >= 2 ? 'running(1)' : 'exited(1)') };
        if (args[0] === 'inspect') return { stdout: inspectJson('chromadb', 'exited') };
        if (args.includes('up')) return ++ups === 1 ? { exitCode: 1, stderr: conflict } : {};
        return {};
      },
      { allow: { ...ALLOW_NONE, removeContainers: true } },
    );
    expect((await checker.checkAll([spec]))[0]?.state).toBe('started');
    expect(argv()).toEqual([
      'compose ls --all --format json',
      'compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate',
      'inspect --type container a4ce9cd6b16ad279966e85a3b9777e6071050a3391f301faec9b3b5eff8e0ecc',
      'rm a4ce9cd6b16ad279966e85a3b9777e6071050a3391f301faec9b3b5eff8e0ecc',
      'compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate',
      'compose ls --all --format json',
    ]);
  });

  it('never removes a running container that holds the name', async () => {
    const { checker, argv } = make((args) => (args[1] === 'ls' ? { stdout: composeLs('exited(1)') } : args[0] === 'inspect' ? { stdout: inspectJson('chromadb', 'running') } : { exitCode: 1, stderr: readFixture('docker', 'compose-name-conflict-v1.txt') }), { allow: { ...ALLOW_NONE, removeContainers: true } });
    expect((await checker.checkAll([spec]))[0]?.detail).toContain('container cmdbuild_db (3ccf35e4eeb8) of another project runs and holds the name: headroom leaves it alone');
    expect(argv().some((a) => a.startsWith('rm '))).toBe(false);
  });

  it('--force-recreate, or down then up, only with their opt-ins', async () => {
    const failing = (args: readonly string[], ups: { n: number }) => (args[1] === 'ls' ? { stdout: composeLs(ups.n >= 2 ? 'running(1)' : 'exited(1)') } : args.includes('up') ? (++ups.n === 1 ? { exitCode: 1, stderr: 'Error response from daemon: network abc not found\n' } : {}) : {});
    const none = { n: 0 };
    const plain = make((args) => failing(args, none));
    expect((await plain.checker.checkAll([spec]))[0]?.detail).toBe('project stack is exited(1); compose up did not bring it back: docker compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate: exited 1: Error response from daemon: network abc not found');
    const recreate = { n: 0 };
    const r = make((args) => failing(args, recreate), { allow: { ...ALLOW_NONE, forceRecreate: true } });
    expect((await r.checker.checkAll([spec]))[0]?.state).toBe('started');
    expect(r.argv()).toContain('compose -p stack --project-directory /s -f /s/compose.yaml up -d --force-recreate');
    const downUp = { n: 0 };
    const d = make((args) => failing(args, downUp), { allow: { ...ALLOW_NONE, composeDown: true } });
    expect((await d.checker.checkAll([spec]))[0]?.state).toBe('started');
    expect(d.argv().slice(1, 4)).toEqual(['compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate', 'compose -p stack --project-directory /s -f /s/compose.yaml down', 'compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate']);
  });

  it('in a dry run, says what it would run and changes nothing', async () => {
    const { checker, argv } = make((args) => ({ stdout: args[0] === 'inspect' ? inspectJson('chromadb', 'exited') : composeLs('exited(2)') }), { dryRun: true });
    const results = await checker.checkAll([{ container: 'chromadb' }, spec]);
    expect(results.map((r) => [r.state, r.commands])).toEqual([
      ['would-start', ['docker start chromadb']],
      ['would-start', ['docker compose -p stack --project-directory /s -f /s/compose.yaml up -d --no-recreate']],
    ]);
    expect(argv()).toEqual(['inspect --type container chromadb', 'compose ls --all --format json']);
  });
});
