/**
 * The runaway-process guard for real on Linux: the daemon reads memory from a fake proc root
 * (the warn, then the critical capture) and the process table from the real /proc, with Ollama
 * unreachable (nothing to unload, so the process stage opens at once). Its children here are
 * real node processes told apart by a marker in their command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedAddress, makeSandbox, runCliProcess, startCliProcess, waitFor, type CliProcess, type Sandbox } from '../helpers/cli-process.js';
import { makeFakeProc, type FakeProc } from '../helpers/fake-proc.js';

const TAG = `${process.pid}-${Date.now()}`;
const children: ChildProcess[] = [];
const daemons: CliProcess[] = [];

/** A node child whose command line ends with `marker`; with `ignoreTerm`, it outlives SIGTERM. */
async function child(marker: string, ignoreTerm = false): Promise<ChildProcess & { exited: Promise<NodeJS.Signals | number | null> }> {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('ready');`;
  const spawned = spawn(process.execPath, ['-e', script, `${marker}-${TAG}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(spawned);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => spawned.once('exit', (code, signal) => resolve(signal ?? code)));
  await new Promise((resolve) => spawned.stdout.once('data', resolve));
  return Object.assign(spawned, { exited });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    daemon.kill('SIGKILL');
    await daemon;
  }
  for (const spawned of children.splice(0)) spawned.kill('SIGKILL');
});

describe('the process guard on Linux, with real processes', () => {
  let proc: FakeProc;
  let sandbox: Sandbox;
  let config: string;
  const logFile = () => path.join(sandbox.linuxStateDir, 'headroom.log');

  async function events(pid: number | undefined): Promise<Array<Record<string, unknown> & { msg: string }>> {
    const text = await readFile(logFile(), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string; pid: number })
      .filter((event) => event.pid === pid);
  }

  beforeAll(async () => {
    proc = await makeFakeProc('meminfo-24g-warn-7pct.txt', 'pressure-memory-warn-7pct.txt');
    sandbox = await makeSandbox();
    config = path.join(sandbox.home, 'config.yaml');
    const escaped = config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    await writeFile(
      config,
      [
        'daemon:',
        '  intervalMs: 100',
        'linux:',
        `  procRoot: ${proc.root}`,
        '  processRoot: /proc',
        'ollama:',
        '  manage: false',
        `  url: ${await closedAddress()}`,
        'guard:',
        // The warn capture's 1.8 GiB available: under a 2.4 GiB floor (10% of RAM), not under half.
        '  floorMinGiB: 1',
        '  sustainMs: 0',
        'notify:',
        '  enabled: false',
        'processes:',
        '  cooldownMs: 600000',
        '  guarded:',
        `    - pattern: "hr-notify-${TAG}"`,
        '      stage: warn',
        '      action: notify',
        `    - pattern: "hr-term-${TAG}"`,
        '      stage: critical',
        '      action: term',
        '      graceMs: 2000',
        `    - pattern: "hr-runaway-${TAG}"`,
        '      stage: critical',
        '      action: term-then-kill',
        '      graceMs: 300',
        // headroom's own command line (this test's config only): protected, never signalled.
        `    - pattern: 'main\\.js run --platform linux (--dry-run )?--config ${escaped}'`,
        '      stage: warn',
        '      action: term',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await proc.cleanup();
  });

  it('acts at each rule\'s stage: notify at warn; at critical SIGTERM, and SIGKILL after the grace to a child that ignores SIGTERM; an unrelated child and headroom survive', async () => {
    const notified = await child('hr-notify');
    const termed = await child('hr-term');
    const runaway = await child('hr-runaway', true);
    const bystander = await child('hr-bystander');
    const daemon = startCliProcess(['run', '--platform', 'linux', '--config', config], sandbox.env);
    daemons.push(daemon);

    const acted = async (name: string) => (await events(daemon.pid)).filter((e) => e.msg === 'guarded process acted on' && String(e.command).endsWith(`${name}-${TAG}`));
    await waitFor(async () => (await acted('hr-notify')).length > 0, 15_000, 'the notify action at warn');
    expect((await acted('hr-notify'))[0]).toMatchObject({ targetPid: notified.pid, stage: 'warn', outcome: { kind: 'notified' }, memory: { metric: 'pss' } });
    // Two more scans at warn (every 2 s): the critical rules wait.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect([alive(termed.pid!), alive(runaway.pid!)]).toEqual([true, true]);

    await proc.stage('meminfo-24g-critical-3.6pct.txt', 'pressure-memory-critical-3.6pct.txt');
    expect(await Promise.race([termed.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))])).toBe('SIGTERM');
    expect(await Promise.race([runaway.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))])).toBe('SIGKILL');
    const runawayEvents = await waitFor(async () => {
      const found = await acted('hr-runaway');
      return found.length > 0 ? found : undefined;
    }, 15_000, 'the runaway outcome');
    expect(runawayEvents[0]).toMatchObject({ targetPid: runaway.pid, stage: 'critical', outcome: { kind: 'exited', signal: 'SIGKILL' } });
    const all = await events(daemon.pid);
    const sent = all.filter((e) => String(e.msg).startsWith('sent SIG')).map((e) => [e.msg, e.targetPid]);
    // Both SIGTERMs go out in the same scan, each escalation on its own: their order is not fixed.
    expect(sent.slice(0, 2)).toEqual(
      expect.arrayContaining([
        ['sent SIGTERM to a guarded process', termed.pid],
        ['sent SIGTERM to a guarded process', runaway.pid],
      ]),
    );
    expect(sent.slice(2)).toEqual([['sent SIGKILL to a guarded process that outlived SIGTERM', runaway.pid]]);
    expect(all.find((e) => e.msg === 'guarded pattern matches a process headroom leaves alone' && e.targetPid === daemon.pid)).toMatchObject({ why: 'protected: headroom itself', rule: 3 });
    expect([alive(bystander.pid!), alive(notified.pid!), alive(daemon.pid!)]).toEqual([true, true, true]);
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
    daemons.length = 0;
    await proc.stage('meminfo-24g-warn-7pct.txt', 'pressure-memory-warn-7pct.txt');
  });

  it('headroom processes: the heaviest now, and what each pattern matches and would do, signalling nothing', async () => {
    const runaway = await child('hr-runaway', true);
    const result = await runCliProcess(['processes', '--json', '--limit', '100', '--platform', 'linux', '--config', config], sandbox.env);
    expect(result.exitCode).toBe(0);
    const preview = JSON.parse(result.stdout) as { heaviest: Array<{ pid: number; metric: string }>; rules: Array<{ index: number; matches: Array<{ pid: number; verdict: string }> }> };
    expect(preview.rules[2]?.matches).toEqual([{ pid: runaway.pid, name: 'node', command: expect.stringContaining(`hr-runaway-${TAG}`) as string, verdict: 'term-then-kill at critical' }]);
    expect(preview.heaviest.find((p) => p.pid === runaway.pid)?.metric).toBe('pss');
    const text = await runCliProcess(['processes', '--platform', 'linux', '--config', config], sandbox.env);
    expect(text.stdout).toContain(`guarded #2 /hr-runaway-${TAG}/: at critical, term-then-kill (grace 300 ms)\n  pid ${runaway.pid} node: term-then-kill at critical\n`);
    expect((await runCliProcess(['processes', '--limit', '0', '--platform', 'linux', '--config', config], sandbox.env)).exitCode).toBe(64);
    expect(alive(runaway.pid!)).toBe(true);
  });

  it('in a dry run, signals nothing and says what it would do', async () => {
    await proc.stage('meminfo-24g-critical-3.6pct.txt', 'pressure-memory-critical-3.6pct.txt');
    const runaway = await child('hr-runaway', true);
    const daemon = startCliProcess(['run', '--dry-run', '--platform', 'linux', '--config', config], sandbox.env);
    daemons.push(daemon);
    const dry = await waitFor(async () => (await events(daemon.pid)).find((e) => e.msg === 'would signal a guarded process (dry run)'), 15_000, 'the dry-run action');
    expect(dry).toMatchObject({ targetPid: runaway.pid, outcome: { kind: 'dry-run' }, message: expect.stringContaining('Would send SIGTERM, then SIGKILL after 300 ms (dry run).') as string });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alive(runaway.pid!)).toBe(true);
    expect((await events(daemon.pid)).filter((e) => String(e.msg).startsWith('sent SIG'))).toEqual([]);
    daemon.kill('SIGTERM');
    expect((await daemon).exitCode).toBe(0);
    daemons.length = 0;
  });
});
