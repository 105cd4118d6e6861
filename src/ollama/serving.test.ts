import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import type { ProcessInfo } from '../ports/processes.js';
import { classifyServer, describeOwner, findBinary, findOllamaApp, isOllamaServe, planServe, type ServeSettings, type ServingFacts } from './serving.js';

/** The `ollama serve` row of a real `ps aux` capture from an M4 Mac: its command column. */
const APP_SERVE = readFixture('darwin', 'ps-aux-ollama-m4.txt')
  .split('\n')
  .find((line) => line.endsWith('ollama serve'))!
  .replace(/^.*?\d+:\d+\.\d+ /, '');
// No capture shows the app's own process with its pid; its path is the bundle's executable.
const APP_MAIN = '/Applications/Ollama.app/Contents/MacOS/Ollama';

function facts(over: Partial<ServingFacts>): ServingFacts {
  return { listeners: [], processes: [], managedPid: null, brewPid: undefined, ...over };
}

const settings: ServeSettings = { manage: true, takeover: false, binary: '/opt/homebrew/bin/ollama' };

describe('isOllamaServe', () => {
  it('knows `ollama serve` by the program name, wherever it lives', () => {
    expect(APP_SERVE).toBe('/Applications/Ollama.app/Contents/Resources/ollama serve');
    expect(isOllamaServe(APP_SERVE)).toBe(true);
    expect(isOllamaServe('ollama serve')).toBe(true);
    expect(isOllamaServe('/opt/homebrew/opt/ollama/bin/ollama serve')).toBe(true);
    expect(isOllamaServe('ollama run deepseek-r1:8b')).toBe(false);
    expect(isOllamaServe('/usr/bin/python3 serve')).toBe(false);
  });
});

describe('classifyServer', () => {
  it('says nobody when no process listens, unknown when that cannot be told', () => {
    expect(classifyServer(facts({ listeners: [] }))).toEqual({ kind: 'none' });
    expect(classifyServer(facts({ listeners: null }))).toMatchObject({ kind: 'unknown' });
  });

  it("recognises headroom's own pm2 child", () => {
    expect(classifyServer(facts({ listeners: [700], managedPid: 700, processes: [{ pid: 700, ppid: 690, command: '/opt/homebrew/bin/ollama serve' }] }))).toEqual({ kind: 'headroom', pid: 700 });
  });

  it("recognises Ollama.app's server and the app that owns it", () => {
    const processes: ProcessInfo[] = [
      { pid: 59000, ppid: 1, command: APP_MAIN },
      { pid: 59923, ppid: 59000, command: APP_SERVE },
    ];
    expect(classifyServer(facts({ listeners: [59923], processes }))).toEqual({ kind: 'app', pid: 59923, appPid: 59000 });
    expect(findOllamaApp(processes)?.pid).toBe(59000);
  });

  it('recognises the brew service by its launchd pid, a hand-run server, and a program that is not Ollama', () => {
    const brew = { pid: 812, ppid: 1, command: '/opt/homebrew/opt/ollama/bin/ollama serve' };
    expect(classifyServer(facts({ listeners: [812], processes: [brew], brewPid: 812 }))).toEqual({ kind: 'brew', pid: 812 });
    expect(classifyServer(facts({ listeners: [812], processes: [brew], brewPid: null }))).toEqual({ kind: 'manual', pid: 812 });
    expect(classifyServer(facts({ listeners: [900], processes: [{ pid: 900, ppid: 1, command: 'python3 -m http.server 11434' }] }))).toEqual({
      kind: 'foreign',
      pid: 900,
      command: 'python3 -m http.server 11434',
    });
    expect(classifyServer(facts({ listeners: [901] }))).toMatchObject({ kind: 'unknown', why: 'pid 901 listens but is not in the process table' });
  });
});

describe('planServe', () => {
  const app: ProcessInfo = { pid: 59000, ppid: 1, command: APP_MAIN };

  it('starts a server when nobody serves, and adopts its own', () => {
    expect(planServe({ kind: 'none' }, null, settings).actions).toEqual([{ kind: 'start' }]);
    expect(planServe({ kind: 'headroom', pid: 700 }, null, { ...settings, envDrift: [] }).actions).toEqual([{ kind: 'adopt', pid: 700 }]);
    expect(planServe({ kind: 'headroom', pid: 700 }, null, { ...settings, envDrift: null }).actions).toEqual([{ kind: 'adopt', pid: 700 }]);
  });

  it('applies a changed environment to its own server with delete + start', () => {
    const plan = planServe({ kind: 'headroom', pid: 700 }, null, { ...settings, envDrift: ['OLLAMA_KEEP_ALIVE: 5m -> 10m'] });
    expect(plan.actions).toEqual([{ kind: 'start' }]);
    expect(plan.summary).toMatch(/OLLAMA_KEEP_ALIVE: 5m -> 10m.*pm2 delete \+ start/);
  });

  it('manages nothing when told not to, or when the URL is another machine', () => {
    expect(planServe({ kind: 'none' }, null, { ...settings, manage: false })).toMatchObject({ actions: [], summary: expect.stringMatching(/ollama.manage is false/) as unknown });
    expect(planServe({ kind: 'none' }, null, { ...settings, unmanagedWhy: 'ollama.url names another machine (http://box:11434)' }).actions).toEqual([]);
  });

  it('starts nothing after "headroom ollama stop"', () => {
    expect(planServe({ kind: 'none' }, null, { ...settings, stoppedByUser: true })).toMatchObject({ actions: [], summary: expect.stringMatching(/headroom ollama start/) as unknown });
  });

  it('says so, without a tight retry, when there is no binary', () => {
    const plan = planServe({ kind: 'none' }, null, { ...settings, binary: null });
    expect(plan.actions).toEqual([]);
    expect(plan.warning).toMatch(/no ollama executable found/);
  });

  it('leaves a foreign server alone without takeover, and warns', () => {
    for (const owner of [{ kind: 'app', pid: 59923, appPid: 59000 }, { kind: 'brew', pid: 812 }, { kind: 'manual', pid: 813 }] as const) {
      const plan = planServe(owner, app, settings);
      expect(plan.actions).toEqual([]);
      expect(plan.warning).toMatch(/not by headroom: its environment may not be the safe one. Set ollama.takeover: true/);
    }
  });

  it('with takeover, stops each kind of foreign server its own way, waits for the port, then starts', () => {
    const takeover = { ...settings, takeover: true };
    expect(planServe({ kind: 'app', pid: 59923, appPid: 59000 }, app, takeover).actions).toEqual([{ kind: 'stop-app', appPid: 59000 }, { kind: 'wait-port-free' }, { kind: 'start' }]);
    expect(planServe({ kind: 'brew', pid: 812 }, null, takeover).actions).toEqual([{ kind: 'stop-brew' }, { kind: 'wait-port-free' }, { kind: 'start' }]);
    expect(planServe({ kind: 'manual', pid: 813 }, null, takeover).actions).toEqual([{ kind: 'stop-manual', pid: 813 }, { kind: 'wait-port-free' }, { kind: 'start' }]);
  });

  it('with takeover of brew or a hand-run server, stops a running Ollama.app too, and finds the app when its server\'s parent is not it', () => {
    const takeover = { ...settings, takeover: true };
    expect(planServe({ kind: 'brew', pid: 812 }, app, takeover).actions).toEqual([{ kind: 'stop-brew' }, { kind: 'stop-app', appPid: 59000 }, { kind: 'wait-port-free' }, { kind: 'start' }]);
    expect(planServe({ kind: 'manual', pid: 813 }, app, takeover).actions).toEqual([{ kind: 'stop-manual', pid: 813 }, { kind: 'stop-app', appPid: 59000 }, { kind: 'wait-port-free' }, { kind: 'start' }]);
    expect(planServe({ kind: 'app', pid: 59923, appPid: null }, app, takeover).actions[0]).toEqual({ kind: 'stop-app', appPid: 59000 });
    expect(planServe({ kind: 'app', pid: 59923, appPid: null }, null, takeover).actions[0]).toEqual({ kind: 'stop-app', appPid: 59923 });
  });

  it('never starts beside a running Ollama.app, which SIGTERMs other servers when its own fails to bind', () => {
    const plan = planServe({ kind: 'none' }, app, settings);
    expect(plan.actions).toEqual([]);
    expect(plan.warning).toMatch(/Ollama.app is running/);
    expect(planServe({ kind: 'none' }, app, { ...settings, takeover: true }).actions).toEqual([{ kind: 'stop-app', appPid: 59000 }, { kind: 'wait-port-free' }, { kind: 'start' }]);
  });

  it('never touches a port held by something that is not Ollama, even with takeover', () => {
    const owner = { kind: 'foreign', pid: 900, command: 'python3 -m http.server 11434' } as const;
    const plan = planServe(owner, null, { ...settings, takeover: true });
    expect(plan.actions).toEqual([]);
    expect(plan.warning).toBe(`Ollama's port is held by ${describeOwner(owner)}: headroom cannot serve Ollama there`);
  });

  it('with takeover but no binary, leaves the foreign server running', () => {
    expect(planServe({ kind: 'brew', pid: 812 }, null, { ...settings, takeover: true, binary: null })).toMatchObject({ actions: [], warning: expect.stringMatching(/is left running/) as unknown });
  });
});

describe('findBinary', () => {
  it('returns the first executable `ollama` in the folders, skipping empty PATH entries', () => {
    const executables = new Set(['/usr/local/bin/ollama', '/Applications/Ollama.app/Contents/Resources/ollama']);
    expect(findBinary(['', '/opt/homebrew/bin', '/usr/local/bin', '/Applications/Ollama.app/Contents/Resources'], (file) => executables.has(file))).toBe('/usr/local/bin/ollama');
    expect(findBinary(['/opt/homebrew/bin'], (file) => executables.has(file))).toBeNull();
  });
});
