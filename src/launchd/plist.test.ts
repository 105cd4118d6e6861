import { describe, expect, it } from 'vitest';
import { installedConfigFile, renderAgentPlist, stableNodePath, type AgentSpec } from './plist.js';

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
