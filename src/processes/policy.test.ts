import { describe, expect, it } from 'vitest';
import type { ProcessDetails } from '../ports/processes.js';
import { decideProcesses, initialProcessPolicyState, processKey, ruleFor, stageReaches, type ProcessPolicyInput } from './policy.js';
import { programName, protectionOf } from './protect.js';
import type { GuardedRule } from './rules.js';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const ME = 501;
const HEADROOM = 4000;

function proc(pid: number, ppid: number, command: string, uid = ME, startKey = `start-${pid}`): ProcessDetails {
  return { pid, ppid, uid, startKey, command, rssBytes: 1024, cpuMs: 0 };
}

// pids, parents and command lines of the system and Ollama rows are from the captures
// (ps-axo-pid-ppid-command-apple-silicon-excerpt.txt, ps-aux-ollama-m4.txt); the rest is made up.
const SYSTEM = [
  proc(0, 0, 'kernel_task', 0),
  proc(1, 0, '/sbin/launchd', 0),
  proc(372, 1, '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon', 88),
  proc(377, 1, '/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow console', ME),
  proc(390, 1, '/sbin/launchd', ME),
];
const OLLAMA = [
  proc(59923, 390, '/Applications/Ollama.app/Contents/Resources/ollama serve'),
  proc(61864, 59923, '/Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/u/.ollama/models/blobs/sha256-' + 'a'.repeat(64)),
  proc(61900, 59923, '/opt/homebrew/lib/ollama/llama-server --model /x --port 5'),
  proc(380, 1, '/Applications/Ollama.app/Contents/MacOS/Ollama'),
];
const HEADROOM_TREE = [
  proc(3990, 390, '/bin/zsh -l'),
  proc(3999, 3990, 'npm start'),
  proc(HEADROOM, 3999, '/opt/homebrew/bin/node /usr/local/lib/node_modules/headroom/dist/cli/main.js run'),
  proc(4001, HEADROOM, 'xargs -L 1 sysctl'),
  proc(4002, 4001, 'sysctl hw.memsize vm.swapusage'),
  proc(4100, 390, '/opt/homebrew/bin/node /Users/u/Library/Application Support/headroom/pm2/God Daemon'),
  proc(4101, 4100, '/opt/homebrew/bin/my-llm-server serve'),
];
const USER = [
  proc(5000, 390, '/Users/u/venv/bin/python -m mlx_lm.lora --model qwen3-0.6b --train'),
  proc(5001, 390, '/Users/u/venv/bin/python -m mlx_lm.server --port 8080'),
  proc(5002, 1, '/Users/them/venv/bin/python -m mlx_lm.lora --model other', 502),
  proc(5003, 390, '/usr/bin/vim notes.txt'),
  // llama.cpp's own server, run by hand (the command line of src/ollama/runners.test.ts): the user's, not Ollama's.
  proc(5004, 390, '/opt/homebrew/bin/llama-server --model /Users/u/models/qwen3-8b-q4.gguf --port 8080'),
];
const TABLE = [...SYSTEM, ...OLLAMA, ...HEADROOM_TREE, ...USER];
const BY_PID = new Map(TABLE.map((p) => [p.pid, p]));
const NAMED = [
  { pid: 4100, what: "headroom's pm2 daemon" },
  { pid: 59923, what: 'the Ollama server' },
];

function rule(index: number, pattern: string, stage: GuardedRule['stage'], action: GuardedRule['action'] = 'term'): GuardedRule {
  return { index, pattern: new RegExp(pattern), stage, action, graceMs: 10_000 };
}

function input(partial: Partial<ProcessPolicyInput>): ProcessPolicyInput {
  return { at: T0, stage: 'critical', processes: TABLE, ownUid: ME, ownPid: HEADROOM, protectedPids: NAMED, busy: [], rules: [], cooldownMs: 60_000, ...partial };
}

const protection = (pid: number) => protectionOf(BY_PID.get(pid)!, BY_PID, HEADROOM, NAMED);

describe('protectionOf', () => {
  it.each([
    [0, 'a system process (pid 0 or 1)'],
    [1, 'a system process (pid 0 or 1)'],
    [372, 'a system process (WindowServer)'],
    [377, 'a system process (loginwindow)'],
    [390, 'a system process (launchd)'],
    [59923, 'Ollama (freed by unloading models, never by a signal)'],
    [61864, 'Ollama (freed by unloading models, never by a signal)'],
    [61900, 'Ollama (freed by unloading models, never by a signal)'],
    [380, 'Ollama (freed by unloading models, never by a signal)'],
    [HEADROOM, 'headroom itself'],
    [4001, 'a process headroom runs'],
    [4002, 'a process headroom runs'],
    [3999, 'a process that runs headroom'],
    [3990, 'a process that runs headroom'],
    [4100, "headroom's pm2 daemon"],
    [4101, "a child of headroom's pm2 daemon"],
  ])('protects pid %i: %s', (pid, why) => {
    expect(protection(pid)).toBe(why);
  });

  it('protects nothing else: a llama-server with no ollama serve above it is the user\'s', () => {
    expect(USER.map((p) => protection(p.pid))).toEqual([null, null, null, null, null]);
  });

  it('protects a runner by its ollama serve ancestor, even when headroom does not know that server', () => {
    const nested = new Map([...BY_PID, [61950, proc(61950, 61900, '/opt/homebrew/lib/ollama/llama-server --model /y --port 6')]]);
    expect(protectionOf(BY_PID.get(61900)!, BY_PID, HEADROOM, [])).toBe('Ollama (freed by unloading models, never by a signal)');
    expect(protectionOf(nested.get(61950)!, nested, HEADROOM, [])).toBe('Ollama (freed by unloading models, never by a signal)');
  });

  it('protects kernel_task by name too, whatever its pid (no capture shows it off pid 0: the name rule stands alone here)', () => {
    expect(protectionOf({ pid: 4242, command: 'kernel_task' }, BY_PID, HEADROOM, [])).toBe('a system process (kernel_task)');
  });

  it('ends on a parent chain that loops', () => {
    const loop = new Map([
      [10, { ppid: 11 }],
      [11, { ppid: 10 }],
    ]);
    expect(protectionOf({ pid: 10, command: 'a' }, loop, HEADROOM, [])).toBeNull();
  });

  it('names a program by the basename of the first word', () => {
    expect(programName('/Users/u/venv/bin/python -m mlx_lm.lora')).toBe('python');
    expect(programName('')).toBe('');
  });
});

describe('stageReaches and ruleFor', () => {
  it('reaches warn at warn or critical, critical only at critical', () => {
    expect([stageReaches('warn', 'warn'), stageReaches('critical', 'warn'), stageReaches('warn', 'critical'), stageReaches('critical', 'critical'), stageReaches(null, 'warn')]).toEqual([true, true, false, true, false]);
  });

  it('takes the first rule that matches', () => {
    const rules = [rule(0, 'mlx_lm\\.lora', 'critical'), rule(1, 'mlx_lm', 'warn')];
    expect(ruleFor(USER[0]!.command, rules)?.index).toBe(0);
    expect(ruleFor(USER[1]!.command, rules)?.index).toBe(1);
    expect(ruleFor('vim', rules)).toBeNull();
  });
});

describe('decideProcesses', () => {
  const acted = (result: ReturnType<typeof decideProcesses>) => result.act.map((d) => [d.pid, d.rule.index]);

  it('acts on nothing without a stage or without rules', () => {
    const rules = [rule(0, 'mlx_lm', 'warn')];
    expect(acted(decideProcesses(initialProcessPolicyState(), input({ stage: null, rules })))).toEqual([]);
    expect(acted(decideProcesses(initialProcessPolicyState(), input({ rules: [] })))).toEqual([]);
  });

  it('acts on each match whose rule\'s stage is reached: warn rules at warn, every rule at critical', () => {
    const rules = [rule(0, 'mlx_lm\\.lora', 'critical', 'term-then-kill'), rule(1, 'mlx_lm\\.server', 'warn', 'notify')];
    expect(acted(decideProcesses(initialProcessPolicyState(), input({ stage: 'warn', rules })))).toEqual([[5001, 1]]);
    const critical = decideProcesses(initialProcessPolicyState(), input({ stage: 'critical', rules }));
    expect(acted(critical)).toEqual([
      [5000, 0],
      [5001, 1],
    ]);
    expect(critical.act[0]).toEqual({ key: '5000@start-5000', pid: 5000, startKey: 'start-5000', command: USER[0]!.command, name: 'python', rule: rules[0] });
  });

  it('never acts on the protected set, even when a pattern matches it, and says why', () => {
    const everything = [rule(0, 'WindowServer|loginwindow|launchd|kernel_task|ollama|Ollama|llama-server|headroom|sysctl|zsh|npm|God Daemon|my-llm-server', 'warn')];
    const result = decideProcesses(initialProcessPolicyState(), input({ rules: everything }));
    // Only the llama-server the user runs by hand: no ollama serve is above it.
    expect(acted(result)).toEqual([[5004, 0]]);
    expect(result.skipped.map((s) => s.pid).sort((a, b) => a - b)).toEqual([0, 1, 372, 377, 380, 390, 3990, 3999, HEADROOM, 4001, 4002, 4100, 4101, 59923, 61864, 61900]);
    expect(result.skipped.every((s) => s.why.startsWith('protected: '))).toBe(true);
  });

  it('never acts on a process of another user', () => {
    const result = decideProcesses(initialProcessPolicyState(), input({ rules: [rule(0, 'mlx_lm\\.lora', 'critical')] }));
    expect(acted(result)).toEqual([[5000, 0]]);
    expect(result.skipped).toEqual([{ pid: 5002, name: 'python', rule: 0, why: "another user's (uid 502)" }]);
  });

  it('leaves a process an action is working on, and waits cooldownMs per process; a reused pid is a new process', () => {
    const rules = [rule(0, 'mlx_lm\\.lora', 'critical')];
    const first = decideProcesses(initialProcessPolicyState(), input({ rules }));
    expect(acted(first)).toEqual([[5000, 0]]);
    expect(acted(decideProcesses(initialProcessPolicyState(), input({ rules, busy: [5000] })))).toEqual([]);
    expect(acted(decideProcesses(first.state, input({ rules, at: T0 + 59_999 })))).toEqual([]);
    expect(acted(decideProcesses(first.state, input({ rules, at: T0 + 60_000 })))).toEqual([[5000, 0]]);
    const reused = TABLE.map((p) => (p.pid === 5000 ? { ...p, startKey: 'a later start' } : p));
    expect(acted(decideProcesses(first.state, input({ rules, at: T0 + 1000, processes: reused })))).toEqual([[5000, 0]]);
  });

  it('forgets a process that is gone once its cooldown is over, and does not change the state it was given', () => {
    const rules = [rule(0, 'mlx_lm\\.lora', 'critical')];
    const first = decideProcesses(initialProcessPolicyState(), input({ rules }));
    const snapshot = structuredClone(first.state);
    const gone = TABLE.filter((p) => p.pid !== 5000);
    expect(decideProcesses(first.state, input({ rules, at: T0 + 1000, processes: gone })).state.actedAt).toEqual({ [processKey(USER[0]!)]: T0 });
    expect(decideProcesses(first.state, input({ rules, at: T0 + 60_000, processes: gone })).state.actedAt).toEqual({});
    expect(first.state).toEqual(snapshot);
  });
});
