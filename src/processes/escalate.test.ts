import { describe, expect, it } from 'vitest';
import { InstantClock } from '../../test/helpers/instant-clock.js';
import type { Signaller } from '../ports/processes.js';
import { escalate, KILL_WAIT_MS, type Recheck } from './escalate.js';

const PID = 5000;

/**
 * One pid and what holds it: the process chosen, a later one that took its pid, or nothing.
 * `dies`: the signals the process chosen exits on.
 */
class OnePid implements Signaller {
  readonly ownUid = 501;
  readonly ownPid = 4000;
  holder: 'chosen' | 'later' | null = 'chosen';
  readonly sent: string[] = [];
  aliveChecks = 0;
  /** Called at each signal-0 look, so a test can change the world during the grace. */
  onAlive: ((checks: number) => void) | null = null;
  constructor(private readonly dies: ReadonlyArray<'SIGTERM' | 'SIGKILL'>) {}
  send(pid: number, signal: NodeJS.Signals): boolean {
    if (pid !== PID || this.holder === null) return false;
    this.sent.push(`${signal} to the ${this.holder} process`);
    if (this.holder === 'chosen' && this.dies.includes(signal as 'SIGTERM' | 'SIGKILL')) this.holder = null;
    return true;
  }
  alive(pid: number): boolean {
    this.aliveChecks += 1;
    this.onAlive?.(this.aliveChecks);
    return pid === PID && this.holder !== null;
  }
  /** What a look by pid and start finds. */
  look(): Recheck {
    return this.holder === 'chosen' ? { kind: 'same' } : this.holder === 'later' ? { kind: 'replaced' } : { kind: 'gone' };
  }
}

function run(pid: OnePid, options: { kill?: boolean; graceMs?: number; stop?: AbortSignal; recheck?: () => Promise<Recheck> } = {}) {
  const clock = new InstantClock(0);
  const signals: string[] = [];
  const outcome = escalate(
    { signaller: pid, clock, stop: options.stop },
    { pid: PID, recheck: options.recheck ?? (() => Promise.resolve(pid.look())), graceMs: options.graceMs ?? 1000, kill: options.kill ?? true, onSignal: (signal) => signals.push(signal) },
  );
  return { clock, signals, outcome };
}

describe('escalate', () => {
  it('SIGTERM, and a process that exits in the grace is reported exited', async () => {
    const pid = new OnePid(['SIGTERM', 'SIGKILL']);
    const { outcome, signals } = run(pid);
    expect(await outcome).toEqual({ kind: 'exited', signal: 'SIGTERM', afterMs: 0 });
    expect(pid.sent).toEqual(['SIGTERM to the chosen process']);
    expect(signals).toEqual(['SIGTERM']);
  });

  it('without kill, a process that outlives the grace is reported still running, and gets no SIGKILL', async () => {
    const pid = new OnePid(['SIGKILL']);
    const { outcome, clock } = run(pid, { kill: false, graceMs: 1000 });
    expect(await outcome).toEqual({ kind: 'still-running', signal: 'SIGTERM', afterMs: 1000 });
    expect(pid.sent).toEqual(['SIGTERM to the chosen process']);
    // The grace is waited out with signal 0 every 100 ms.
    expect(clock.sleeps).toEqual(Array.from({ length: 10 }, () => 100));
  });

  it('with kill, looks again after the grace and sends SIGKILL to the same process', async () => {
    const pid = new OnePid(['SIGKILL']);
    let looks = 0;
    const { outcome, signals } = run(pid, { recheck: () => ((looks += 1), Promise.resolve(pid.look())) });
    expect(await outcome).toEqual({ kind: 'exited', signal: 'SIGKILL', afterMs: 1000 });
    expect(pid.sent).toEqual(['SIGTERM to the chosen process', 'SIGKILL to the chosen process']);
    expect(signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(looks).toBe(2);
  });

  it('sends no SIGKILL to a pid that another process took between SIGTERM and SIGKILL: the one chosen exited', async () => {
    const pid = new OnePid(['SIGTERM']);
    // The process exits on SIGTERM and its pid is taken at once: signal 0 never sees it free.
    pid.onAlive = () => {
      if (pid.holder === null) pid.holder = 'later';
    };
    const { outcome } = run(pid);
    expect(await outcome).toEqual({ kind: 'exited', signal: 'SIGTERM', afterMs: 1000, pidReused: true });
    expect(pid.sent).toEqual(['SIGTERM to the chosen process']);
  });

  it('leaves alone a process the look before a signal says must be kept, or that is gone or replaced', async () => {
    const keep = new OnePid(['SIGKILL']);
    let looks = 0;
    const kept = run(keep, { recheck: () => Promise.resolve((looks += 1) === 1 ? keep.look() : { kind: 'keep', why: 'the memory pressure eased' }) });
    expect(await kept.outcome).toEqual({ kind: 'left-alone', why: 'it outlived SIGTERM, and SIGKILL was not sent: the memory pressure eased', sent: 'SIGTERM', gone: false });
    expect(keep.sent).toEqual(['SIGTERM to the chosen process']);

    const gone = new OnePid([]);
    gone.holder = null;
    expect(await run(gone).outcome).toEqual({ kind: 'left-alone', why: 'it is gone', sent: null, gone: true, found: 'gone' });
    const replaced = new OnePid([]);
    replaced.holder = 'later';
    expect(await run(replaced).outcome).toEqual({ kind: 'left-alone', why: 'its pid now belongs to another process', sent: null, gone: true, found: 'replaced' });
    expect([...gone.sent, ...replaced.sent]).toEqual([]);
  });

  it('sends nothing once headroom is stopping: before SIGTERM, during the grace, or while it looks before SIGKILL', async () => {
    const before = new OnePid(['SIGKILL']);
    const stopped = new AbortController();
    stopped.abort();
    expect(await run(before, { stop: stopped.signal }).outcome).toEqual({ kind: 'left-alone', why: 'headroom is stopping', sent: null, gone: false });
    expect(before.sent).toEqual([]);

    const during = new OnePid(['SIGKILL']);
    const stopDuring = new AbortController();
    during.onAlive = (checks) => checks === 3 && stopDuring.abort();
    const duringRun = run(during, { stop: stopDuring.signal, graceMs: 10_000 });
    expect(await duringRun.outcome).toEqual({ kind: 'left-alone', why: 'headroom is stopping: SIGKILL was not sent', sent: 'SIGTERM', gone: false });
    expect(during.sent).toEqual(['SIGTERM to the chosen process']);
    // The wait ended at the stop, not at the end of the grace.
    expect(duringRun.clock.now()).toBe(200);

    const looking = new OnePid(['SIGKILL']);
    const stopLooking = new AbortController();
    let looks = 0;
    const recheck = (): Promise<Recheck> => {
      looks += 1;
      if (looks === 2) stopLooking.abort(); // SIGTERM reaches headroom while it reads the process again
      return Promise.resolve(looking.look());
    };
    expect(await run(looking, { stop: stopLooking.signal, recheck }).outcome).toEqual({ kind: 'left-alone', why: 'headroom is stopping: SIGKILL was not sent', sent: 'SIGTERM', gone: false });
    expect(looking.sent).toEqual(['SIGTERM to the chosen process']);
  });

  it('reports a process that outlives SIGKILL, after KILL_WAIT_MS', async () => {
    const pid = new OnePid([]);
    const { outcome } = run(pid, { graceMs: 500 });
    expect(await outcome).toEqual({ kind: 'still-running', signal: 'SIGKILL', afterMs: 500 + KILL_WAIT_MS });
  });

  it('tells a signal that could not be sent from a process that just exited', async () => {
    const refused: Signaller = { ownUid: 501, ownPid: 4000, send: () => false, alive: () => true };
    expect(await escalate({ signaller: refused, clock: new InstantClock(0) }, { pid: PID, recheck: () => Promise.resolve({ kind: 'same' }), graceMs: 1000, kill: true })).toEqual({
      kind: 'left-alone',
      why: 'SIGTERM could not be sent',
      sent: null,
      gone: false,
    });
    const exited: Signaller = { ...refused, alive: () => false };
    expect(await escalate({ signaller: exited, clock: new InstantClock(0) }, { pid: PID, recheck: () => Promise.resolve({ kind: 'same' }), graceMs: 1000, kill: true })).toMatchObject({ kind: 'left-alone', why: 'it is gone', gone: true });
  });
});
