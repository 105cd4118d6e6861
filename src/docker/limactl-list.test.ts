import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { parseLimactlList } from './limactl-list.js';

describe('parseLimactlList', () => {
  it('reads an instance line (Lima 2.2.0, captured)', () => {
    expect(parseLimactlList(readFixture('colima', 'limactl-list.json'))).toEqual({
      instances: [{ name: 'default', status: 'Running', dir: '/Users/<user>/.captain/lima/default', vmType: 'vz', hostAgentPid: null, driverPid: null, errors: [] }],
      problems: [],
    });
  });

  it("adds the errors of limactl's warning on stderr (captured warning; the JSON line is built from the same report)", () => {
    const [warning] = readFixture('colima', 'limactl-list-broken.txt').split('\n');
    const stdout = '{"name":"default","status":"Broken","dir":"/home/u/.lima/default","vmType":"qemu","hostAgentPID":4242,"errors":null}\n';
    expect(parseLimactlList(stdout, `${warning}\n`).instances[0]).toMatchObject({ status: 'Broken', hostAgentPid: 4242, driverPid: null, errors: ['host agent is running but driver is not'] });
  });

  it('reads errors[] and names lines that are not instances', () => {
    const stdout = '{"name":"colima","status":"Broken","errors":["vz driver is running but host agent is not"],"hostAgentPID":0,"driverPID":612}\nnot json\n{"status":"x"}\n';
    const { instances, problems } = parseLimactlList(stdout);
    expect(instances).toEqual([{ name: 'colima', status: 'Broken', dir: null, vmType: null, hostAgentPid: null, driverPid: 612, errors: ['vz driver is running but host agent is not'] }]);
    expect(problems).toEqual(['not JSON: not json', 'no instance name: {"status":"x"}']);
  });
});
