import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../../test/helpers/capture-logger.js';
import { FakeRunner, type FakeAnswer, type FakeStream } from '../../../test/helpers/fake-runner.js';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { SimClock } from '../../../test/helpers/sim-clock.js';
import { DarwinMemorySensor, pagesMoved } from './memory-sensor.js';
import { parseVmStat } from './vm-stat.js';

const SYSCTL_ARGV = ['hw.memsize', 'vm.swapusage', 'kern.memorystatus_vm_pressure_level', 'kern.memorystatus_level'];
// Composite answer: both files are captures of the same M4 24 GiB machine.
const SYSCTL_OUT = readFixture('darwin', 'sysctl-hw-m4-24g.txt') + readFixture('darwin', 'sysctl-pressure-warn-m4-24g.txt');
const VM_STAT_OUT = readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt');
const STREAM = readFixture('darwin', 'vm_stat-c1-intel-4096-streaming.txt').split('\n');

function answers(overrides: Partial<Record<'sysctl' | 'vm_stat', FakeAnswer>> = {}) {
  return (file: string): FakeAnswer => {
    if (file === 'sysctl') return overrides.sysctl ?? { stdout: SYSCTL_OUT };
    if (file === 'vm_stat') return overrides.vm_stat ?? { stdout: VM_STAT_OUT };
    return { spawnError: 'not found on PATH' };
  };
}

let sensor: DarwinMemorySensor | undefined;
afterEach(async () => {
  await sensor?.close();
  sensor = undefined;
});

describe('DarwinMemorySensor, oneshot mode', () => {
  it('runs exactly `sysctl <4 names>` and `vm_stat`, once each', async () => {
    const runner = new FakeRunner(answers());
    const clock = new SimClock();
    sensor = new DarwinMemorySensor({ runner, clock, mode: 'oneshot', intervalMs: 1000, commandTimeoutMs: 2000 });
    const snapshot = await sensor.sample();
    expect(runner.calls.map((call) => [call.file, ...call.args])).toEqual([['sysctl', ...SYSCTL_ARGV], ['vm_stat']]);
    expect(runner.calls.every((call) => call.options.timeoutMs === 2000)).toBe(true);
    expect(snapshot).toMatchObject({ at: clock.now(), totalBytes: 25769803776, availableBytes: 16327507968, pressure: 'warn' });
  });

  it('keeps the printed names when sysctl exits 1 for one unknown name', async () => {
    const runner = new FakeRunner(answers({ sysctl: { stdout: SYSCTL_OUT, stderr: "sysctl: unknown oid 'x'", exitCode: 1 } }));
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'oneshot', intervalMs: 1000, commandTimeoutMs: 2000 });
    const snapshot = await sensor.sample();
    expect(snapshot.pressure).toBe('warn');
    expect(snapshot.errors).toEqual([
      `sysctl ${SYSCTL_ARGV.join(' ')}: exited 1: sysctl: unknown oid 'x'`,
    ]);
  });

  it.each([
    ['hangs', { timedOut: true, signal: 'SIGTERM' }, /timed out/],
    ['exits 1', { exitCode: 1, stderr: 'boom' }, /exited 1: boom/],
    ['prints garbage', { stdout: '%%% not sysctl %%%' }, /no "name: value" lines/],
    ['is missing', { spawnError: 'not found on PATH' }, /not found on PATH/],
  ] as const)('marks pressure unknown when sysctl %s', async (_case, answer, message) => {
    const runner = new FakeRunner(answers({ sysctl: answer }));
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'oneshot', intervalMs: 1000, commandTimeoutMs: 2000 });
    const snapshot = await sensor.sample();
    expect(snapshot.pressure).toBe('unknown');
    expect(snapshot.totalBytes).toBeNull();
    expect(snapshot.freeBytes).toBe(24141 * 16384);
    expect(snapshot.errors?.join('\n')).toMatch(message);
  });
});

/** Answers a pump write like `xargs -L 1 sysctl` would: each asked name's line from the captures. */
function sysctlViaXargs(stream: FakeStream): void {
  sysctlViaXargsFrom(SYSCTL_OUT)(stream);
}

/** The same, answering from `output`. */
function sysctlViaXargsFrom(output: string): (stream: FakeStream) => void {
  return (stream) => answerPump(stream, output);
}

function answerPump(stream: FakeStream, output: string): void {
  if (stream.file !== 'xargs') return;
  stream.onWrite = (text) => {
    for (const name of text.trim().split(' ')) {
      const line = output.split('\n').find((l) => l.startsWith(`${name}: `));
      if (line) stream.emit(line);
      else stream.emitError(`sysctl: unknown oid '${name}'`);
    }
  };
}

function emitStreamStart(stream: FakeStream | undefined): void {
  STREAM.slice(0, 3).forEach((line) => stream!.emit(line));
}

describe('DarwinMemorySensor, stream mode', () => {
  function streamSensor(runner: FakeRunner, clock: SimClock, commandTimeoutMs = 2000) {
    const logger = captureLogger();
    sensor = new DarwinMemorySensor({ runner, clock, mode: 'stream', intervalMs: 1000, commandTimeoutMs, logger });
    return { sensor, logger };
  }
  const vmStatStream = (runner: FakeRunner) => runner.streams.find((s) => s.file === 'vm_stat');

  it('keeps a `vm_stat 0.2` child (five rows a sample) and an `xargs -L 1 sysctl` pump, and forks nothing per sample', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    const clock = new SimClock();
    const { sensor } = streamSensor(runner, clock);
    const samples = 50;
    for (let i = 0; i < samples; i++) {
      // The child prints its first row at once, then a row every fifth of an interval: replay the captured Intel row.
      if (i > 0) vmStatStream(runner)!.emit(STREAM[2]!);
      const pending = sensor.sample();
      if (i === 0) emitStreamStart(vmStatStream(runner));
      const snapshot = await pending;
      expect(snapshot).toMatchObject({ freeBytes: 262768 * 4096, totalBytes: 25769803776, pressure: 'warn' });
      expect(snapshot.errors).toBeUndefined();
      clock.advance(1000);
    }
    expect(runner.streams.map((s) => [s.file, ...s.args])).toEqual([
      ['xargs', '-L', '1', 'sysctl'],
      ['vm_stat', '0.2'],
    ]);
    expect(runner.calls).toEqual([]);
    const pump = runner.streams[0]!;
    expect(pump.written).toHaveLength(samples);
    expect(new Set(pump.written)).toEqual(new Set([`${SYSCTL_ARGV.join(' ')} hw.memsize\n`]));
    expect(runner.spawnCount).toBe(2);
  });

  describe('with a calm sysctl answer reused while memory stays still', () => {
    // No capture shows level 1: this is the captured warn answer with only the level changed.
    const SYSCTL_NORMAL = SYSCTL_OUT.replace('kern.memorystatus_vm_pressure_level: 2', 'kern.memorystatus_vm_pressure_level: 1');
    const REUSE = { maxAgeMs: 5000, withinBytes: 64 * 1024 * 1024 };
    /** The captured Intel row with its free column set to `free` pages (an edit: only one row was captured). */
    const rowWithFree = (free: number) => STREAM[2]!.replace(/^ *262768/, String(free).padStart(8));
    /** A sensor that keeps calm answers, after its first sample (the stream's start), answering sysctl from `output`. */
    async function startReusing(output: string, clock = new SimClock()) {
      const runner = new FakeRunner(answers(), sysctlViaXargsFrom(output));
      sensor = new DarwinMemorySensor({ runner, clock, mode: 'stream', intervalMs: 1000, commandTimeoutMs: 2000, reuse: REUSE });
      const pending = sensor.sample();
      emitStreamStart(vmStatStream(runner));
      const first = await pending;
      return { runner, clock, first, pump: runner.streams[0]! };
    }
    /** A row arrives, then the tick samples (the sample takes the latest row, as in the daemon). */
    function sampleWithRow(runner: FakeRunner, row: string) {
      vmStatStream(runner)!.emit(row);
      return sensor!.sample();
    }

    it('asks sysctl once, then again only when the answer is maxAgeMs old; each sample still takes the fresh row', async () => {
      const { runner, clock, first, pump } = await startReusing(SYSCTL_NORMAL);
      expect(first).toMatchObject({ pressure: 'normal', freeBytes: 262768 * 4096 });
      for (let s = 1; s < 5; s++) {
        clock.advance(1000);
        // 1000 pages of 4 KiB: 3.9 MiB, well within 64 MiB.
        const snapshot = await sampleWithRow(runner, rowWithFree(262768 + 1000 * s));
        expect(snapshot).toMatchObject({ at: clock.now(), pressure: 'normal', totalBytes: 25769803776, freeBytes: (262768 + 1000 * s) * 4096 });
        expect(snapshot.errors).toBeUndefined();
      }
      expect(pump.written).toHaveLength(1);
      clock.advance(1000);
      await sampleWithRow(runner, rowWithFree(262768));
      expect(pump.written).toHaveLength(2);
      expect(runner.calls).toEqual([]);
    });

    it('asks sysctl at the sample whose row shows a gauge moved by stillWithinMiB since the answer, even in small steps', async () => {
      const { runner, clock, pump } = await startReusing(SYSCTL_NORMAL);
      // 10,000 pages of 4 KiB a second: 39 MiB each step, 78 MiB after two.
      clock.advance(1000);
      await sampleWithRow(runner, rowWithFree(262768 - 10_000));
      expect(pump.written).toHaveLength(1);
      clock.advance(1000);
      await sampleWithRow(runner, rowWithFree(262768 - 20_000));
      expect(pump.written).toHaveLength(2);
    });

    it('never keeps an answer at warn, nor one with an error', async () => {
      const warn = await startReusing(SYSCTL_OUT);
      expect(warn.first.pressure).toBe('warn');
      warn.clock.advance(1000);
      await sampleWithRow(warn.runner, STREAM[2]!);
      expect(warn.pump.written).toHaveLength(2);
      await sensor!.close();

      // kern.memorystatus_level missing from the answer: the sample has an error, so the next one asks again.
      const partial = await startReusing(SYSCTL_NORMAL.replace(/^kern\.memorystatus_level: .*\n/m, ''));
      expect(partial.first.errors?.join('\n')).toMatch(/memorystatus_level/);
      partial.clock.advance(1000);
      await sampleWithRow(partial.runner, STREAM[2]!);
      expect(partial.pump.written).toHaveLength(2);
    });

    it('asks sysctl when the row is stale (the stream went quiet)', async () => {
      const { clock, pump } = await startReusing(SYSCTL_NORMAL);
      // Three seconds with no row: older than two of the stream's 200 ms intervals plus 500 ms, so not fresh.
      clock.advance(3000);
      const pending = sensor!.sample();
      await Promise.resolve();
      expect(pump.written).toHaveLength(2);
      clock.advance(2000);
      await pending;
    });
  });

  it('polls vm_stat\'s rows at each sample instead of being woken by each (a polled stream)', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    runner.holdPolledLines = true;
    const clock = new SimClock();
    const { sensor } = streamSensor(runner, clock);
    const first = sensor.sample();
    const vmStat = vmStatStream(runner)!;
    expect(vmStat.polled).toBe(true);
    emitStreamStart(vmStat);
    expect(vmStat.waiting).toHaveLength(3);
    // The first row is looked for every 20 ms.
    clock.advance(20);
    expect((await first).freeBytes).toBe(262768 * 4096);
    // Two rows arrive between samples (edits of the captured row): they wait until the next sample, which takes the last.
    vmStat.emit(STREAM[2]!.replace(/^ *262768/, '    1000'));
    vmStat.emit(STREAM[2]!.replace(/^ *262768/, '    2000'));
    expect(vmStat.waiting).toHaveLength(2);
    clock.advance(1000);
    expect((await sensor.sample()).freeBytes).toBe(2000 * 4096);
    expect(vmStat.waiting).toEqual([]);
  });

  it('parses only the newest of the rows a poll brings', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    runner.holdPolledLines = true;
    const clock = new SimClock();
    const { sensor, logger } = streamSensor(runner, clock);
    const first = sensor.sample();
    const vmStat = vmStatStream(runner)!;
    emitStreamStart(vmStat);
    clock.advance(20);
    await first;
    // Not a capture: a row that would not parse (3 cells under a 22-column header), then a good one.
    // Only the good one is parsed, so the stream's end reports no parse error.
    vmStat.emit('1 2 3');
    vmStat.emit(STREAM[2]!.replace(/^ *262768/, '    2000'));
    clock.advance(1000);
    expect((await sensor.sample()).freeBytes).toBe(2000 * 4096);
    vmStat.exit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const ended = logger.entries.find((entry) => /vm_stat stream ended/.test(entry.message));
    expect(ended?.fields).toMatchObject({ parseError: null });
  });

  it('streams at least once a second, up to 20 rows a sample', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'stream', intervalMs: 20_000, commandTimeoutMs: 2000 });
    const pending = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    await pending;
    expect(vmStatStream(runner)!.args).toEqual(['1']);
  });

  it.each([
    [1500, '0.3'],
    [250, '0.1'],
    // 20 rows a sample at most, so that they fit in the FIFO.
    [60_000, '3'],
  ])('passes fractional intervals through, as vm_stat reads its interval with strtod: a fifth of %i ms, from 100 ms to 1 s', async (intervalMs, seconds) => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'stream', intervalMs, commandTimeoutMs: 2000 });
    const pending = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    await pending;
    expect(vmStatStream(runner)!.args).toEqual([seconds]);
  });

  it('keeps what sysctl printed and reports its complaint when one name is unknown', async () => {
    const runner = new FakeRunner(answers(), (stream) => {
      if (stream.file !== 'xargs') return;
      stream.onWrite = () => {
        stream.emit('hw.memsize: 25769803776');
        stream.emitError("sysctl: unknown oid 'vm.swapusage'");
        stream.emit('kern.memorystatus_vm_pressure_level: 4');
        stream.emit('kern.memorystatus_level: 12');
        stream.emit('hw.memsize: 25769803776');
      };
    });
    const { sensor } = streamSensor(runner, new SimClock());
    const pending = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    const snapshot = await pending;
    expect(snapshot).toMatchObject({ pressure: 'critical', totalBytes: 25769803776, swapUsedBytes: null });
    expect(snapshot.errors).toEqual([
      `sysctl ${SYSCTL_ARGV.join(' ')} (via xargs): sysctl: unknown oid 'vm.swapusage'`,
      'sysctl: vm.swapusage is missing from the output',
    ]);
  });

  it('times out a silent pump, uses one-shot sysctl while it backs off, then restarts it', async () => {
    let silent = true;
    const runner = new FakeRunner(answers(), (stream) => {
      if (stream.file !== 'xargs') return;
      const answer = sysctlViaXargs;
      answer(stream);
      const reply = stream.onWrite!;
      stream.onWrite = (text) => {
        if (!silent) reply(text);
      };
    });
    const clock = new SimClock();
    const { sensor, logger } = streamSensor(runner, clock, 50);
    const first = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    const timedOut = await first;
    expect(timedOut.pressure).toBe('unknown');
    expect(timedOut.errors).toEqual([`sysctl ${SYSCTL_ARGV.join(' ')} (via xargs): timed out after 50 ms`]);
    expect(runner.streams[0]!.stopped).toBe(true);
    expect(logger.entries.some((e) => e.message === 'sysctl pump failed; one-shot sysctl until it restarts')).toBe(true);

    clock.advance(500); // within the 1 s backoff: one-shot
    vmStatStream(runner)!.emit(STREAM[2]!);
    const backingOff = await sensor.sample();
    expect(backingOff.pressure).toBe('warn');
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['sysctl', ...SYSCTL_ARGV]]);

    silent = false;
    clock.advance(600); // past the backoff: a new pump
    vmStatStream(runner)!.emit(STREAM[2]!);
    const restarted = await sensor.sample();
    expect(restarted.pressure).toBe('warn');
    expect(runner.streams.filter((s) => s.file === 'xargs')).toHaveLength(2);
    expect(runner.calls).toHaveLength(1);
  });

  it('gives up a pump that never answered three times and forks one sysctl per sample instead', async () => {
    const runner = new FakeRunner(answers());
    const clock = new SimClock();
    const { sensor, logger } = streamSensor(runner, clock, 20);
    for (let i = 0; i < 3; i++) {
      const pending = sensor.sample();
      if (i === 0) emitStreamStart(vmStatStream(runner));
      await pending;
      clock.advance(70_000); // past any backoff
      vmStatStream(runner)!.emit(STREAM[2]!);
    }
    expect(logger.entries.some((e) => e.message === 'the xargs sysctl pump never answered: using one sysctl child per sample')).toBe(true);
    const xargsBefore = runner.streams.filter((s) => s.file === 'xargs').length;
    const snapshot = await sensor.sample();
    expect(snapshot.pressure).toBe('warn');
    expect(runner.calls.at(-1)?.file).toBe('sysctl');
    expect(runner.streams.filter((s) => s.file === 'xargs')).toHaveLength(xargsBefore);
  });

  it('falls back to one-shot vm_stat when the stream dies, and restarts it after a backoff', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    const clock = new SimClock();
    const { sensor, logger } = streamSensor(runner, clock);
    const first = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    await first;
    clock.advance(3000); // the last row is now stale
    vmStatStream(runner)!.exit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const fallback = await sensor.sample();
    expect(fallback.freeBytes).toBe(24141 * 16384); // from the one-shot capture, not the stream
    expect(runner.calls.map((call) => call.file)).toEqual(['vm_stat']);
    expect(runner.streams.filter((s) => s.file === 'vm_stat')).toHaveLength(1); // backoff: not restarted yet
    expect(logger.entries.some((entry) => entry.level === 'warn' && /vm_stat stream ended/.test(entry.message))).toBe(true);
    clock.advance(1000);
    const restarted = sensor.sample();
    const streams = runner.streams.filter((s) => s.file === 'vm_stat');
    expect(streams).toHaveLength(2);
    emitStreamStart(streams[1]);
    expect((await restarted).freeBytes).toBe(262768 * 4096);
  });

  it('stops a stream that has printed nothing for five intervals', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    const clock = new SimClock();
    const { sensor } = streamSensor(runner, clock);
    const first = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    await first;
    clock.advance(6000);
    await sensor.sample();
    expect(vmStatStream(runner)!.stopped).toBe(true);
  });

  it('close() stops both children', async () => {
    const runner = new FakeRunner(answers(), sysctlViaXargs);
    const { sensor } = streamSensor(runner, new SimClock());
    const first = sensor.sample();
    emitStreamStart(vmStatStream(runner));
    await first;
    await sensor.close();
    expect(runner.streams.map((s) => s.stopped)).toEqual([true, true]);
  });
});

describe('DarwinMemorySensor, stream mode, when sysctl fails behind the pump', () => {
  it('ends the frame with the complaint when sysctl prints only to stderr', async () => {
    const runner = new FakeRunner(answers(), (stream) => {
      if (stream.file === 'xargs') stream.onWrite = () => stream.emitError('sysctl: permission denied');
    });
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'stream', intervalMs: 1000, commandTimeoutMs: 5000 });
    const pending = sensor.sample();
    emitStreamStart(runner.streams.find((s) => s.file === 'vm_stat'));
    const snapshot = await pending;
    expect(snapshot.pressure).toBe('unknown');
    expect(snapshot.errors).toEqual([`sysctl ${SYSCTL_ARGV.join(' ')} (via xargs): sysctl: permission denied`]);
    // The pump is replaced, so that the old sysctl's late stdout cannot end the next frame…
    expect(runner.streams.find((s) => s.file === 'xargs')!.stopped).toBe(true);
    // …without a backoff: the next sample starts a new one at once.
    const next = sensor.sample();
    runner.streams.find((s) => s.file === 'vm_stat')!.emit(STREAM[2]!);
    await next;
    expect(runner.streams.filter((s) => s.file === 'xargs')).toHaveLength(2);
  });
});

describe('pagesMoved', () => {
  const pages = parseVmStat(VM_STAT_OUT);
  it('compares every gauge in bytes of the row\'s own page size', () => {
    // 16 KiB pages: 4095 pages is just under 64 MiB, 4096 is 64 MiB.
    expect(pagesMoved(pages, { ...pages, wired: pages.wired + 4095 }, 64 * 1024 * 1024)).toBe(false);
    expect(pagesMoved(pages, { ...pages, occupiedByCompressor: pages.occupiedByCompressor - 4096 }, 64 * 1024 * 1024)).toBe(true);
    expect(pagesMoved(pages, { ...pages, fileBacked: pages.fileBacked + 4096 }, 64 * 1024 * 1024)).toBe(true);
  });
  it('calls rows of different page sizes moved', () => {
    expect(pagesMoved(pages, { ...pages, pageSizeBytes: 4096 }, 64 * 1024 * 1024)).toBe(true);
  });
});
