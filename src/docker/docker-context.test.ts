import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { contextMetaFile, daemonUnreachable, DEFAULT_ENDPOINT, isDockerDesktop, parseContextList, resolveActiveContext, unixSocketPath } from './docker-context.js';

const HOME = '/Users/u';

describe('parseContextList', () => {
  it('reads the table with colima current beside Docker Desktop and Rancher Desktop', () => {
    expect(parseContextList(readFixture('docker', 'docker-context-ls-colima.txt'))).toEqual([
      { name: 'colima', current: true, description: 'colima', endpoint: 'unix:///Users/<user>/.colima/default/docker.sock', error: null },
      { name: 'default', current: false, description: 'Current DOCKER_HOST based configuration', endpoint: 'unix:///var/run/docker.sock', error: null },
      { name: 'desktop-linux', current: false, description: 'Docker Desktop', endpoint: 'unix:///Users/<user>/.docker/run/docker.sock', error: null },
      { name: 'rancher-desktop', current: false, description: 'Rancher Desktop moby context', endpoint: 'unix:///Users/<user>/.rd/docker.sock', error: null },
    ]);
  });

  it('reads a profile context (colima-data *)', () => {
    const rows = parseContextList(readFixture('docker', 'docker-context-ls-colima-profile.txt'));
    expect(rows.find((row) => row.current)).toEqual({ name: 'colima-data', current: true, description: 'colima [profile=data]', endpoint: 'unix:///Users/<user>/.colima/data/docker.sock', error: null });
    expect(rows).toHaveLength(3);
  });

  it('reads --format json lines (synthetic CLI test data: shape only)', () => {
    const rows = parseContextList(readFixture('docker', 'docker-context-ls.json'));
    expect(rows.map((row) => [row.name, row.current])).toEqual([['context1', false], ['context2', false], ['context3', false], ['current', true], ['default', false]]);
    expect(rows.at(-1)).toEqual({ name: 'default', current: false, description: 'Current DOCKER_HOST based configuration', endpoint: DEFAULT_ENDPOINT, error: null });
  });

  it('gives nothing for text without the header', () => {
    expect(parseContextList(readFixture('docker', 'docker-context-missing-meta.txt'))).toEqual([]);
  });
});

describe('resolveActiveContext', () => {
  const files = (map: Record<string, string>) => (file: string): string | null => map[file] ?? null;
  const config = `${HOME}/.docker/config.json`;
  const meta = (name: string): string => contextMetaFile(`${HOME}/.docker`, name);

  it('DOCKER_HOST wins over everything', () => {
    expect(resolveActiveContext({ DOCKER_HOST: 'unix:///tmp/d.sock', DOCKER_CONTEXT: 'x' }, HOME, files({}))).toEqual({ name: null, endpoint: 'unix:///tmp/d.sock', source: 'DOCKER_HOST', error: null });
  });

  it("reads currentContext and the context's meta.json, as the docker CLI stores them", () => {
    // The folder is the SHA-256 of the name, as the docker CLI writes it.
    expect(meta('default')).toBe(`${HOME}/.docker/contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f/meta.json`);
    const read = files({ [config]: '{"auths":{},"currentContext":"colima"}', [meta('colima')]: '{"Name":"colima","Metadata":{"Description":"colima"},"Endpoints":{"docker":{"Host":"unix:///Users/u/.colima/default/docker.sock","SkipTLSVerify":false}}}' });
    expect(resolveActiveContext({}, HOME, read)).toEqual({ name: 'colima', endpoint: 'unix:///Users/u/.colima/default/docker.sock', source: 'config.json', error: null });
  });

  it('uses DOCKER_CONTEXT and DOCKER_CONFIG; no config file means the default context', () => {
    const read = files({ [contextMetaFile('/cfg', 'desktop-linux')]: '{"Endpoints":{"docker":{"Host":"unix:///Users/u/.docker/run/docker.sock"}}}' });
    expect(resolveActiveContext({ DOCKER_CONTEXT: 'desktop-linux', DOCKER_CONFIG: '/cfg' }, HOME, read)).toMatchObject({ name: 'desktop-linux', source: 'DOCKER_CONTEXT' });
    expect(resolveActiveContext({}, HOME, files({}))).toEqual({ name: 'default', endpoint: DEFAULT_ENDPOINT, source: 'default', error: null });
  });

  it('names a missing meta.json as the docker CLI does ("context … not found", captured) and a broken config.json', () => {
    expect(readFixture('docker', 'docker-context-missing-meta.txt')).toContain('context "colima" not found');
    const missing = resolveActiveContext({}, HOME, files({ [config]: '{"currentContext":"colima"}' }));
    expect(missing).toMatchObject({ name: 'colima', endpoint: null });
    expect(missing.error).toMatch(/^context "colima" not found: .*meta\.json does not exist$/);
    expect(resolveActiveContext({}, HOME, files({ [config]: '{oops' })).error).toMatch(/^\/Users\/u\/\.docker\/config\.json: /);
  });
});

describe('helpers', () => {
  it('tells Docker Desktop by context name or socket', () => {
    expect(isDockerDesktop({ name: 'desktop-linux', endpoint: null }, HOME)).toBe(true);
    expect(isDockerDesktop({ name: null, endpoint: `unix://${HOME}/.docker/run/docker.sock` }, HOME)).toBe(true);
    expect(isDockerDesktop({ name: 'colima', endpoint: `unix://${HOME}/.colima/default/docker.sock` }, HOME)).toBe(false);
    expect(unixSocketPath('tcp://1.2.3.4:2375')).toBeNull();
  });

  it.each([
    ['docker-ps-unreachable-colima.txt', true],
    ['docker-unreachable-new-format.txt', true],
    ['docker-info-unreachable.txt', true],
    ['docker-info-unreachable-docker-desktop.txt', true],
    ['docker-version-unreachable.txt', true],
    ['docker-info-format-exit0.txt', true],
    ['compose-name-conflict.txt', false],
  ])('daemonUnreachable(%s) is %s', (file, expected) => {
    expect(daemonUnreachable(readFixture('docker', file))).toBe(expected);
  });
});
