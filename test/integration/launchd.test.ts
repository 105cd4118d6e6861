import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'plist';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_PATH_DIRS } from '../../src/launchd/plist.js';
import { CLI, makeSandbox, runCliProcess, type Sandbox } from '../helpers/cli-process.js';
import { makeFakeLaunchd, type FakeLaunchd } from '../helpers/fake-launchd-bin.js';

const LABEL = 'io.github.headroom.agent';
const TARGET = `gui/501/${LABEL}`;

describe('the LaunchAgent commands (--platform darwin, against fake launchctl, plutil and id)', () => {
  let sandbox: Sandbox;
  let fakes: FakeLaunchd;
  let plistFile: string;

  beforeAll(async () => {
    fakes = await makeFakeLaunchd();
    sandbox = await makeSandbox(fakes.dir);
    plistFile = path.join(sandbox.home, 'Library', 'LaunchAgents', `${LABEL}.plist`);
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await fakes.cleanup();
  });
  beforeEach(async () => {
    await fakes.resetCalls();
    await fakes.setMode('ok');
    await fakes.failBootstraps(0);
    await fakes.setPlistBad(false);
  });

  const cli = (...args: string[]) => runCliProcess([...args, '--platform', 'darwin'], sandbox.env);
  const launchctlCalls = () => fakes.calls('launchctl');

  it('install writes the plist, lints it and bootstraps it into gui/<uid>', async () => {
    await fakes.setLoaded(false);
    // A secret in headroom's environment must not reach the plist (launchctl print shows its environment).
    const result = await runCliProcess(['install', '--platform', 'darwin'], { ...sandbox.env, API_TOKEN: 'hunter2-secret' });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(await fakes.calls('id')).toEqual([['-u']]);
    expect(await fakes.calls('plutil')).toEqual([['-lint', plistFile]]);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['bootstrap', 'gui/501', plistFile],
    ]);
    expect(result.stdout).toContain(`launchctl bootstrap gui/501 ${plistFile}: loaded`);
    expect(statSync(plistFile).mode & 0o777).toBe(0o644);
    const logDir = path.join(sandbox.home, 'Library', 'Logs', 'headroom');
    expect(statSync(logDir).isDirectory()).toBe(true);

    const text = readFileSync(plistFile, 'utf8');
    expect(text).not.toContain('hunter2-secret');
    // On a Mac, the real plutil checks the file too (this machine has none: the fake one ran above).
    if (existsSync('/usr/bin/plutil')) expect((await execa('/usr/bin/plutil', ['-lint', plistFile], { reject: false })).exitCode).toBe(0);
    const plist = parse(text);
    expect((plist as { EnvironmentVariables: { PATH: string } }).EnvironmentVariables.PATH.split(':')).toEqual(expect.arrayContaining(['/opt/homebrew/bin', '/usr/local/bin']));
    expect(plist).toEqual({
      Label: LABEL,
      ProgramArguments: [process.execPath, CLI, 'run'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 30,
      ProcessType: 'Standard',
      // headroom's own deadline (ollama.stopTimeoutMs 3 s + 1.5 s) rounded up, plus 2 s.
      ExitTimeOut: 7,
      WorkingDirectory: path.join(sandbox.home, 'Library', 'Application Support', 'headroom'),
      // This node's folder first (here /usr/bin, which is then not repeated), then Homebrew's and the system's.
      EnvironmentVariables: { PATH: [path.dirname(process.execPath), ...AGENT_PATH_DIRS.filter((dir) => dir !== path.dirname(process.execPath))].join(':') },
      StandardOutPath: path.join(logDir, 'launchd.out.log'),
      StandardErrorPath: path.join(logDir, 'launchd.err.log'),
    });
  });

  it('install over a loaded agent boots it out, waits until print answers 113, then bootstraps', async () => {
    await fakes.setLoaded(true);
    const result = await cli('install');
    expect(result.exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['bootout', TARGET],
      // bootout is asynchronous: the fake still finds the service twice.
      ['print', TARGET],
      ['print', TARGET],
      ['print', TARGET],
      ['bootstrap', 'gui/501', plistFile],
    ]);
    expect(result.stdout).toMatch(new RegExp(`launchctl bootout ${TARGET}: gone after \\d+ ms`));
  });

  it('retries a bootstrap that fails with 5 while the label drains', async () => {
    await fakes.setLoaded(false);
    await fakes.failBootstraps(2);
    const result = await cli('install');
    expect(result.exitCode).toBe(0);
    expect((await launchctlCalls()).filter((argv) => argv[0] === 'bootstrap')).toHaveLength(3);
    expect(result.stdout).toContain('loaded (attempt 3)');
  });

  it('explains a bootstrap that keeps failing with 5, and exits 1', async () => {
    await fakes.setLoaded(false);
    await fakes.failBootstraps(99);
    const result = await cli('install');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`launchctl bootstrap gui/501 ${plistFile}: exited 5: Bootstrap failed: 5: Input/output error`);
    expect(result.stderr).toMatch(/"Bootstrap failed: 5" after 5 tries: .*nobody may be logged in at the Mac's screen/);
  });

  it('stops before loading a plist that plutil rejects', async () => {
    await fakes.setLoaded(false);
    await fakes.setPlistBad(true);
    const result = await cli('install');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('the plist does not pass plutil -lint');
    expect(await launchctlCalls()).toEqual([]);
  });

  it('says that no gui domain exists (exit 112: nobody logged in at the screen)', async () => {
    await fakes.setMode('nogui');
    const result = await cli('install');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`launchctl print ${TARGET}: exited 112: the gui/501 domain does not exist: nobody is logged in at the Mac's screen`);
  });

  it('install --dry-run prints the plist and the commands, and changes nothing', async () => {
    const dryHome = await makeSandbox(fakes.dir);
    try {
      const result = await runCliProcess(['install', '--dry-run', '--platform', 'darwin'], dryHome.env);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('<key>KeepAlive</key>');
      expect(result.stdout).toContain(`would run: launchctl bootstrap gui/501 ${path.join(dryHome.home, 'Library', 'LaunchAgents', `${LABEL}.plist`)}`);
      expect(existsSync(path.join(dryHome.home, 'Library'))).toBe(false);
      expect((await launchctlCalls()).filter((argv) => argv[0] !== 'print')).toEqual([]);
    } finally {
      await dryHome.cleanup();
    }
  });

  it('uses launchd.label for the plist name, the Label and the launchctl target; a label that is not reverse-DNS is a config error', async () => {
    const labelled = await makeSandbox(fakes.dir);
    try {
      const config = path.join(labelled.home, 'headroom.yaml');
      writeFileSync(config, 'launchd:\n  label: com.example.headroom-lab\n');
      await fakes.setLoaded(false);
      const result = await runCliProcess(['install', '--platform', 'darwin', '--config', config], labelled.env);
      expect(result.exitCode).toBe(0);
      const file = path.join(labelled.home, 'Library', 'LaunchAgents', 'com.example.headroom-lab.plist');
      expect((parse(readFileSync(file, 'utf8')) as { Label: string; ProgramArguments: string[] })).toMatchObject({ Label: 'com.example.headroom-lab', ProgramArguments: [process.execPath, CLI, 'run', '--config', config] });
      expect(await launchctlCalls()).toEqual([
        ['print', 'gui/501/com.example.headroom-lab'],
        ['bootstrap', 'gui/501', file],
      ]);
      writeFileSync(config, 'launchd:\n  label: headroom agent\n');
      const bad = await runCliProcess(['install', '--platform', 'darwin', '--config', config], labelled.env);
      expect(bad.exitCode).toBe(78);
      expect(bad.stderr).toContain('launchd.label');
      expect(bad.stderr).toContain('reverse-DNS');
    } finally {
      await labelled.cleanup();
    }
  });

  it('escapes every value: a home folder with & and < still gives a valid plist', async () => {
    const base = await makeSandbox(fakes.dir);
    const home = path.join(base.home, 'R&D <lab>');
    mkdirSync(home);
    try {
      await fakes.setLoaded(false);
      const result = await runCliProcess(['install', '--platform', 'darwin'], { ...base.env, HOME: home });
      expect(result.exitCode).toBe(0);
      const file = path.join(home, 'Library', 'LaunchAgents', `${LABEL}.plist`);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('R&amp;D &lt;lab&gt;');
      expect((parse(text) as { StandardOutPath: string }).StandardOutPath).toBe(path.join(home, 'Library', 'Logs', 'headroom', 'launchd.out.log'));
    } finally {
      await base.cleanup();
    }
  });

  it('start kickstarts a loaded agent, and bootstraps a stopped one', async () => {
    await fakes.setLoaded(true);
    expect((await cli('start')).exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['kickstart', TARGET],
    ]);
    await fakes.resetCalls();
    await fakes.setLoaded(false);
    expect((await cli('start')).exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['bootstrap', 'gui/501', plistFile],
    ]);
  });

  it('restart runs kickstart -k, and refuses when the agent is not loaded', async () => {
    await fakes.setLoaded(true);
    expect((await cli('restart')).exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['kickstart', '-k', TARGET],
    ]);
    await fakes.setLoaded(false);
    const refused = await cli('restart');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('not loaded: "headroom start" starts it');
  });

  it('stop boots the agent out and waits, so KeepAlive cannot revive it, and says how to start it again', async () => {
    await fakes.setLoaded(true);
    const result = await cli('stop');
    expect(result.exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['bootout', TARGET],
      ['print', TARGET],
      ['print', TARGET],
      ['print', TARGET],
    ]);
    expect(result.stdout).toContain('it stays stopped until "headroom start"');
    expect(await fakes.isLoaded()).toBe(false);
  });

  it('service-status parses launchctl print, and says when the agent is not loaded', async () => {
    await fakes.setLoaded(true);
    const json = await cli('service-status', '--json');
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ label: LABEL, installed: true, loaded: true, service: { state: 'running', pid: 3246, runs: 1, lastExitCode: null }, problem: null });
    const text = await cli('service-status');
    expect(text.stdout).toContain('state     running (pid 3246)');
    await fakes.setLoaded(false);
    expect((await cli('service-status')).stdout).toContain('launchd   not loaded (stopped: "headroom start")');
  });

  it('uninstall boots the agent out, waits, and removes the plist', async () => {
    await fakes.setLoaded(true);
    const result = await cli('uninstall');
    expect(result.exitCode).toBe(0);
    expect(await launchctlCalls()).toEqual([
      ['print', TARGET],
      ['bootout', TARGET],
      ['print', TARGET],
      ['print', TARGET],
      ['print', TARGET],
    ]);
    expect(existsSync(plistFile)).toBe(false);
    expect((await cli('service-status')).stdout).toContain('(not installed)');
  });

  it.each(['install', 'uninstall', 'start', 'stop', 'restart', 'service-status'])('%s says on Linux that launchd is macOS-only', async (command) => {
    const result = await runCliProcess([command, '--platform', 'linux'], sandbox.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('launchd is macOS-only');
    expect(await launchctlCalls()).toEqual([]);
  });
});
