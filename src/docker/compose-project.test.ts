import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { allRunning, composeIdentity, composeStates, parseComposeLs, parseInspect, parseNameConflict } from './compose-project.js';

describe('parseComposeLs', () => {
  it('reads the documented example', () => {
    expect(parseComposeLs(readFixture('docker', 'compose-ls.json'))).toEqual([{ name: 'dockergithubio', status: 'exited(1)', configFiles: ['/path/to/docs/docker-compose.yml'] }]);
  });

  it('splits several config files, and refuses what is not an array', () => {
    expect(parseComposeLs('[{"Name":"stack","Status":"running(2)","ConfigFiles":"/s/compose.yaml,/s/compose.override.yaml"}]')[0]?.configFiles).toEqual(['/s/compose.yaml', '/s/compose.override.yaml']);
    expect(parseComposeLs('')).toEqual([]);
    expect(() => parseComposeLs('{}')).toThrow('not a JSON array');
  });
});

describe('compose states', () => {
  it('counts each state and says when all run', () => {
    expect(composeStates('running(1), exited(2)')).toEqual({ running: 1, exited: 2 });
    expect(allRunning('running(3)')).toBe(true);
    expect(allRunning('running(1), exited(2)')).toBe(false);
    expect(allRunning('exited(1)')).toBe(false);
    expect(allRunning('')).toBe(false);
  });
});

describe('parseNameConflict', () => {
  it('reads Compose v2 and v1 (captured forms)', () => {
    expect(parseNameConflict(readFixture('docker', 'compose-name-conflict.txt'))).toEqual({ name: 'chromadb', id: 'a4ce9cd6b16ad279966e85a3b9777e6071050a3391f301faec9b3b5eff8e0ecc' });
    expect(parseNameConflict(readFixture('docker', 'compose-name-conflict-v1.txt'))).toEqual({ name: 'cmdbuild_db', id: '3ccf35e4eeb8ab266869534063bc3408c178cae53d0833855fedbe3dad90e1fc' });
    expect(parseNameConflict(readFixture('docker', 'docker-ps-unreachable-colima.txt'))).toBeNull();
  });
});

// No capture of `docker inspect` was found: the objects are built in the test with the fields of
// the Engine API's ContainerInspect answer that headroom reads (Id, Name, State, Config.Labels).
describe('parseInspect and composeIdentity', () => {
  const inspect = JSON.stringify([
    {
      Id: 'a4ce9cd6b16a',
      Name: '/chromadb',
      State: { Status: 'exited', Running: false, ExitCode: 255 },
      Config: { Labels: { 'com.docker.compose.project': 'stack', 'com.docker.compose.service': 'chroma', 'com.docker.compose.project.working_dir': '/Users/u/stack', 'com.docker.compose.project.config_files': '/Users/u/stack/compose.yaml,/Users/u/stack/dev.yaml' } },
    },
    { Id: 'b1', Name: '/plain', State: { Status: 'running', Running: true }, Config: { Labels: null } },
  ]);

  it('reads name, state and labels', () => {
    const [chroma, plain] = parseInspect(inspect);
    expect(chroma).toMatchObject({ id: 'a4ce9cd6b16a', name: 'chromadb', running: false, status: 'exited' });
    expect(plain).toEqual({ id: 'b1', name: 'plain', running: true, status: 'running', labels: {} });
    expect(composeIdentity(chroma!.labels)).toEqual({ project: 'stack', service: 'chroma', workingDir: '/Users/u/stack', configFiles: ['/Users/u/stack/compose.yaml', '/Users/u/stack/dev.yaml'] });
    expect(composeIdentity(plain!.labels)).toBeNull();
  });

  it('refuses what is not an array', () => {
    expect(() => parseInspect('{"message":"x"}')).toThrow('not a JSON array');
  });
});
