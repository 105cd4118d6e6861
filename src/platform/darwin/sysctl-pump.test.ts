import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeRunner, type FakeStream } from '../../../test/helpers/fake-runner.js';
import { SimClock } from '../../../test/helpers/sim-clock.js';
import { SysctlPump } from './sysctl-pump.js';

const NAMES = ['hw.memsize', 'kern.memorystatus_vm_pressure_level'];
const ANSWER = { 'hw.memsize': 'hw.memsize: 25769803776', 'kern.memorystatus_vm_pressure_level': 'kern.memorystatus_vm_pressure_level: 2' } as Record<string, string>;

/** Answers like `xargs -L 1 sysctl` with the captured M4 24 GiB values. */
function answering(stream: FakeStream): void {
  stream.onWrite = (text) => {
    for (const name of text.trim().split(' ')) stream.emit(ANSWER[name] ?? '');
  };
}

describe('SysctlPump', () => {
  it('writes the names plus the first name again, and returns the lines before the end marker', async () => {
    const runner = new FakeRunner(() => ({}), answering);
    const pump = new SysctlPump(runner, new SimClock(), NAMES, 1000);
    const read = await pump.read();
    expect(read).toEqual({ stdout: 'hw.memsize: 25769803776\nkern.memorystatus_vm_pressure_level: 2', failure: null, answered: true });
    expect(runner.streams[0]?.written).toEqual(['hw.memsize kern.memorystatus_vm_pressure_level hw.memsize\n']);
    expect([runner.streams[0]?.file, ...(runner.streams[0]?.args ?? [])]).toEqual(['xargs', '-L', '1', 'sysctl']);
  });

  it('leaves no abort listener behind on the caller signal, however many reads', async () => {
    const runner = new FakeRunner(() => ({}), answering);
    const pump = new SysctlPump(runner, new SimClock(), NAMES, 1000);
    const lifetime = new AbortController();
    for (let i = 0; i < 20; i++) await pump.read(lifetime.signal);
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
  });

  it('fails at once, without writing, on a signal that has already aborted', async () => {
    const runner = new FakeRunner(() => ({}), answering);
    const pump = new SysctlPump(runner, new SimClock(), NAMES, 60_000);
    const read = await pump.read(AbortSignal.abort());
    expect(read).toMatchObject({ failure: expect.stringMatching(/: canceled$/) as string, answered: false });
    expect(runner.streams).toHaveLength(0);
  });

  it('restarts the pump after a frame closed by a stderr complaint, so late stdout cannot end the next frame', async () => {
    const runner = new FakeRunner(() => ({}), (stream) => {
      if (runner.streams.length === 1) stream.onWrite = () => stream.emitError("sysctl: unknown oid 'hw.memsize'");
      else answering(stream);
    });
    const pump = new SysctlPump(runner, new SimClock(), NAMES, 5000);
    const complained = await pump.read();
    expect(complained).toEqual({ stdout: '', failure: `sysctl ${NAMES.join(' ')} (via xargs): sysctl: unknown oid 'hw.memsize'`, answered: true });
    expect(runner.streams[0]?.stopped).toBe(true);
    const next = pump.read();
    // The first sysctl's stdout arrives late, on the old pump: it must not close the new frame.
    runner.streams[0]?.emit('hw.memsize: 1');
    runner.streams[0]?.emit('hw.memsize: 1');
    expect(await next).toEqual({ stdout: 'hw.memsize: 25769803776\nkern.memorystatus_vm_pressure_level: 2', failure: null, answered: true });
    expect(pump.consecutiveFailures).toBe(0);
  });

  it('times out a silent pump, stops it, and backs off before starting another', async () => {
    const runner = new FakeRunner(() => ({}));
    const clock = new SimClock();
    const pump = new SysctlPump(runner, clock, NAMES, 30);
    expect(await pump.read()).toMatchObject({ failure: `sysctl ${NAMES.join(' ')} (via xargs): timed out after 30 ms`, answered: false });
    expect(runner.streams[0]?.stopped).toBe(true);
    expect(pump.coolingDown).toBe(true);
    expect((await pump.read()).failure).toMatch(/restarting after a failure$/);
    clock.advance(1000);
    expect(pump.coolingDown).toBe(false);
  });

  it('fails the read when xargs exits under it', async () => {
    const runner = new FakeRunner(() => ({}), (stream) => {
      stream.onWrite = () => stream.exit(1);
    });
    const pump = new SysctlPump(runner, new SimClock(), NAMES, 5000);
    expect((await pump.read()).failure).toBe(`sysctl ${NAMES.join(' ')} (via xargs): xargs -L 1 sysctl: exited 1`);
  });
});
