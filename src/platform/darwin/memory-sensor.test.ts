import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../../test/helpers/capture-logger.js';
import { FakeRunner, type FakeAnswer } from '../../../test/helpers/fake-runner.js';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { SimClock } from '../../../test/helpers/sim-clock.js';
import { DarwinMemorySensor } from './memory-sensor.js';

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

describe('DarwinMemorySensor, stream mode', () => {
  function streamSensor(runner: FakeRunner, clock: SimClock) {
    const logger = captureLogger();
    sensor = new DarwinMemorySensor({ runner, clock, mode: 'stream', intervalMs: 1000, commandTimeoutMs: 2000, logger });
    return { sensor, logger };
  }

  it('keeps one `vm_stat 1` child and spends one sysctl per sample', async () => {
    const runner = new FakeRunner(answers());
    const clock = new SimClock();
    const { sensor } = streamSensor(runner, clock);
    const samples = 50;
    for (let i = 0; i < samples; i++) {
      const pending = sensor.sample();
      // The child prints a row every interval (first row at once); replay the captured Intel rows.
      if (i === 0) {
        runner.streams[0]!.emit(STREAM[0]!);
        runner.streams[0]!.emit(STREAM[1]!);
      }
      runner.streams[0]!.emit(STREAM[2]!);
      const snapshot = await pending;
      expect(snapshot.freeBytes).toBe(262768 * 4096);
      clock.advance(1000);
    }
    expect(runner.streams.map((s) => [s.file, ...s.args])).toEqual([['vm_stat', '1']]);
    expect(runner.calls.map((call) => call.file)).toEqual(Array(samples).fill('sysctl'));
    expect(runner.spawnCount / samples).toBeCloseTo(1 + 1 / samples);
  });

  it('passes fractional intervals through, as vm_stat reads its interval with strtod', async () => {
    const runner = new FakeRunner(answers());
    sensor = new DarwinMemorySensor({ runner, clock: new SimClock(), mode: 'stream', intervalMs: 250, commandTimeoutMs: 2000 });
    const pending = sensor.sample();
    STREAM.slice(0, 3).forEach((line) => runner.streams[0]!.emit(line));
    await pending;
    expect(runner.streams[0]!.args).toEqual(['0.25']);
  });

  it('falls back to one-shot vm_stat when the stream dies, and restarts it after a backoff', async () => {
    const runner = new FakeRunner(answers());
    const clock = new SimClock();
    const { sensor, logger } = streamSensor(runner, clock);
    const first = sensor.sample();
    STREAM.slice(0, 3).forEach((line) => runner.streams[0]!.emit(line));
    await first;
    clock.advance(3000); // the last row is now stale
    runner.streams[0]!.exit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const fallback = await sensor.sample();
    expect(fallback.freeBytes).toBe(24141 * 16384); // from the one-shot capture, not the stream
    expect(runner.calls.map((call) => call.file)).toEqual(['sysctl', 'sysctl', 'vm_stat']);
    expect(runner.streams).toHaveLength(1); // backoff: not restarted within 1 s of the exit
    expect(logger.entries.some((entry) => entry.level === 'warn' && /vm_stat stream ended/.test(entry.message))).toBe(true);
    clock.advance(1000);
    const restarted = sensor.sample();
    expect(runner.streams).toHaveLength(2);
    STREAM.slice(0, 3).forEach((line) => runner.streams[1]!.emit(line));
    expect((await restarted).freeBytes).toBe(262768 * 4096);
  });

  it('stops a stream that has printed nothing for five intervals', async () => {
    const runner = new FakeRunner(answers());
    const clock = new SimClock();
    const { sensor } = streamSensor(runner, clock);
    const first = sensor.sample();
    STREAM.slice(0, 3).forEach((line) => runner.streams[0]!.emit(line));
    await first;
    clock.advance(6000);
    await sensor.sample();
    expect(runner.streams[0]!.stopped).toBe(true);
  });

  it('close() stops the child', async () => {
    const runner = new FakeRunner(answers());
    const { sensor } = streamSensor(runner, new SimClock());
    const first = sensor.sample();
    STREAM.slice(0, 3).forEach((line) => runner.streams[0]!.emit(line));
    await first;
    await sensor.close();
    expect(runner.streams[0]!.stopped).toBe(true);
  });
});
