import { describe, expect, it } from 'vitest';
import type { ServerStatus } from '../ollama/server.js';
import { renderAgentPlist, type AgentSpec } from '../launchd/plist.js';
import {
  checkAgent,
  checkConfig,
  checkLogFolder,
  checkNode,
  checkNotifications,
  checkOllama,
  checkPm2,
  checkServer,
  checkTool,
  doctorExitCode,
  renderDoctor,
} from './checks.js';

const SPEC: AgentSpec = {
  label: 'io.github.headroom.agent',
  nodePath: '/opt/homebrew/Cellar/node/24.1.0/bin/node',
  entryScript: '/Users/ada/headroom/dist/cli/main.js',
  configFile: null,
  logDir: '/Users/ada/Library/Logs/headroom',
  stateDir: '/Users/ada/Library/Application Support/headroom',
  exitTimeoutS: 7,
};
const PLIST = '/Users/ada/Library/LaunchAgents/io.github.headroom.agent.plist';

function server(fields: Partial<ServerStatus>): ServerStatus {
  return {
    owner: { kind: 'headroom', pid: 4310 },
    description: 'headroom (pm2, pid 4310)',
    env: { verdict: 'safe' },
    managed: { daemon: { pid: 4299, rssBytes: 59e6 }, app: { pid: 4310, status: 'online', restarts: 0, unstableRestarts: 0, startedAt: 1, exitCode: null } },
    binary: '/opt/homebrew/bin/ollama',
    plan: 'headroom runs the server (pid 4310)',
    warning: null,
    stoppedByUser: false,
    health: { consecutiveFailures: 0, restartsInWindow: 0, budgetSpent: false, lastError: null, lastCheckAt: null },
    inspectedAt: 0,
    ...fields,
  };
}

describe('doctor checks', () => {
  it('node: passes 20.19 and later, fails older', () => {
    expect(checkNode('v20.19.0').status).toBe('pass');
    expect(checkNode('v24.1.0').status).toBe('pass');
    expect(checkNode('v20.18.3')).toMatchObject({ status: 'fail', detail: 'v20.18.3 is older than 20.19.0' });
    expect(checkNode('v18.20.0').status).toBe('fail');
  });

  it('config: passes a valid file or the defaults, fails with the error', () => {
    expect(checkConfig('/c.yaml', null)).toMatchObject({ status: 'pass', detail: '/c.yaml is valid' });
    expect(checkConfig(null, null).detail).toBe('no config file: built-in defaults');
    expect(checkConfig(null, '/c.yaml:2: probe.schedule: not a cron expression')).toMatchObject({ status: 'fail', detail: '/c.yaml:2: probe.schedule: not a cron expression' });
  });

  describe('agent', () => {
    const expectedText = renderAgentPlist(SPEC);
    const facts = { platform: 'darwin' as const, plistFile: PLIST, expectedText, loaded: true, problem: null };

    it('passes when installed, loaded and current', () => {
      expect(checkAgent({ ...facts, installedText: expectedText }).status).toBe('pass');
    });

    it('fails on a stale node path after a Node upgrade, naming both', () => {
      const stale = renderAgentPlist({ ...SPEC, nodePath: '/opt/homebrew/Cellar/node/22.3.0/bin/node' });
      const result = checkAgent({ ...facts, installedText: stale });
      expect(result.status).toBe('fail');
      expect(result.detail).toContain('ProgramArguments: installed ["/opt/homebrew/Cellar/node/22.3.0/bin/node"');
      expect(result.detail).toContain('install writes ["/opt/homebrew/Cellar/node/24.1.0/bin/node"');
      expect(result.hint).toContain('headroom install');
    });

    it('fails when not installed or unreadable, warns when stopped, and says it is not checked on Linux', () => {
      expect(checkAgent({ ...facts, installedText: null })).toMatchObject({ status: 'fail', hint: 'run "headroom install"' });
      expect(checkAgent({ ...facts, installedText: '<plist><dict><key>Label</key>' }).status).toBe('fail');
      expect(checkAgent({ ...facts, installedText: expectedText, loaded: false }).status).toBe('warn');
      expect(checkAgent({ ...facts, installedText: expectedText, loaded: null, problem: 'launchctl print: exited 112' }).status).toBe('fail');
      expect(checkAgent({ ...facts, platform: 'linux', installedText: null }).status).toBe('warn');
    });
  });

  it('logs: passes a writable folder, fails one that is not', () => {
    expect(checkLogFolder('/l', true).status).toBe('pass');
    expect(checkLogFolder('/l', false).status).toBe('fail');
  });

  it('ollama: passes when /api/version answers, fails with the error', () => {
    expect(checkOllama('http://127.0.0.1:11434', '0.32.15', null)).toMatchObject({ status: 'pass', detail: 'Ollama 0.32.15 answers at http://127.0.0.1:11434' });
    expect(checkOllama('http://127.0.0.1:11434', null, 'cannot reach (ECONNREFUSED)').status).toBe('fail');
  });

  it('server: passes the safe environment, fails an unsafe one, warns when it cannot tell or nobody serves', () => {
    expect(checkServer(server({})).status).toBe('pass');
    const unsafe = checkServer(server({ owner: { kind: 'app', pid: 1, appPid: 2 }, description: 'Ollama.app', env: { verdict: 'unsafe', differences: ['OLLAMA_KEEP_ALIVE=-1 (safe: 5m)'] } }));
    expect(unsafe).toMatchObject({ status: 'fail', detail: 'served by Ollama.app, with an UNSAFE environment: OLLAMA_KEEP_ALIVE=-1 (safe: 5m)' });
    expect(checkServer(server({ env: { verdict: 'unknown', why: 'another user' } })).status).toBe('warn');
    expect(checkServer(server({ owner: { kind: 'none' }, description: 'nobody' })).status).toBe('warn');
  });

  it('pm2: passes an online app or no app, fails an errored one', () => {
    expect(checkPm2(server({}).managed, true).status).toBe('pass');
    expect(checkPm2({ daemon: null, app: null }, true).status).toBe('pass');
    expect(checkPm2(null, false).status).toBe('pass');
    const errored = checkPm2({ daemon: { pid: 1, rssBytes: null }, app: { pid: null, status: 'errored', restarts: 5, unstableRestarts: 5, startedAt: null, exitCode: 1 } }, true);
    expect(errored).toMatchObject({ status: 'fail', detail: 'headroom-ollama is errored (exit code 1) after 5 restarts' });
  });

  it('notify: passes with osascript (and the Script Editor hint), fails without it on macOS', () => {
    expect(checkNotifications('darwin', '/usr/bin/osascript', null)).toMatchObject({ status: 'pass' });
    expect(checkNotifications('darwin', '/usr/bin/osascript', null).detail).toContain('Script Editor');
    expect(checkNotifications('darwin', null, null).status).toBe('fail');
    expect(checkNotifications('linux', null, '/usr/bin/notify-send').status).toBe('pass');
    expect(checkNotifications('linux', null, null).status).toBe('warn');
  });

  it('colima and docker: pass when found, warn when not', () => {
    expect(checkTool('colima', '/opt/homebrew/bin/colima').status).toBe('pass');
    expect(checkTool('docker', null).status).toBe('warn');
  });

  it('exits 1 on any fail, and renders one line per check with hints', () => {
    const results = [checkNode('v20.20.2'), checkTool('docker', null), checkLogFolder('/l', false)];
    expect(doctorExitCode(results)).toBe(1);
    expect(doctorExitCode(results.slice(0, 2))).toBe(0);
    const text = renderDoctor(results);
    expect(text).toMatch(/^pass {2}node {4}v20\.20\.2 \(needs ≥ 20\.19\.0\)$/m);
    expect(text).toMatch(/^warn {2}docker {2}not found on PATH: nothing to recover$/m);
    expect(text).toContain('→ check its owner and mode (ls -ld /l)');
    expect(text.trim().split('\n').at(-1)).toBe('1 failed, 1 to look at');
  });
});
