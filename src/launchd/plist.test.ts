import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'plist';
import { AGENT_PATH_DIRS, AGENT_TEMPLATE_FILE, AgentTemplateError, agentPlistObject, installedConfigFile, renderAgentPlist, stableNodePath, type AgentSpec } from './plist.js';

const spec: AgentSpec = {
  label: 'io.github.headroom.agent',
  nodePath: '/opt/homebrew/opt/node/bin/node',
  entryScript: '/Users/u/headroom/dist/cli/main.js',
  configFile: null,
  logDir: '/Users/u/Library/Logs/headroom',
  stateDir: '/Users/u/Library/Application Support/headroom',
  exitTimeoutS: 7,
};

describe('stableNodePath', () => {
  it("names Homebrew's opt link instead of a versioned Cellar path, when the link exists", () => {
    const exists = (file: string): boolean => file === '/opt/homebrew/opt/node@20/bin/node';
    expect(stableNodePath('/opt/homebrew/Cellar/node@20/20.19.5/bin/node', exists)).toBe('/opt/homebrew/opt/node@20/bin/node');
    expect(stableNodePath('/usr/local/Cellar/node/24.1.0/bin/node', exists)).toBe('/usr/local/Cellar/node/24.1.0/bin/node');
  });

  it('keeps any other path', () => {
    expect(stableNodePath('/Users/u/.nvm/versions/node/v20.19.5/bin/node', () => true)).toBe('/Users/u/.nvm/versions/node/v20.19.5/bin/node');
  });
});

describe('installedConfigFile', () => {
  it('reads the --config an installed plist runs with', () => {
    expect(installedConfigFile(renderAgentPlist({ ...spec, configFile: '/Users/u/cfg & more/headroom.yaml' }))).toBe('/Users/u/cfg & more/headroom.yaml');
  });

  it('is null without one, or for a plist that is not a dict with ProgramArguments', () => {
    expect(installedConfigFile(renderAgentPlist(spec))).toBeNull();
    expect(installedConfigFile('<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><string>x</string></plist>')).toBeNull();
  });
});

describe('the LaunchAgent template (launchd/headroom.plist.template)', () => {
  it('fills in every value of the spec, and spreads the config option into ProgramArguments only when there is a file', () => {
    expect(agentPlistObject(spec)).toEqual({
      Label: 'io.github.headroom.agent',
      ProgramArguments: ['/opt/homebrew/opt/node/bin/node', '/Users/u/headroom/dist/cli/main.js', 'run'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 30,
      ProcessType: 'Standard',
      ExitTimeOut: 7,
      WorkingDirectory: '/Users/u/Library/Application Support/headroom',
      EnvironmentVariables: { PATH: ['/opt/homebrew/opt/node/bin', ...AGENT_PATH_DIRS].join(':') },
      StandardOutPath: '/Users/u/Library/Logs/headroom/launchd.out.log',
      StandardErrorPath: '/Users/u/Library/Logs/headroom/launchd.err.log',
    });
    expect(agentPlistObject({ ...spec, configFile: '/Users/u/h.yaml' }).ProgramArguments).toEqual(['/opt/homebrew/opt/node/bin/node', '/Users/u/headroom/dist/cli/main.js', 'run', '--config', '/Users/u/h.yaml']);
  });

  it('renders ExitTimeOut as an integer, and leaves no placeholder in the file', () => {
    const text = renderAgentPlist(spec);
    expect(text).toContain('<key>ExitTimeOut</key>\n    <integer>7</integer>');
    expect(text).not.toContain('${');
    expect(readFileSync(AGENT_TEMPLATE_FILE, 'utf8')).toContain('${label}');
  });

  it('escapes what it fills in: & and < in a path give a plist that reads back the same', () => {
    const odd = { ...spec, logDir: '/Users/R&D <lab>/Library/Logs/headroom' };
    const text = renderAgentPlist(odd);
    expect(text).toContain('/Users/R&amp;D &lt;lab&gt;/Library/Logs/headroom/launchd.out.log');
    expect((parse(text) as { StandardErrorPath: string }).StandardErrorPath).toBe('/Users/R&D <lab>/Library/Logs/headroom/launchd.err.log');
  });

  it('names what is wrong with a template: an unknown value, a list inside a text, not a dict, not a plist', () => {
    const wrap = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">${inner}</plist>`;
    expect(() => agentPlistObject(spec, wrap('<dict><key>Label</key><string>${lable}</string></dict>'))).toThrow(new AgentTemplateError('the LaunchAgent template names ${lable}, which headroom does not fill in'));
    expect(() => agentPlistObject(spec, wrap('<dict><key>X</key><string>run ${configArgs}</string></dict>'))).toThrow('puts ${configArgs} inside a text');
    expect(() => agentPlistObject(spec, wrap('<dict><key>X</key><string>${configArgs}</string></dict>'))).toThrow("the LaunchAgent template's X takes one value, not a list");
    expect(() => agentPlistObject(spec, wrap('<array><string>x</string></array>'))).toThrow('not a plist dict');
    expect(() => agentPlistObject(spec, 'no plist at all')).toThrow(AgentTemplateError);
  });
});
