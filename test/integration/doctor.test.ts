import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/checks.js';
import { makeSandbox, runCliProcess, type Sandbox } from '../helpers/cli-process.js';
import { FakeOllama } from '../helpers/fake-ollama.js';
import { makeFakeLaunchd, type FakeLaunchd } from '../helpers/fake-launchd-bin.js';

const byName = (stdout: string): Record<string, CheckResult> => Object.fromEntries((JSON.parse(stdout) as CheckResult[]).map((result) => [result.name, result]));

describe('headroom doctor (spawned)', () => {
  let sandbox: Sandbox;
  let fakes: FakeLaunchd;
  let fake: FakeOllama;
  let configFile: string;

  beforeAll(async () => {
    fakes = await makeFakeLaunchd();
    sandbox = await makeSandbox(fakes.dir);
    configFile = path.join(sandbox.home, 'config.yaml');
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await fakes.cleanup();
  });
  beforeEach(async () => {
    fake = new FakeOllama();
    await fake.start();
    writeFileSync(configFile, `ollama:\n  url: ${fake.url}\n  manage: false\n`);
  });
  afterEach(() => fake.stop());

  const doctor = (...args: string[]) => runCliProcess(['doctor', '--config', configFile, ...args], sandbox.env);

  it('passes with Ollama answering, and says what to look at; exit 0', async () => {
    const result = await doctor('--platform', 'linux');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^pass {2}ollama +Ollama \d+\.\d+\.\d+ answers at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^warn {2}agent +launchd is macOS-only: not checked on Linux$/m);
    const checks = byName((await doctor('--platform', 'linux', '--json')).stdout);
    expect(Object.keys(checks)).toEqual(['node', 'config', 'agent', 'logs', 'ollama', 'server', 'pm2', 'notify', 'colima', 'docker']);
    expect(checks.config?.status).toBe('pass');
    expect(checks.logs?.status).toBe('pass');
    expect(checks.pm2).toMatchObject({ status: 'pass', detail: 'not used (ollama.manage is false)' });
  });

  it('fails, exit 1, when Ollama does not answer or the config is invalid, and still runs every check', async () => {
    await fake.stop();
    writeFileSync(configFile, 'probe:\n  schedule: "61 * * * *"\n');
    const result = await doctor('--platform', 'linux', '--json');
    expect(result.exitCode).toBe(1);
    const checks = byName(result.stdout);
    expect(checks.config?.status).toBe('fail');
    expect(checks.config?.detail).toContain('probe.schedule');
    expect(checks.ollama?.status).toBe('fail');
    expect(Object.keys(checks)).toHaveLength(10);
  });

  it('finds colima and docker on PATH, and osascript on macOS', async () => {
    for (const name of ['colima', 'docker']) {
      writeFileSync(path.join(fakes.dir, name), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(fakes.dir, name), 0o755);
    }
    const checks = byName((await doctor('--platform', 'darwin', '--json')).stdout);
    expect(checks.colima).toMatchObject({ status: 'pass', detail: `${path.join(fakes.dir, 'colima')} found` });
    expect(checks.docker?.status).toBe('pass');
    expect(checks.notify?.status).toBe('pass');
    expect(checks.notify?.detail).toContain('Script Editor');
  });

  it('checks the LaunchAgent on macOS: not installed, current and loaded, stale after a Node upgrade', async () => {
    await fakes.setLoaded(false);
    expect(byName((await doctor('--platform', 'darwin', '--json')).stdout).agent).toMatchObject({ status: 'fail', hint: 'run "headroom install"' });
    expect((await runCliProcess(['install', '--platform', 'darwin', '--config', configFile], sandbox.env)).exitCode).toBe(0);
    expect(byName((await doctor('--platform', 'darwin', '--json')).stdout).agent?.status).toBe('pass');
    // Node moved (an upgrade): the installed plist names a node that is gone.
    const plistFile = path.join(sandbox.home, 'Library', 'LaunchAgents', 'io.github.headroom.agent.plist');
    writeFileSync(plistFile, readFileSync(plistFile, 'utf8').replace(`<string>${process.execPath}</string>`, '<string>/usr/local/Cellar/node/18.0.0/bin/node</string>'));
    const stale = await doctor('--platform', 'darwin', '--json');
    expect(stale.exitCode).toBe(1);
    expect(byName(stale.stdout).agent?.detail).toContain('ProgramArguments: installed ["/usr/local/Cellar/node/18.0.0/bin/node"');
  });

  it('without --config checks the config the installed agent runs with, so an install --config is not called stale', async () => {
    await fakes.setLoaded(true);
    expect((await runCliProcess(['install', '--platform', 'darwin', '--config', configFile], sandbox.env)).exitCode).toBe(0);
    const plain = await runCliProcess(['doctor', '--platform', 'darwin', '--json'], sandbox.env);
    const checks = byName(plain.stdout);
    expect(checks.agent?.status).toBe('pass');
    expect(checks.config).toMatchObject({ status: 'pass', detail: `${configFile} is valid` });
  });

  it('fails the log check when the log folder cannot be created', async () => {
    // Under a regular file: no user, root included, can create it.
    const blocker = path.join(sandbox.home, 'not-a-folder');
    writeFileSync(blocker, '');
    writeFileSync(configFile, `ollama:\n  url: ${fake.url}\n  manage: false\nlog:\n  dir: ${blocker}/logs\n`);
    const result = await doctor('--platform', 'linux', '--json');
    expect(result.exitCode).toBe(1);
    expect(byName(result.stdout).logs).toMatchObject({ status: 'fail', detail: `${blocker}/logs cannot be written` });
  });
});
